// mirror-clone over several sources (DESIGN.md "Sources"): the bundle over
// plain HTTP, full git mirrors served by a second `git http-backend`, trying
// the next source when one is down, behind, lying, slow or skipped with
// Ctrl-C, and no second pack negotiation with the origin when the sources
// already hold everything it advertised. Every clone ends equal to
// `git clone`. Everything on 127.0.0.1.
import assert from 'node:assert/strict'
import { copyFile, mkdir, readdir } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { makeRepo } from '../../fixtures/make-repo.js'
import { aria2Seed, hasAria2 } from '../helpers/aria2.js'
import { git } from '../helpers/env.js'
import { startGitServer, type GitServer } from '../helpers/git-server.js'
import { startStaticServer, type StaticServer } from '../helpers/static-server.js'
import { freePort, waitUntil, withDeadline } from '../helpers/wait.js'
import { json, makeWorld, QUIET_NET, type World } from './world.js'
import { assertSameAsGitClone, mirrorClone, plainClone } from './clone-support.js'

const SMALL = { binaryFiles: 3, binaryBytes: 512 << 10 }
const BOUND = { timeout: 120_000 }
/** No tracker, no DHT: a torrent nobody seeds, unless a test adds a seeder. */
const NOBODY = ['--no-tracker', ...QUIET_NET]

/** mirror-publish --json with no swarm at all, plus `extra`. */
async function publishAlone (w: World, extra: string[] = []): Promise<any> {
  const r = await w.run('mirror-publish', [...NOBODY, '--json', ...extra])
  assert.equal(r.code, 0, r.stderr)
  return json(r)
}

/** A second smart-HTTP git server, for full mirrors of the origin. */
async function mirrorServer (w: World, t: { after: (fn: () => Promise<void>) => void }): Promise<{ server: GitServer, root: string }> {
  const root = path.join(w.dir, 'mirrors')
  await mkdir(root, { recursive: true })
  const server = await startGitServer({ root, env: w.env })
  t.after(async () => await server.close())
  return { server, root }
}

/** A `git clone --mirror` of the origin as it is now, served as <name>. */
async function mirrorOf (w: World, root: string, name: string): Promise<string> {
  const dir = path.join(root, name)
  await git(['clone', '--quiet', '--mirror', w.origin, dir], { cwd: w.dir, env: w.env })
  return dir
}

/** New commits on the origin's main (through the work clone), pushed: whoever copied it before is behind. */
async function advanceOrigin (w: World, n = 2): Promise<void> {
  await w.git(['pull', '--quiet', '--ff-only'])
  for (let i = 0; i < n; i++) {
    await w.git(['commit', '--quiet', '--allow-empty', '-m', `after the mirror ${i}`])
  }
  await w.git(['push', '--quiet', 'origin', 'main'])
}

/** GETs of info/refs for upload-pack: one per git process that talked to the server. */
function uploadPackConnections (server: GitServer): number {
  return server.requests.filter(r => r.method === 'GET' && r.path.endsWith('/info/refs') && r.query.includes('git-upload-pack')).length
}

/**
 * The published bundle on a plain HTTP server of its own (paced to
 * `bytesPerSecond` if given), recorded in refs/mirrors/bundle/http as
 * mirror-publish --web-seed records it, while the torrent names no web seed.
 */
async function bundleOverHttp (w: World, t: { after: (fn: () => Promise<void>) => void }, out: any, o: { bytesPerSecond?: number } = {}): Promise<StaticServer> {
  const www = path.join(w.dir, 'www')
  await mkdir(www, { recursive: true })
  await copyFile(out.bundle.path, path.join(www, out.bundle.file))
  const web = await startStaticServer(www, o)
  t.after(async () => await web.close())
  const oid = await git(['hash-object', '-w', '--stdin'], { cwd: w.origin, env: w.env, input: `${web.url(out.bundle.file)}\n` })
  await git(['update-ref', 'refs/mirrors/bundle/http', oid], { cwd: w.origin, env: w.env })
  return web
}

