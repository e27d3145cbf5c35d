// npm run package [-- --out DIR]: makes the package's tarball, the one
// `npm install -g` and `npx` take. In a temporary directory it installs the
// production tree the lockfile resolves (`npm ci --omit=dev --omit=optional`)
// and moves it to dist/node_modules, builds dist/src afresh from src alone
// (no test code, no source maps), writes the man pages
// (scripts/man-pages.ts) and the published package.json
// (scripts/published-manifest.ts says why the tree ships this way and how
// node-datachannel's platform binary is left to npm), and runs `npm pack`.
// Left out with the optional packages: utp-native, bufferutil and
// utf-8-validate, whose install scripts compile where no prebuilt binary fits
// (npm 11 warns about them). The swarm runs with uTP off and ws has a
// JavaScript fallback for both of the others: nothing uses them.
import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { isMain, repoRoot } from '../test/helpers/processes.js'
import { buildBrowser } from './build-browser.js'
import { writeManPages } from './man-pages.js'
import { publishedManifest, type Manifest } from './published-manifest.js'

/** Shipped packages whose optional dependencies are per-platform binaries that npm must pick at install. */
const PLATFORM_PARENTS = ['node-datachannel']

/** How long one npm or tsc run may take: npm ci fetches from the registry when its cache is cold. */
const STEP_TIMEOUT_MS = 300_000

export interface Packed {
  tarball: string
  /** bytes, compressed and unpacked */
  size: number
  unpackedSize: number
  entryCount: number
}

export async function pack (outDir: string, o: { log?: (line: string) => void } = {}): Promise<Packed> {
  const log = o.log ?? (() => {})
  const root = repoRoot()
  const stage = await mkdtemp(path.join(os.tmpdir(), 'gtm-pack-'))
  try {
    const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as Manifest
    await cp(path.join(root, 'package.json'), path.join(stage, 'package.json'))
    await cp(path.join(root, 'package-lock.json'), path.join(stage, 'package-lock.json'))
    log('npm ci --omit=dev --omit=optional')
    await run('npm', ['ci', '--omit=dev', '--omit=optional', '--ignore-scripts', '--no-audit', '--no-fund'], stage)
    log('tsc -p tsconfig.build.json')
    await run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json'), '--outDir', path.join(stage, 'dist')], root)
    log('build-browser')
    await buildBrowser(path.join(stage, 'dist', 'browser'))
    await rm(path.join(stage, 'node_modules', '.bin'), { recursive: true, force: true })
    await rm(path.join(stage, 'node_modules', '.package-lock.json'), { force: true })
    await rename(path.join(stage, 'node_modules'), path.join(stage, 'dist', 'node_modules'))
    await cp(path.join(root, 'bin'), path.join(stage, 'bin'), { recursive: true })
    await cp(path.join(root, 'README.md'), path.join(stage, 'README.md'))
    const man = (await writeManPages(path.join(stage, 'man'))).map(file => `man/${file}`)
    const platformPackages: Record<string, string> = {}
    for (const parent of PLATFORM_PARENTS) {
      const p = JSON.parse(await readFile(path.join(stage, 'dist', 'node_modules', parent, 'package.json'), 'utf8')) as Manifest
      Object.assign(platformPackages, p.optionalDependencies)
    }
    await writeFile(path.join(stage, 'package.json'), `${JSON.stringify(publishedManifest(pkg, { platformPackages, man }), null, 2)}\n`)
    await rm(path.join(stage, 'package-lock.json'))
    await mkdir(outDir, { recursive: true })
    log('npm pack')
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', path.resolve(outDir)], stage)
    const [result] = JSON.parse(stdout) as Array<{ filename: string, size: number, unpackedSize: number, entryCount: number }>
    if (result === undefined) throw new Error(`npm pack printed no result:\n${stdout}`)
    return { tarball: path.resolve(outDir, result.filename), size: result.size, unpackedSize: result.unpackedSize, entryCount: result.entryCount }
  } finally {
    await rm(stage, { recursive: true, force: true })
  }
}

async function run (command: string, args: string[], cwd: string): Promise<{ stdout: string }> {
  try {
    return await promisify(execFile)(command, args, { cwd, timeout: STEP_TIMEOUT_MS, maxBuffer: 64 << 20, encoding: 'utf8' })
  } catch (err) {
    const e = err as Error & { stderr?: string, killed?: boolean }
    throw new Error(`${command} ${args.join(' ')} failed${e.killed === true ? ` (killed after ${STEP_TIMEOUT_MS / 1000} s)` : ''}: ${e.stderr?.trim() ?? e.message}`)
  }
}

if (isMain(import.meta.url)) {
  const i = process.argv.indexOf('--out')
  const out = i === -1 ? repoRoot() : process.argv[i + 1] ?? '.'
  const packed = await pack(out, { log: line => process.stderr.write(`package: ${line}\n`) })
  process.stderr.write(`package: ${packed.entryCount} files, ${(packed.size / 2 ** 20).toFixed(1)} MiB (${(packed.unpackedSize / 2 ** 20).toFixed(1)} MiB unpacked)\n`)
  process.stdout.write(`${packed.tarball}\n`)
}
