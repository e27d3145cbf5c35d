// Sources in the swarm that waste a clone (issue 13, items 1 and 2): a web
// seed that accepts connections and never answers, and a peer that answers
// every request with wrong bytes. A healthy seeder is there each time; the
// clone must come from the swarm, equal to git clone. Everything on
// loopback; the lying peer is aria2c on 127.0.0.2, an address of its own.
import assert from 'node:assert/strict'
import { copyFile, mkdir, open, stat } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { aria2Seed, hasAria2 } from '../helpers/aria2.js'
import { git } from '../helpers/env.js'
import { startSilentServer } from '../helpers/silent-server.js'
import { startStaticServer } from '../helpers/static-server.js'
import { assertSameAsGitClone, mirrorClone, plainClone, publish, startSeeder } from './clone-support.js'
import { makeWorld, QUIET_NET } from './world.js'

const SMALL = { binaryFiles: 3, binaryBytes: 512 << 10 }
const BOUND = { timeout: 180_000 }

test('a web seed that never answers holds no piece for long: the clone comes from the healthy seeder', BOUND, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const silent = await startSilentServer()
  t.after(async () => await silent.close())
  const out = await publish(w, ['--web-seed', silent.url('')])
  const seeder = await startSeeder(w)
  t.after(async () => await seeder.stop())

  // before: the pieces the silent web seed was asked for stayed its own until the clone gave up after --timeout
  const { report, stderr } = await mirrorClone(w, [...w.net, '--sources', 'torrent', '--timeout', '30', w.originUrl, 'mine'])
  t.diagnostic(JSON.stringify(report.attempts))
  assert.equal(report.method, 'torrent', stderr)
  assert.equal(report.bytes.webSeed, 0)
  assert.ok(silent.connections > 0, 'the web seed was asked')
  assert.match(stderr, new RegExp(`web seed ${silent.url('').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\S* is not answering; asking other sources`))
  assert.ok(report.bytes.swarm >= out.bundle.size)
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')

  // the same through a magnet record whose ws= names the silent server (an as= is read the same way)
  const magnet = `magnet:?xt=urn:btih:${String(out.infoHash)}&tr=${encodeURIComponent(w.tracker.announceUrl)}&ws=${encodeURIComponent(silent.url(out.bundle.file))}\n`
  const oid = await git(['hash-object', '-w', '--stdin'], { cwd: w.origin, env: w.env, input: magnet })
  await git(['update-ref', 'refs/mirrors/bundle/magnet', oid], { cwd: w.origin, env: w.env })
  await git(['update-ref', '-d', 'refs/mirrors/bundle/torrent'], { cwd: w.origin, env: w.env })
  const seen = silent.connections
  const viaMagnet = await mirrorClone(w, [...w.net, '--sources', 'torrent', '--timeout', '30', '--cache', path.join(w.dir, 'cache-magnet'), w.originUrl, 'mine-magnet'])
  assert.equal(viaMagnet.report.method, 'torrent', viaMagnet.stderr)
  assert.ok(silent.connections > seen, 'the magnet\'s web seed was asked')
  assert.match(viaMagnet.stderr, /is not answering; asking other sources/)
  await assertSameAsGitClone(w, 'mine-magnet', 'theirs')
})

test('a peer that sends corrupt pieces is banned after its first bad piece: the clone comes from the honest seeder', { ...BOUND, skip: hasAria2() ? false : 'aria2c is not installed' }, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const out = await publish(w)
  // two aria2c peers: an honest one on 127.0.0.1 held to 256 KiB/s, and a fast liar on 127.0.0.2
  // that seeds the bundle's name with every byte flipped, without checking it
  const seedWith = async (name: string, o: { unverified?: boolean, host?: string, maxUploadLimit?: string }): Promise<void> => {
    const dir = path.join(w.dir, name)
    await mkdir(dir)
    await copyFile(out.bundle.path, path.join(dir, out.bundle.file))
    if (o.unverified === true) await flipEveryByte(path.join(dir, out.bundle.file))
    const peer = await aria2Seed(out.torrent, dir, { tracker: w.tracker, env: w.env, timeoutMs: 120_000, ...o })
    t.after(async () => await peer.stop())
  }
  await seedWith('honest', { maxUploadLimit: '256K' })
  await seedWith('liar', { unverified: true, host: '127.0.0.2' })

  // before: the liar, the faster peer, was asked again for every piece it had spoilt (bytes.swarm grew past the bundle
  // many times over, and with --timeout)
  const { report, stderr } = await mirrorClone(w, [...w.net, '--sources', 'torrent', '--timeout', '30', w.originUrl, 'mine'])
  t.diagnostic(JSON.stringify({ bytes: report.bytes, size: out.bundle.size }))
  assert.equal(report.method, 'torrent', stderr)
  assert.match(stderr, /banned peer 127\.0\.0\.2: it sent data that failed verification/)
  // each piece came from the liar at most once, before its first bad piece was hashed: less than the bundle again
  assert.ok(report.bytes.swarm < 2 * out.bundle.size, `${String(report.bytes.swarm)} bytes from the swarm for a bundle of ${String(out.bundle.size)}`)
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')
})

