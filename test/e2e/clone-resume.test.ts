// mirror-clone interrupted mid-download (Ctrl-C, or killed outright) keeps
// the verified pieces in its cache and a rerun resumes from them; and
// mirror-clone downloading from an independent client (aria2c) alone.
// Everything on 127.0.0.1: explicit network flags on every command.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import bencode from 'bencode'
import { aria2Seed, hasAria2 } from '../helpers/aria2.js'
import type { Running } from '../helpers/processes.js'
import { startStaticServer, type StaticServer } from '../helpers/static-server.js'
import { waitUntil } from '../helpers/wait.js'
import { json, makeWorld, QUIET_NET, type World } from './world.js'
import { assertSameAsGitClone, mirrorClone, plainClone, publish } from './clone-support.js'

/** Each test bounds itself well below this; the bound is for a hung process. */
const T = { timeout: 90_000 }
const SPEC = { binaryFiles: 4, binaryBytes: 1 << 20 }
/** No tracker, no DHT, no LSD, no UPnP: the web seed is the only source. */
const WEB_SEED_ONLY = ['--no-tracker', ...QUIET_NET]
/**
 * Per HTTP response. webtorrent asks a web seed for whole pieces, up to 4 at
 * a time, so the bundle (~4.2 MiB) arrives at about 4 x this: 6-8 s.
 */
const WEB_SEED_RATE = 128 << 10

interface WebSeeded {
  w: World
  web: StaticServer
  /** mirror-publish --json's result */
  out: any
  size: number
  pieceLength: number
  bundle: Buffer
  cache: string
  /** Where an interrupted download keeps its partial bundle. */
  partial: string
}

/**
 * A world whose bundle is published with only a throttled web seed (no
 * tracker, no DHT) and served by a static HTTP server; nobody seeds it.
 */
async function webSeededWorld (t: TestContext): Promise<WebSeeded> {
  const w = await makeWorld(t, { spec: SPEC })
  const served = path.join(w.dir, 'webseed')
  await mkdir(served)
  const web = await startStaticServer(served, { bytesPerSecond: WEB_SEED_RATE })
  t.after(async () => await web.close())
  const folder = web.url('')
  assert.ok(folder.endsWith('/'), folder)
  const r = await w.run('mirror-publish', [...WEB_SEED_ONLY, '--json', '--web-seed', folder])
  assert.equal(r.code, 0, r.stderr)
  const out = json(r)
  assert.deepEqual(out.trackers, [])
  assert.deepEqual(out.webSeeds, [folder + out.bundle.file])
  await copyFile(out.bundle.path, path.join(served, out.bundle.file))
  const bundle = await readFile(out.bundle.path)
  assert.equal(bundle.length, out.bundle.size)
  const info = (bencode.decode(await readFile(out.torrent)) as { info: Record<string, unknown> }).info
  const pieceLength = info['piece length'] as number
  const cache = path.join(w.dir, 'cache')
  return { w, web, out, size: out.bundle.size, pieceLength, bundle, cache, partial: path.join(cache, 'tmp', `download-${out.infoHash as string}`, out.bundle.file) }
}

/** Bytes of the partial download that are whole pieces equal to the bundle's: what a rerun need not fetch. */
async function verifiedBytes (s: WebSeeded): Promise<number> {
  const got = await readFile(s.partial)
  let ok = 0
  for (let at = 0; at < s.size; at += s.pieceLength) {
    const end = Math.min(s.size, at + s.pieceLength)
    if (end <= got.length && got.subarray(at, end).equals(s.bundle.subarray(at, end))) ok += end - at
  }
  return ok
}

/**
 * mirror-clone (human mode: progress on stderr) from the web seed alone,
 * stopped with `signal` once the web seed has sent `fraction` of the bundle.
 */
