// mirror-daemon as a service manager runs it (no --foreground: logs on
// stderr, stopped by a signal). SIGTERM in the middle of a download stops it
// within a bounded time with status 0 and leaves no half-written store
// entry, only a partial download that the next start resumes. kill -9 while
// a client (aria2c, rate-limited) downloads from it, then a restart: the
// client finishes from the restarted daemon, nothing in the store was lost or
// re-hashed (the daemon tells a re-hash, and does tell it for a bundle whose
// mtime was changed: the control), and a fresh mirror-clone from the daemon
// alone equals git clone.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { copyFile, mkdir, readdir, readFile, stat, utimes } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { parseBundleMeta, type BundleMeta } from '../../src/core/bundle-meta.js'
import { aria2Download, hasAria2 } from '../helpers/aria2.js'
import type { ExitStatus, Running } from '../helpers/processes.js'
import { startStaticServer } from '../helpers/static-server.js'
import { waitUntil } from '../helpers/wait.js'
import { advance, assertSameAsGitClone, mirrorClone, plainClone, publish, startSeeder } from './clone-support.js'
import { json, makeWorld, QUIET_NET, type World } from './world.js'

const T = { timeout: 180_000 }
/** A bundle of about 4.2 MB: long enough to be caught mid-transfer at the rates below. */
const SPEC = { binaryFiles: 4, binaryBytes: 1 << 20, branches: 1, tags: 1 }
/** Per web seed response; webtorrent asks for up to 4 pieces at once: about 0.5 MB/s, 8 s for the bundle. */
const WEB_SEED_RATE = 128 << 10
/** How long a stop may take: the daemon's close() is bounded by its looks, which the abort ends. */
const STOP_BOUND_MS = 10_000
/** What the daemon prints when it re-hashes a stored bundle before seeding it (src/service/daemon.ts). */
const REHASHED = /changed on disk since it was last verified/

/** mirror-daemon in the background mode a service manager uses: stdin closed, messages on stderr. */
function startDaemon (w: World, store: string, net: string[]): Running {
  return w.start('mirror-daemon', ['--interval', '600', '--timeout', '30', '--store', store, ...net])
}

/** The signal's time to an exit, bounded. */
async function stopWithin (d: Running, signal: NodeJS.Signals, ms: number): Promise<{ exit: ExitStatus, ms: number }> {
  const t0 = Date.now()
  d.child.kill(signal)
  const exit = await Promise.race([d.exited, new Promise<null>(resolve => setTimeout(() => resolve(null), ms).unref())])
  assert.notEqual(exit, null, `mirror-daemon still ran ${ms} ms after ${signal}\n--- stderr\n${d.stderr().slice(-3000)}`)
  return { exit: exit!, ms: Date.now() - t0 }
}

interface StoreState {
  /** bundles/<a>/<b>/<c>/ whose meta.json parses, is stored where its states say, and whose bundle has the size it records */
  entries: Array<{ dir: string, meta: BundleMeta, metaText: string, metaMtimeMs: number, bundle: string }>
  /** any other directory at an entry's depth: a half-written entry */
  broken: string[]
  /** names in tmp/ */
  tmp: string[]
}

/** What a store directory holds, read from the disk with no code of the store's. */
async function storeState (store: string): Promise<StoreState> {
  const out: StoreState = { entries: [], broken: [], tmp: (await readdir(path.join(store, 'tmp'))).sort() }
  const bundles = path.join(store, 'bundles')
  for (const a of await readdir(bundles)) {
    for (const b of await readdir(path.join(bundles, a))) {
      for (const c of await readdir(path.join(bundles, a, b))) {
        const dir = path.join(bundles, a, b, c)
        try {
          const metaText = await readFile(path.join(dir, 'meta.json'), 'utf8')
          const meta = parseBundleMeta(metaText)
          assert.equal(`${a}${b}`, meta.start)
          assert.equal(c, meta.end)
          const bundle = path.join(dir, ...(meta.folder === null ? [] : [meta.folder]), meta.file)
          assert.equal((await stat(bundle)).size, meta.size)
          await stat(path.join(dir, `${meta.file}.torrent`))
          out.entries.push({ dir, meta, metaText, metaMtimeMs: (await stat(path.join(dir, 'meta.json'))).mtimeMs, bundle })
        } catch (err) {
          out.broken.push(`${dir}: ${(err as Error).message}`)
        }
      }
    }
  }
  return out
}

