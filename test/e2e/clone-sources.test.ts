// mirror-clone from each kind of source it can take the bundle from, one at a
// time: a private DHT with no tracker, HTTP web seeds with no peer at all, a
// magnet record without the torrent record, and a git:// origin. (Trackers
// alone: clone.test.ts. ssh: ssh.test.ts.) Every case ends equal to
// `git clone`. Everything on 127.0.0.1: every command gets explicit flags,
// never the public DHT or public trackers.
import assert from 'node:assert/strict'
import { copyFile, mkdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { startDht } from '../helpers/dht.js'
import { startGitDaemon } from '../helpers/git-daemon.js'
import { startStaticServer } from '../helpers/static-server.js'
import { json, makeWorld, type World } from './world.js'
import { assertSameAsGitClone, mirrorClone, plainClone, publish, startSeeder } from './clone-support.js'

const SMALL = { binaryFiles: 2, binaryBytes: 512 << 10 }
/** Per test: small repositories, loopback only; a few seconds each when healthy. */
const BOUND = { timeout: 60_000 }
/** No tracker, no DHT, no multicast, no port mapping: nothing to find peers with. */
const NOTHING = ['--no-tracker', '--no-dht', '--no-lsd', '--no-upnp']
const CLONE_MS = 40_000

/** mirror-publish --json with exactly these network flags (not the world's tracker). */
async function publishWith (w: World, flags: string[]): Promise<any> {
  const r = await w.run('mirror-publish', [...flags, '--json'])
  assert.equal(r.code, 0, r.stderr)
  return json(r)
}

test('a private DHT alone, no tracker: the clone finds the seeder through the DHT', BOUND, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const dht = await startDht()
  t.after(async () => await dht.close())
  const dhtOnly = ['--no-tracker', '--dht-bootstrap', dht.bootstrap, '--no-lsd', '--no-upnp']

  const out = await publishWith(w, dhtOnly)
  assert.deepEqual(out.trackers, [], '--no-tracker publishes a torrent without trackers')
  assert.doesNotMatch(out.magnet, /[?&]tr=/, 'nor a magnet naming one')
  assert.match(out.infoHash, /^[0-9a-f]{40}$/)

  const seeder = await startSeeder(w, dhtOnly)
  const peers = await dht.waitForPeer(out.infoHash, { timeoutMs: 20_000 })
  assert.ok(peers.every(p => p.host === '127.0.0.1'), JSON.stringify(peers))

  const { report } = await mirrorClone(w, [...dhtOnly, '--timeout', '20', w.originUrl, 'mine'], { timeoutMs: CLONE_MS })
  t.diagnostic(`report ${JSON.stringify(report)}`)
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.equal(report.infoHash, out.infoHash)
  assert.ok(report.bytes.swarm > 0, `swarm bytes ${report.bytes.swarm}`)
  assert.equal(report.bytes.webSeed, 0)
  assert.deepEqual(w.tracker.announces.filter(a => a.infoHash === out.infoHash), [], 'nobody announced to the world\'s tracker')
  assert.equal(w.tracker.announces.length, 0)

  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')
  await seeder.stop('SIGINT')
})

test('web seeds alone, no peer: the whole bundle comes over HTTP', BOUND, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const www = path.join(w.dir, 'www')
  await mkdir(path.join(www, 'git'), { recursive: true })
  const web = await startStaticServer(www)
  t.after(async () => await web.close())

  // The folder URL is known before the bundle exists: a trailing '/' gets the file name appended.
  const out = await publishWith(w, [...NOTHING, '--web-seed', web.url('git/')])
  const seedUrl = web.url(`git/${out.bundle.file as string}`)
  assert.deepEqual(out.webSeeds, [seedUrl])
  assert.deepEqual(out.trackers, [])
  assert.equal(typeof out.records.http, 'string', 'refs/mirrors/bundle/http is recorded')
  const httpRecord = (await w.git(['cat-file', 'blob', 'refs/mirrors/bundle/http'], w.origin)).split('\n')
  assert.ok(httpRecord.includes(seedUrl), `refs/mirrors/bundle/http lists ${seedUrl}: ${httpRecord.join(' | ')}`)
  await copyFile(out.bundle.path, path.join(www, 'git', out.bundle.file))
  const size = (await stat(out.bundle.path)).size
  assert.equal(size, out.bundle.size)

  web.resetStats()
  const { report } = await mirrorClone(w, [...NOTHING, '--timeout', '20', w.originUrl, 'mine'], { timeoutMs: CLONE_MS })
  const served = web.bytesSent
  t.diagnostic(`bundle ${size} bytes, web seed served ${served} in ${web.requests.length} requests; report ${JSON.stringify(report)}`)
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.equal(report.infoHash, out.infoHash)
  assert.equal(report.bytes.swarm, 0, 'there is no peer')
  assert.equal(report.bytes.webSeed, size)
  assert.ok(served >= size && served <= size * 1.1, `the web seed served ${served} bytes for a ${size}-byte bundle`)
  assert.ok(web.requests.every(r => r.path === `/git/${encodeURIComponent(out.bundle.file)}` && r.status < 300),
    JSON.stringify(web.requests.slice(0, 5)))
  assert.equal(w.tracker.announces.length, 0)

  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')
})

test('a magnet record alone: the metadata comes from the peer, same infohash', BOUND, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const out = await publish(w)
  const seeder = await startSeeder(w)
  await w.git(['update-ref', '-d', 'refs/mirrors/bundle/torrent'], w.origin)
  await w.git(['update-ref', '-d', 'refs/mirrors/bundle/list'], w.origin)
  const records = await w.git(['for-each-ref', '--format=%(refname)', 'refs/mirrors/'], w.origin)
  assert.equal(records.trim(), 'refs/mirrors/bundle/magnet')

  const { report } = await mirrorClone(w, [...w.net, '--timeout', '20', w.originUrl, 'mine'], { timeoutMs: CLONE_MS })
  t.diagnostic(`report ${JSON.stringify(report)}`)
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.equal(report.infoHash, out.infoHash)
  assert.ok(report.bytes.swarm >= out.bundle.size, `swarm bytes ${report.bytes.swarm} for a ${out.bundle.size as number}-byte bundle`)
  assert.equal(report.bytes.webSeed, 0)

  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')
  await seeder.stop('SIGINT')
})

test('a git:// origin: clones from the swarm and records the git:// URL as git clone does', BOUND, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const daemon = await startGitDaemon(path.dirname(w.origin), w.env)
  t.after(async () => await daemon.close())
  const url = daemon.url('project.git')
  const out = await publish(w)
  const seeder = await startSeeder(w)

  const { report } = await mirrorClone(w, [...w.net, '--timeout', '20', url, 'mine'], { timeoutMs: CLONE_MS })
  t.diagnostic(`report ${JSON.stringify(report)}`)
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.equal(report.infoHash, out.infoHash)
  assert.ok(report.bytes.swarm > 0, `swarm bytes ${report.bytes.swarm}`)
  assert.equal(report.directory, path.join(w.dir, 'mine'))

  await w.git(['clone', '--quiet', url, 'theirs'], w.dir)
  assert.equal((await w.git(['config', 'remote.origin.url'], path.join(w.dir, 'mine'))).trim(), url)
  assert.equal((await w.git(['config', 'remote.origin.url'], path.join(w.dir, 'theirs'))).trim(), url)
  await assertSameAsGitClone(w, 'mine', 'theirs')
  await seeder.stop('SIGINT')
})