async function interruptedClone (s: WebSeeded, signal: NodeJS.Signals, fraction: number): Promise<{ cloner: Running, code: number | null, signal: string | null, sentBefore: number }> {
  const { w, web } = s
  web.resetStats()
  const cloner = w.start('mirror-clone', ['--cache', s.cache, ...WEB_SEED_ONLY, w.originUrl, 'mine'], w.dir)
  let exited = false
  void cloner.exited.then(() => { exited = true })
  await waitUntil(() => {
    if (exited) throw new Error(`mirror-clone ended before it was interrupted (web seed sent ${web.bytesSent} of ${s.size})\n${cloner.stderr()}`)
    return web.bytesSent >= s.size * fraction
  }, { timeoutMs: 30_000, intervalMs: 20, what: `the web seed to send ${fraction * 100}% of ${s.size} bytes` })
  const sentBefore = web.bytesSent
  // Ctrl-C once skips the source being tried; a second one right after (signals sent together would merge into one) stops the clone
  if (signal === 'SIGINT') {
    cloner.child.kill('SIGINT')
    await cloner.waitFor(/^Ctrl-C: skipping the swarm; press Ctrl-C again within 2 s to stop the clone$/, { stream: 'stderr', timeoutMs: 5000 })
  }
  const st = await cloner.stop(signal, 10_000)
  return { cloner, code: st.code, signal: st.signal, sentBefore }
}

/** The rerun: mirror-clone --json into the same directory with the same cache; what the web seed sent for it. */
async function resumedClone (s: WebSeeded): Promise<{ report: any, sent: number, stderr: string }> {
  s.web.resetStats()
  const { report, stderr } = await mirrorClone(s.w, [...WEB_SEED_ONLY, s.w.originUrl, 'mine'], { timeoutMs: 45_000 })
  return { report, sent: s.web.bytesSent, stderr }
}

/** A rerun that resumed: from the web seed, only (about) what was missing. */
function assertResumed (s: WebSeeded, report: any, sent: number, verified: number): void {
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.equal(report.fallbackReason, null)
  assert.equal(report.infoHash, s.out.infoHash)
  assert.equal(report.bytes.swarm, 0, 'no peer seeds this bundle')
  const missing = s.size - verified
  // in flight when it finished: at most a few pieces more than were missing
  const margin = 4 * s.pieceLength
  assert.ok(report.bytes.webSeed >= missing, `report says ${report.bytes.webSeed} bytes from the web seed, ${missing} were missing`)
  assert.ok(report.bytes.webSeed <= missing + margin, `report says ${report.bytes.webSeed} bytes from the web seed, only ${missing} of ${s.size} were missing`)
  assert.ok(sent <= missing + margin, `the web seed sent ${sent} bytes for the rerun, only ${missing} of ${s.size} were missing`)
  assert.ok(sent < s.size * 0.8, `the web seed sent ${sent} of ${s.size} bytes for the rerun`)
}

async function assertNoDownloadLeft (cache: string): Promise<void> {
  const tmp = path.join(cache, 'tmp')
  const left = (existsSync(tmp) ? await readdir(tmp) : []).filter(n => n.startsWith('download-'))
  assert.deepEqual(left, [], 'the download directory is gone once the clone is complete')
}

test('Ctrl-C twice mid-download stops the clone and keeps the verified pieces; the rerun resumes and fetches only the rest', T, async t => {
  const s = await webSeededWorld(t)
  const { w } = s
  const began = Date.now()
  const stopped = await interruptedClone(s, 'SIGINT', 0.45)
  const stderr = stopped.cloner.stderr()
  t.diagnostic(`interrupted after ${Date.now() - began} ms; the web seed had sent ${stopped.sentBefore} of ${s.size} bytes\n${stderr}`)

  assert.equal(stopped.code, 1, `exit status after Ctrl-C (signal ${String(stopped.signal)})\n${stderr}`)
  const failures = stderr.split('\n').filter(l => l.startsWith('mirror-clone: '))
  assert.equal(failures.length, 1, `one line saying why it stopped:\n${stderr}`)
  assert.match(failures[0]!, /partial download is kept.*rerun resumes/)
  assert.doesNotMatch(stderr, /internal error|at .*\.js:\d+/, 'no stack trace')
  assert.match(stderr, /^download +\d+%/m, 'plain progress lines on stderr (it is not a terminal)')
  assert.ok(!existsSync(path.join(w.dir, 'mine')), 'the clone directory is removed')
  assert.ok(existsSync(s.partial), `the partial download stays at ${s.partial}`)
  // besides it, at most the HTTP source's resumable part, if the second Ctrl-C came once that source had started
  assert.deepEqual((await readdir(path.join(s.cache, 'tmp'))).filter(n => !/^http-[0-9a-f]{40}$/.test(n)), [path.basename(path.dirname(s.partial))], 'nothing else is left in the cache')
  const verified = await verifiedBytes(s)
  t.diagnostic(`verified on disk: ${verified} of ${s.size} bytes (piece length ${s.pieceLength})`)
  assert.ok(verified >= s.size * 0.25, `a good part was verified before Ctrl-C: ${verified} of ${s.size}`)
  assert.ok(verified < s.size, 'and not all of it')

  const { report, sent } = await resumedClone(s)
  t.diagnostic(`rerun: the web seed sent ${sent} bytes; report ${JSON.stringify(report)}`)
  assertResumed(s, report, sent, verified)
  assert.equal(report.bundle, null, 'the bundle is deleted by default')
  await assertNoDownloadLeft(s.cache)
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')
})