/** Bytes of the regular files under dir. */
/**
 * The bytes the files under `dir` hold: their allocated blocks, not their
 * sizes. aria2c (--file-allocation=none) and webtorrent write pieces where
 * they belong, so a file with only its last piece written already has its
 * full size (a CI run saw "aria2c had 4222702 of 4222611 bytes" right
 * after 768 KiB were asked for); its blocks count what was written.
 */
async function bytesUnder (dir: string): Promise<number> {
  let n = 0
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (!e.isFile()) continue
    const st = await stat(path.join(e.parentPath, e.name))
    n += Math.min(st.size, st.blocks * 512)
  }
  return n
}

async function sha256 (file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex')
}

test('mirror-daemon: SIGTERM during a download exits 0 within 10 s, leaves no half-written store entry, and the next start resumes the partial download', T, async t => {
  const w = await makeWorld(t, { spec: SPEC })
  // the bundle's only source: a paced web seed (no tracker, nobody seeds it)
  const served = path.join(w.dir, 'webseed')
  await mkdir(served)
  const web = await startStaticServer(served, { bytesPerSecond: WEB_SEED_RATE })
  t.after(async () => await web.close())
  const net = ['--no-tracker', ...QUIET_NET]
  const r = await w.run('mirror-publish', [...net, '--json', '--web-seed', web.url('')])
  assert.equal(r.code, 0, r.stderr)
  const out = json(r)
  await copyFile(out.bundle.path, path.join(served, out.bundle.file))
  const size: number = out.bundle.size
  const store = path.join(w.dir, 'daemon-store')
  const partial = path.join(store, 'tmp', `download-${out.infoHash as string}`)

  const d1 = startDaemon(w, store, net)
  await d1.waitFor(/^STATUS origin downloading what it publishes$/, { stream: 'stderr', timeoutMs: 60_000 })
  await waitUntil(async () => await bytesUnder(partial) >= size / 8, { timeoutMs: 60_000, intervalMs: 100, what: `an eighth of the bundle in ${partial}` })
  const stopped = await stopWithin(d1, 'SIGTERM', STOP_BOUND_MS)
  assert.deepEqual([stopped.exit.code, stopped.exit.signal], [0, null], `exit status 0 on SIGTERM\n${d1.stderr()}`)
  assert.doesNotMatch(d1.stderr(), /^ERROR /m, 'a stop is not a failure of the remote')
  const after = await storeState(store)
  assert.deepEqual(after.broken, [], 'no half-written entry')
  assert.deepEqual(after.entries, [], 'the download was stopped before it completed')
  assert.deepEqual(after.tmp, [path.basename(partial)], 'tmp/ holds the partial download alone: its lock released, no scratch directory left')
  const kept = await bytesUnder(partial)
  assert.ok(kept > 0 && kept < size, `a partial download (${kept} of ${size} bytes)`)
  t.diagnostic(`stopped in ${stopped.ms} ms with ${kept} of ${size} bytes downloaded`)

  // the next start resumes it: the web seed sends what was missing, not the whole bundle again
  web.resetStats()
  const d2 = startDaemon(w, store, net)
  await d2.waitFor(/^STATUS origin seeding 1 bundle\(s\)/, { stream: 'stderr', timeoutMs: 60_000 })
  assert.ok(web.bytesSent < size, `resumed: the web seed sent ${web.bytesSent} bytes of ${size}`)
  assert.deepEqual([(await stopWithin(d2, 'SIGTERM', STOP_BOUND_MS)).exit.code], [0])
  const done = await storeState(store)
  assert.deepEqual(done.broken, [])
  assert.deepEqual(done.tmp, [], 'the download, committed, left nothing in tmp/')
  assert.equal(done.entries.length, 1)
  assert.equal(await sha256(done.entries[0]!.bundle), out.bundle.sha256, 'the stored bundle is the published one')
})