test('no seeder, the bundle on a plain HTTP server (refs/mirrors/bundle/http): method http, the origin sends a small fraction', BOUND, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const out = await publishAlone(w)
  const web = await bundleOverHttp(w, t, out)
  const plain = await plainClone(w, 'theirs')

  w.server.resetStats()
  const { report, stderr } = await mirrorClone(w, [...NOBODY, '--timeout', '2', w.originUrl, 'mine'])
  t.diagnostic(JSON.stringify(report))
  assert.equal(report.method, 'http', report.fallbackReason)
  assert.deepEqual(report.attempts.map((a: any) => [a.source, a.outcome]), [['torrent', 'failed'], ['http', 'used']])
  assert.match(report.attempts[0].reason, /^no data for 2 s/)
  assert.equal(report.attempts[1].url, web.url(out.bundle.file))
  assert.equal(report.bytes.http, out.bundle.size)
  assert.equal(report.attempts[1].bytes, out.bundle.size)
  assert.equal(web.bytesSent, out.bundle.size)
  assert.equal(report.bytes.swarm + report.bytes.webSeed, 0)
  assert.ok(report.bytes.origin <= w.server.bytesSent && w.server.bytesSent < plain.bytes * 0.1, `the origin sent ${w.server.bytesSent}, git clone took ${plain.bytes}`)
  assert.equal(report.indexedBy, 'git')
  assert.match(stderr, /not using the swarm: no data for 2 s.*; trying http:\/\/127\.0\.0\.1:\d+\//)
  await assertSameAsGitClone(w, 'mine', 'theirs')
  assert.equal(await w.git(['for-each-ref', 'refs/mirror/'], path.join(w.dir, 'mine')), '', 'no staging ref remains')
  assert.deepEqual((await readdir(path.join(w.dir, 'cache', 'tmp'))).filter(n => n.startsWith('http-')), [], 'the HTTP download leaves the cache once used')
})

test('no seeder, a full git mirror (refs/mirrors/fetch/http): method mirror, and no second pack negotiation with the origin', BOUND, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const { server: mirrors, root } = await mirrorServer(w, t)
  await mirrorOf(w, root, 'project.git')
  const out = await publishAlone(w, ['--fetch-mirror', mirrors.url('project.git')])
  assert.deepEqual(out.fetchMirrors, [mirrors.url('project.git')])
  assert.equal(await git(['cat-file', 'blob', 'refs/mirrors/fetch/http'], { cwd: w.origin, env: w.env }), mirrors.url('project.git'))
  const plain = await plainClone(w, 'theirs')

  w.server.resetStats()
  const { report } = await mirrorClone(w, [...NOBODY, '--timeout', '2', w.originUrl, 'mine'])
  t.diagnostic(JSON.stringify(report))
  assert.equal(report.method, 'mirror', report.fallbackReason)
  assert.deepEqual(report.attempts.map((a: any) => [a.source, a.outcome]), [['torrent', 'failed'], ['mirror', 'used']])
  assert.ok(report.bytes.mirror > out.bundle.size * 0.9, `the mirror sent ${report.bytes.mirror}`)
  assert.ok(w.server.bytesSent < plain.bytes * 0.1, `the origin sent ${w.server.bytesSent}, git clone took ${plain.bytes}`)
  // the mirror is current: the origin is asked for its refs and records, never for a pack of branches
  assert.equal(report.originFetched, false)
  assert.equal(uploadPackConnections(w.server), 2, JSON.stringify(w.server.requests))
  await assertSameAsGitClone(w, 'mine', 'theirs')
  assert.equal(await w.git(['for-each-ref', 'refs/mirror/'], path.join(w.dir, 'mine')), '', 'no staging ref remains')
})

