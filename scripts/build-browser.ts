// npm run build (and npm test, npm run package): the browser clone page
// (src/browser/) bundled with esbuild into dist/browser/: index.html and
// clone.js, which mirror-daemon --http serves at /clone/.
// - webtorrent is imported prebuilt (webtorrent/dist/webtorrent.min.js, an
//   ES module carrying its own browser polyfills): bundling its Node source
//   for a browser fails on `events`, `path` and friends.
// - `Buffer` is injected (the `buffer` package): isomorphic-git and our core
//   modules use the global one.
// - `node:crypto`, which the shared core modules import, becomes
//   src/browser/shims/node-crypto.ts (sha.js hashes; no synchronous ed25519).
import { cp, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { build } from 'esbuild'
import { isMain, repoRoot } from '../test/helpers/processes.js'

export async function buildBrowser (outDir: string): Promise<{ bytes: number }> {
  const src = path.join(repoRoot(), 'src', 'browser')
  await mkdir(outDir, { recursive: true })
  const result = await build({
    entryPoints: [path.join(src, 'clone-page.ts')],
    outfile: path.join(outDir, 'clone.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome113', 'firefox129', 'safari17'],
    minify: true,
    legalComments: 'eof',
    inject: [path.join(src, 'shims', 'buffer.ts')],
    alias: {
      'node:crypto': path.join(src, 'shims', 'node-crypto.ts')
    },
    absWorkingDir: repoRoot(),
    metafile: true,
    logLevel: 'warning'
  })
  await cp(path.join(src, 'clone.html'), path.join(outDir, 'index.html'))
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)
  return { bytes }
}

if (isMain(import.meta.url)) {
  const { bytes } = await buildBrowser(path.join(repoRoot(), 'dist', 'browser'))
  process.stderr.write(`build-browser: dist/browser/clone.js, ${(bytes / 1024).toFixed(0)} KiB\n`)
}