test('killed mid-download (SIGKILL, as a crash): the rerun resumes from what reached the disk', T, async t => {
  const s = await webSeededWorld(t)
  const { w } = s
  const stopped = await interruptedClone(s, 'SIGKILL', 0.45)
  t.diagnostic(`killed; the web seed had sent ${stopped.sentBefore} of ${s.size} bytes`)
  assert.equal(stopped.signal, 'SIGKILL')
  // nothing could clean up: at most the empty directory the clone claimed
  const mine = path.join(w.dir, 'mine')
  assert.deepEqual(existsSync(mine) ? await readdir(mine) : [], [], 'nothing was written into the clone directory yet')
  assert.ok(existsSync(s.partial), `the partial download stays at ${s.partial}`)
  const verified = await verifiedBytes(s)
  t.diagnostic(`verified on disk: ${verified} of ${s.size} bytes (piece length ${s.pieceLength})`)
  assert.ok(verified >= s.size * 0.25, `a good part reached the disk before the kill: ${verified} of ${s.size}`)
  assert.ok(verified < s.size, 'and not all of it')

  const { report, sent } = await resumedClone(s)
  t.diagnostic(`rerun: the web seed sent ${sent} bytes; report ${JSON.stringify(report)}`)
  assertResumed(s, report, sent, verified)
  await assertNoDownloadLeft(s.cache)
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')
})

test('interop: mirror-clone downloads the bundle from aria2c alone', T, async t => {
  assert.ok(hasAria2(), 'aria2c is needed for the interop tests (apt-get install -y aria2)')
  const w = await makeWorld(t, { spec: { binaryFiles: 3, binaryBytes: 1 << 20 } })
  const out = await publish(w)   // announces to w.tracker only; nobody runs mirror-seed
  assert.deepEqual(out.trackers, [w.tracker.announceUrl])
  const dataDir = path.join(w.dir, 'aria2-seed')
  await mkdir(dataDir)
  await copyFile(out.bundle.path, path.join(dataDir, out.bundle.file))
  const seeder = await aria2Seed(out.torrent, dataDir, { tracker: w.tracker, env: w.env, timeoutMs: 60_000 })
  t.after(async () => await seeder.stop())

  const { report } = await mirrorClone(w, [...w.net, '--timeout', '30', w.originUrl, 'mine'], { timeoutMs: 60_000 })
  t.diagnostic(JSON.stringify(report))
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.equal(report.fallbackReason, null)
  assert.equal(report.infoHash, out.infoHash)
  assert.equal(report.bytes.webSeed, 0)
  assert.ok(report.bytes.swarm >= out.bundle.size && report.bytes.swarm <= out.bundle.size * 1.05,
    `bytes.swarm ${report.bytes.swarm}, the bundle has ${out.bundle.size}`)
  assert.equal(report.bundle, null)
  await assertNoDownloadLeft(path.join(w.dir, 'cache'))
  await seeder.stop()
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')
})