test('skip-reconnect is measured: a current bundle needs no final fetch; one the origin has moved past does', BOUND, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  await bundleOverHttp(w, t, await publishAlone(w))
  const only = ['--sources', 'http', ...NOBODY]

  w.server.resetStats()
  const current = await mirrorClone(w, [...only, w.originUrl, 'current'])
  assert.equal(current.report.method, 'http', current.report.fallbackReason)
  assert.equal(current.report.originFetched, false)
  assert.equal(uploadPackConnections(w.server), 2, 'ls-remote and the records: no third connection')
  await plainClone(w, 'theirs-now')
  await assertSameAsGitClone(w, 'current', 'theirs-now')

  await advanceOrigin(w)
  w.server.resetStats()
  const behind = await mirrorClone(w, [...only, w.originUrl, 'behind'])
  assert.equal(behind.report.method, 'http', behind.report.fallbackReason)
  assert.equal(behind.report.originFetched, true)
  assert.equal(uploadPackConnections(w.server), 3, 'the final fetch is the third connection')
  assert.ok(behind.report.bytes.origin > 0)
  await plainClone(w, 'theirs-later')
  await assertSameAsGitClone(w, 'behind', 'theirs-later')
})

test('try-next: one mirror down, one behind, one lying; the clone ends correct and attempts says what each did', BOUND, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const { server: mirrors, root } = await mirrorServer(w, t)
  await mirrorOf(w, root, 'behind.git')
  await advanceOrigin(w)
  // a repository with the origin's ref names and none of its history
  await makeRepo(path.join(root, 'liar.git'), { ...SMALL, seed: 99 }, { env: w.env, bare: true })
  const down = `http://127.0.0.1:${await freePort()}/project.git`
  const urls = [down, mirrors.url('behind.git'), mirrors.url('liar.git')]
  await publishAlone(w, urls.flatMap(u => ['--fetch-mirror', u]))
  const plain = await plainClone(w, 'theirs')

  w.server.resetStats()
  const { report, stderr } = await mirrorClone(w, [...NOBODY, '--sources', 'mirror', '--timeout', '5', w.originUrl, 'mine'])
  t.diagnostic(JSON.stringify(report.attempts, null, 1))
  assert.deepEqual(report.attempts.map((a: any) => [a.url, a.outcome]), [[down, 'failed'], [urls[1], 'used'], [urls[2], 'refused']])
  const [a, b, c] = report.attempts
  assert.match(a.reason, /Failed to connect|Connection refused|Couldn't connect/i)
  assert.match(b.reason, /^behind the origin/)
  assert.deepEqual(b.discardedRefs, [])
  assert.match(c.reason, /^none of the mirror's refs is in the origin's history/)
  assert.ok(c.discardedRefs.length > 0 && c.discardedRefs.every((r: string) => r.startsWith('refs/mirror/127.0.0.1_')), JSON.stringify(c.discardedRefs))
  assert.deepEqual([...report.discardedRefs].sort(), [...c.discardedRefs].sort())
  assert.equal(report.method, 'mirror')
  assert.equal(report.originFetched, true)
  assert.ok(w.server.bytesSent < plain.bytes * 0.2, `the origin sent ${w.server.bytesSent} (what the behind mirror lacked), git clone took ${plain.bytes}`)
  assert.match(stderr, /is behind the origin; trying http:\/\/127\.0\.0\.1:\d+\/liar\.git for the rest/)
  await assertSameAsGitClone(w, 'mine', 'theirs')
  assert.equal(await w.git(['for-each-ref', 'refs/mirror/'], path.join(w.dir, 'mine')), '', 'no staging ref remains')
})