test('a web seed that sends corrupt pieces is dropped after its first bad piece', { ...BOUND, skip: hasAria2() ? false : 'aria2c is not installed' }, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const www = path.join(w.dir, 'www')
  await mkdir(www)
  const web = await startStaticServer(www)
  t.after(async () => await web.close())
  const out = await publish(w, ['--web-seed', web.url('')])
  await copyFile(out.bundle.path, path.join(www, out.bundle.file))
  await flipEveryByte(path.join(www, out.bundle.file))
  const honestDir = path.join(w.dir, 'honest')
  await mkdir(honestDir)
  await copyFile(out.bundle.path, path.join(honestDir, out.bundle.file))
  const honest = await aria2Seed(out.torrent, honestDir, { tracker: w.tracker, env: w.env, timeoutMs: 120_000, maxUploadLimit: '256K' })
  t.after(async () => await honest.stop())

  const { report, stderr } = await mirrorClone(w, [...w.net, '--sources', 'torrent', '--timeout', '30', w.originUrl, 'mine'])
  t.diagnostic(JSON.stringify({ bytes: report.bytes, size: out.bundle.size }))
  assert.equal(report.method, 'torrent', stderr)
  assert.match(stderr, /not using web seed http:\/\/127\.0\.0\.1:\d+\/\S+ any more: it sent data that failed verification/)
  assert.ok(report.bytes.webSeed < out.bundle.size, `${String(report.bytes.webSeed)} bytes from the web seed for a bundle of ${String(out.bundle.size)}`)
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')
})

test('web seeds and HTTP bundles on loopback are not contacted for an origin that is not on loopback', BOUND, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const silent = await startSilentServer()
  t.after(async () => await silent.close())
  const out = await publish(w, ['--web-seed', silent.url('')])   // the torrent's url-list and refs/mirrors/bundle/http name 127.0.0.1
  const seeder = await startSeeder(w)
  t.after(async () => await seeder.stop())
  // the same origin under a public-looking name: git resolves it to 127.0.0.1 (http.curloptResolve), the policy sees a public host
  const port = new URL(w.originUrl).port
  await git(['config', '--global', 'http.curloptResolve', `origin.example:${port}:127.0.0.1`], { cwd: w.dir, env: w.env })
  const origin = `http://origin.example:${port}/project.git`

  // before: the url-list's loopback web seed was asked (and, silent, held pieces), whatever the origin
  const { report, stderr } = await mirrorClone(w, [...w.net, '--timeout', '30', origin, 'mine'])
  t.diagnostic(JSON.stringify(report.attempts))
  assert.equal(report.method, 'torrent', stderr)
  const quoted = silent.url('').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  assert.match(stderr, new RegExp(`not using web seed ${quoted}\\S*: 127\\.0\\.0\\.1 is a loopback address and the origin's is public`))
  assert.equal(silent.connections, 0, 'the loopback web seed was never contacted')
  assert.ok(out.bundle.size > 0)

  // and a torrent that cannot be used leaves the HTTP record to the same rule: skipped, not contacted
  const http = await mirrorClone(w, [...w.net, '--sources', 'http', origin, 'mine2'])
  assert.equal(http.report.method, 'origin')
  assert.equal(http.report.attempts[0].outcome, 'skipped')
  assert.match(http.report.attempts[0].reason, /^not contacted: 127\.0\.0\.1 is a loopback address and the origin's is public/)
  assert.equal(silent.connections, 0)

  // without --tracker, the torrent's own tracker (on 127.0.0.1) is under the same rule: not announced to
  const leechers = (): number => w.tracker.announces.filter(a => a.left > 0).length
  const before = leechers()
  const noTracker = await mirrorClone(w, [...QUIET_NET, '--sources', 'torrent', '--timeout', '3', origin, 'mine3'])
  assert.equal(noTracker.report.method, 'origin')
  assert.match(noTracker.stderr, /not using tracker http:\/\/127\.0\.0\.1:\d+\/announce: 127\.0\.0\.1 is a loopback address and the origin's is public/)
  assert.equal(leechers(), before, 'no announce from the clone')
})

/** Every byte of the file inverted, in place: the same size, every piece wrong. */
async function flipEveryByte (file: string): Promise<void> {
  const size = (await stat(file)).size
  const fh = await open(file, 'r+')
  try {
    const buf = Buffer.alloc(size)
    await fh.read(buf, 0, size, 0)
    for (let i = 0; i < size; i++) buf[i] = buf[i]! ^ 0xff
    await fh.write(buf, 0, size, 0)
  } finally {
    await fh.close()
  }
}