test('mirror-daemon: kill -9 while a client downloads from it, then a restart: the client finishes, nothing is lost or re-hashed, a mirror-clone from the daemon alone equals git clone', { ...T, skip: hasAria2() ? false : 'aria2c is not installed (apt-get install aria2): it is the client downloading from the daemon' }, async t => {
  const w = await makeWorld(t, { spec: SPEC })
  await publish(w)
  await advance(w, 'one', 64 << 10)
  await publish(w)
  await advance(w, 'two', 64 << 10)
  await publish(w)   // a list of three: the base and two increments
  const maintainer = await startSeeder(w)
  t.after(async () => await maintainer.stop('SIGINT'))
  const store = path.join(w.dir, 'daemon-store')
  const d1 = startDaemon(w, store, w.net)
  await d1.waitFor(/^STATUS origin seeding 3 bundle\(s\)/, { stream: 'stderr', timeoutMs: 90_000 })
  await maintainer.stop('SIGINT')   // from here on the daemon is the only seeder
  const before = await storeState(store)
  assert.equal(before.entries.length, 3)
  const base = before.entries.find(e => e.meta.start === '0'.repeat(40))!

  // a client downloading the base from the daemon, at 256 KiB/s, re-asking the tracker every second
  const outDir = path.join(w.dir, 'aria2')
  const client = aria2Download(path.join(base.dir, `${base.meta.file}.torrent`), outDir, {
    env: w.env, timeoutMs: 120_000, stallSeconds: 60, extraArgs: ['--max-download-limit=256K', '--bt-tracker-interval=1']
  })
  client.catch(() => {})   // awaited below
  await waitUntil(async () => await bytesUnder(outDir) >= 768 << 10,
    { timeoutMs: 60_000, intervalMs: 100, what: 'aria2c to have 768 KiB of the base from the daemon' })
  const killed = await stopWithin(d1, 'SIGKILL', STOP_BOUND_MS)
  assert.equal(killed.exit.signal, 'SIGKILL')
  const atKill = await bytesUnder(outDir)
  assert.ok(atKill < base.meta.size, `killed under load: aria2c had ${atKill} of ${base.meta.size} bytes`)

  const restart = Date.now()
  const d2 = startDaemon(w, store, w.net)
  await d2.waitFor(/^STATUS origin seeding 3 bundle\(s\)/, { stream: 'stderr', timeoutMs: 60_000 })
  const reseeded = Date.now() - restart
  const { file } = await client
  t.diagnostic(`killed with ${atKill} of ${base.meta.size} bytes at the client; seeding again ${reseeded} ms after the restart; the client done ${Date.now() - restart} ms after it`)
  assert.equal(await sha256(file), await sha256(base.bundle), 'the client finished from the restarted daemon')
  assert.doesNotMatch(d2.stderr(), REHASHED, 'nothing verified before was re-hashed')
  assert.doesNotMatch(d2.stderr(), /^ERROR /m)
  const restarted = await storeState(store)
  assert.deepEqual(restarted.broken, [])
  assert.deepEqual(restarted.entries.map(e => [e.dir, e.metaText, e.metaMtimeMs]), before.entries.map(e => [e.dir, e.metaText, e.metaMtimeMs]),
    'every entry as it was, meta.json untouched (a re-hash rewrites it)')
  for (const e of restarted.entries) assert.equal(await sha256(e.bundle), await sha256(before.entries.find(b => b.dir === e.dir)!.bundle))

  // the control: a bundle whose mtime changed is re-hashed, and the daemon says so, once
  assert.equal((await stopWithin(d2, 'SIGTERM', STOP_BOUND_MS)).exit.code, 0)
  const touched = before.entries.find(e => e !== base)!
  await utimes(touched.bundle, new Date(), new Date(Date.now() - 3_600_000))
  const d3 = startDaemon(w, store, w.net)
  await d3.waitFor(/^STATUS origin seeding 3 bundle\(s\)/, { stream: 'stderr', timeoutMs: 60_000 })
  const rehashed = d3.stderr().split('\n').filter(l => REHASHED.test(l))
  assert.deepEqual(rehashed, [`STATUS - ${touched.meta.file}: changed on disk since it was last verified; every piece verifies`])

  // a fresh clone from the daemon alone (the maintainer's seeder and aria2c are gone)
  const clone = await mirrorClone(w, [...w.net, '--timeout', '30', w.originUrl, 'mine'])
  assert.equal(clone.report.method, 'torrent', clone.stderr)
  assert.ok(clone.report.bytes.swarm > 0, 'the bundle came from the swarm: the daemon')
  await plainClone(w, path.join(w.dir, 'theirs'))
  await assertSameAsGitClone(w, 'mine', 'theirs')
  assert.equal((await stopWithin(d3, 'SIGTERM', STOP_BOUND_MS)).exit.code, 0)
})