test('a protocol the user disallows (mirror.allowProtocols) is skipped, and --sources orders the sources', BOUND, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const { server: mirrors, root } = await mirrorServer(w, t)
  await mirrorOf(w, root, 'project.git')
  await publishAlone(w, ['--fetch-mirror', mirrors.url('project.git'), '--fetch-mirror', 'git://127.0.0.1:9/project.git'])
  assert.equal(await git(['cat-file', 'blob', 'refs/mirrors/fetch/git'], { cwd: w.origin, env: w.env }), 'git://127.0.0.1:9/project.git')
  const refusedUrl = await w.run('mirror-publish', [...NOBODY, '--fetch-mirror', 'file:///srv/project.git'])
  assert.equal(refusedUrl.code, 2, refusedUrl.stderr)
  assert.match(refusedUrl.stderr, /^mirror-publish: fetch mirror "file:\/\/\/srv\/project\.git" file:\/\/ does not belong in this record/m)
  await w.git(['config', '--global', 'mirror.allowProtocols', 'https,http'])

  const { report } = await mirrorClone(w, [...NOBODY, '--sources', 'mirror,torrent', '--timeout', '2', w.originUrl, 'mine'])
  t.diagnostic(JSON.stringify(report.attempts))
  assert.deepEqual(report.attempts.map((a: any) => [a.source, a.outcome]), [['mirror', 'skipped'], ['mirror', 'used'], ['torrent', 'skipped']])
  assert.equal(report.attempts[0].url, 'git://127.0.0.1:9/project.git')
  assert.match(report.attempts[0].reason, /protocol git is not allowed \(mirror\.allowProtocols\)/)
  assert.match(report.attempts[2].reason, /every ref the origin advertised/)
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')

  const bad = await w.run('mirror-clone', ['--sources', 'torrent,ftp', w.originUrl, 'nope'], w.dir)
  assert.equal(bad.code, 2, bad.stderr)
  assert.match(bad.stderr, /--sources: "ftp" is not a source/)
})

test('Ctrl-C while a slow source serves skips to the next; a second Ctrl-C stops the clone with nothing left behind', BOUND, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 4, binaryBytes: 1 << 20 } })
  const { server: mirrors, root } = await mirrorServer(w, t)
  await mirrorOf(w, root, 'project.git')
  const out = await publishAlone(w, ['--fetch-mirror', mirrors.url('project.git')])
  const slow = await bundleOverHttp(w, t, out, { bytesPerSecond: 64 << 10 })
  const args = ['--json', '--cache', path.join(w.dir, 'cache'), ...NOBODY, '--sources', 'http,mirror', '--min-rate', '1K', w.originUrl]

  // once: the slow HTTP source is skipped, the mirror serves
  const cloner = w.start('mirror-clone', [...args, 'mine'], w.dir)
  await waitUntil(() => slow.bytesSent > 0, { timeoutMs: 20_000, what: 'the slow server to start sending' })
  cloner.child.kill('SIGINT')
  const st = await withDeadline(cloner.exited, 60_000, 'mirror-clone to finish from the mirror')
  assert.equal(st.code, 0, cloner.stderr())
  const report = JSON.parse(cloner.stdout())
  t.diagnostic(JSON.stringify(report.attempts))
  assert.deepEqual(report.attempts.map((a: any) => [a.source, a.outcome]), [['http', 'skipped'], ['mirror', 'used']])
  assert.equal(report.attempts[0].reason, 'skipped by the user (Ctrl-C)')
  assert.ok(report.attempts[0].bytes > 0 && report.attempts[0].bytes < out.bundle.size)
  assert.match(cloner.stderr(), /^Ctrl-C: skipping http:\/\/127\.0\.0\.1:\d+\/\S+; press Ctrl-C again within 2 s to stop the clone$/m)
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')

  // twice: it stops, exit status 1, the clone directory removed; the partial HTTP download stays to resume
  const again = w.start('mirror-clone', [...args, 'stopped'], w.dir)
  await waitUntil(() => slow.bytesSent > report.attempts[0].bytes * 2, { timeoutMs: 20_000, what: 'the slow server to send again' })
  again.child.kill('SIGINT')
  await again.waitFor(/^Ctrl-C: skipping/, { stream: 'stderr', timeoutMs: 5000 })
  const stopped = await again.stop('SIGINT', 20_000)
  assert.equal(stopped.code, 1, again.stderr())
  assert.match(again.stderr(), /^mirror-clone: .*interrupted/m)
  assert.equal(JSON.parse(again.stdout()).error.code, 'ABORTED')
  assert.equal(existsSync(path.join(w.dir, 'stopped')), false, 'the clone directory is removed')
})

