// The package.json that ships, made from the repository's own at pack time
// (scripts/pack.ts), which ships the production tree the lockfile resolved
// in dist/node_modules (node finds it from dist/src). Why not let npm resolve
// it from `dependencies`: npm applies `overrides` only to a root project and
// ignores a shipped npm-shrinkwrap.json on `npm install -g <tarball>` (npm
// 11.19; npm/cli#5325), so an installed copy would get ip-set 3 (its
// `npx only-allow pnpm` preinstall aborts the install), uint8-util 2.3 and
// node-datachannel 0.32. Why not bundleDependencies: with `overrides` in the
// same package.json, npm install and npm ci loop forever (npm/cli#9227;
// measured here: 100% CPU for 3 min, nothing installed); and under
// `npm install -g` npm counts every dependency of a bundled package as part
// of the bundle and never fetches it, so node-datachannel's native binary
// would have to ship for every platform (its nine packages: 50 MB packed).
// Shipped this way, the binary stays npm's to pick: node-datachannel's
// per-platform packages are our optionalDependencies, npm installs the one
// that fits the machine (os, cpu, libc) in our node_modules, and node finds
// it from dist/node_modules/node-datachannel by walking up.

export interface Manifest {
  name: string
  version: string
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  [key: string]: unknown
}

export interface PublishedParts {
  /** node-datachannel's per-platform binaries (`@node-datachannel/linux-x64-gnu` ...), each pinned. */
  platformPackages: Record<string, string>
  /** The man pages, relative to the package root. */
  man: string[]
}

/** Keys that only the development checkout uses; `dependencies` ship in dist/node_modules. */
const NOT_PUBLISHED = ['private', 'overrides', 'devDependencies', 'scripts', 'dependencies', 'bundleDependencies', 'bundledDependencies']

export function publishedManifest (pkg: Manifest, parts: PublishedParts): Manifest {
  const out: Manifest = { name: pkg.name, version: pkg.version }
  for (const [key, value] of Object.entries(pkg)) {
    if (!NOT_PUBLISHED.includes(key)) out[key] = value
  }
  const shipped = Object.keys(pkg.dependencies ?? {})
  const clash = Object.keys(parts.platformPackages).filter(name => shipped.includes(name))
  if (clash.length > 0) throw new Error(`${clash.join(', ')}: both shipped in dist/node_modules and left to npm`)
  out.optionalDependencies = { ...pkg.optionalDependencies, ...parts.platformPackages }
  out.man = [...parts.man]
  return out
}