test('a trickle is a stall: a web seed at a few KB/s, then a peer that barely sends, are left within the window', BOUND, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const www = path.join(w.dir, 'www')
  await mkdir(www)
  const trickle = await startStaticServer(www, { bytesPerSecond: 4 << 10 })
  t.after(async () => await trickle.close())
  const out = await publishAlone(w, ['--web-seed', trickle.url('')])
  await copyFile(out.bundle.path, path.join(www, out.bundle.file))

  // the torrent's web seed and the same URL over plain HTTP both trickle: each is left after about one window
  // (webtorrent counts a web seed's bytes a whole piece at a time: at 4 KB/s none may have landed in 3 s)
  const first = await mirrorClone(w, [...NOBODY, '--timeout', '3', w.originUrl, 'via-web-seed'])
  t.diagnostic(JSON.stringify(first.report.attempts))
  assert.equal(first.report.method, 'origin')
  assert.deepEqual(first.report.attempts.map((a: any) => [a.source, a.outcome]), [['torrent', 'failed'], ['http', 'failed']])
  const [viaWebSeed, viaHttp] = first.report.attempts
  assert.match(viaWebSeed.reason, /^(too slow: .* in 3 s .*under the minimum of 32\.0 KiB\/s|no data for 3 s from any peer or web seed)/)
  assert.match(viaHttp.reason, /^too slow: \d.* in 3 s from http:\S+, under the minimum of 32\.0 KiB\/s; the partial download is kept$/)
  assert.ok(viaHttp.bytes > 0, 'the server did send something')
  for (const a of first.report.attempts) assert.ok(a.seconds < 3 * 3, `left after ${String(a.seconds)} s, the window is 3 s`)
  assert.ok(trickle.bytesSent > 0 && trickle.bytesSent < out.bundle.size / 4, `the trickling server sent ${trickle.bytesSent}`)

  // a real peer (aria2c) held to 4 KiB/s: the swarm is left as well
  assert.ok(hasAria2(), 'aria2c is needed (apt-get install -y aria2)')
  const tracker = w.tracker
  const pub = await w.run('mirror-publish', ['--tracker', tracker.announceUrl, ...QUIET_NET, '--json'])
  assert.equal(pub.code, 0, pub.stderr)
  const withTracker = json(pub)
  const seedDir = path.join(w.dir, 'aria2-seed')
  await mkdir(seedDir)
  await copyFile(withTracker.bundle.path, path.join(seedDir, withTracker.bundle.file))
  const seeder = await aria2Seed(withTracker.torrent, seedDir, { tracker, env: w.env, maxUploadLimit: '4K', timeoutMs: 60_000 })
  t.after(async () => await seeder.stop())
  const second = await mirrorClone(w, [...w.net, '--sources', 'torrent', '--timeout', '3', w.originUrl, 'via-slow-peer'])
  t.diagnostic(JSON.stringify(second.report.attempts))
  assert.equal(second.report.method, 'origin')
  const [swarm] = second.report.attempts
  assert.equal(swarm.outcome, 'failed')
  assert.match(swarm.reason, /^(too slow: .* in 3 s from [1-9]\d* peers|no data for 3 s from any peer or web seed \([1-9]\d* peers\))/)
  assert.ok(swarm.seconds < 3 * 3, `left after ${String(swarm.seconds)} s, the window is 3 s`)
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'via-web-seed', 'theirs')
  await assertSameAsGitClone(w, 'via-slow-peer', 'theirs')
})
