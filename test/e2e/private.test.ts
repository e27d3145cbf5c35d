// Private repositories (issue 14, item 6): mirror-publish --private makes a
// BEP 27 torrent announced only to the trackers given, and an origin that
// needs authentication is not published as a public torrent unless --public
// says so. The origin here asks for HTTP Basic credentials (git gets them
// from a credential helper in the test's global config). What the swarm did
// is observed from outside: the private DHT's nodes record every query they
// receive, an LSD listener on this host hears every BT-SEARCH multicast from
// it (its own TTL-0 announce proves it can), the tracker records announces.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import bencode from 'bencode'
import { startDht, watchQueries } from '../helpers/dht.js'
import { listenLsd } from '../helpers/lsd.js'
import { fetchRecord, mirrorClone, SEEDING, T } from './clone-support.js'
import { keyedWorld } from './signed-support.js'
import { json, makeWorld, QUIET_NET, type World } from './world.js'

const AUTH = { user: 'maintainer', password: 'not-a-secret' }


const originRecords = async (w: World): Promise<string> => await w.git(['ls-remote', w.originUrl, 'refs/mirrors/*'])
const infoOf = (torrent: Uint8Array): Record<string, unknown> => (bencode.decode(torrent) as { info: Record<string, unknown> }).info

test('--private: a BEP 27 torrent, announced to its tracker only (never on the DHT or by LSD, both on), and cloned from the swarm through that tracker', T, async t => {
  const w = await makeWorld(t, { auth: AUTH, spec: { binaryFiles: 2, binaryBytes: 512 << 10, branches: 1, tags: 1 } })
  const dht = await startDht({ nodes: 3 })
  const watch = watchQueries(dht.nodes)
  const lsd = await listenLsd()
  t.after(async () => {
    watch.stop()
    await dht.close()
    await lsd.close()
  })
  await lsd.control()
  // DHT and LSD on, the DHT a private one: only the torrent's privacy keeps the infohash off them
  const net = ['--tracker', w.tracker.announceUrl, '--dht-bootstrap', dht.bootstrap, '--no-upnp']

  const p = w.start('mirror-publish', ['--private', ...net, '--seed', '--json', '--status-interval', '1'])
  await p.waitFor(SEEDING, { stream: 'stderr' })
  const out = JSON.parse(p.stdout().split('\n')[0]!)
  assert.equal(out.visibility, 'private')
  assert.equal(out.visibilityRecorded, true)
  assert.equal(await w.git(['config', 'mirror.visibility']), 'private')
  assert.deepEqual(out.trackers, [w.tracker.announceUrl])
  assert.doesNotMatch(p.stderr(), /^magnet:/m, 'no magnet shown for a private torrent')

  const torrent = await fetchRecord(w, 'refs/mirrors/bundle/torrent')
  assert.equal(infoOf(torrent).private, 1, 'private=1 in the info dictionary of the pushed record')
  assert.deepEqual(await readFile(out.torrent), torrent)
  const records = await originRecords(w)
  assert.match(records, /\trefs\/mirrors\/bundle\/torrent$/m)
  assert.doesNotMatch(records, /refs\/mirrors\/bundle\/magnet/, 'no magnet record: a magnet has no private flag')
  assert.ok(w.tracker.announces.some(a => a.infoHash === out.infoHash && a.left === 0), 'the seeder announced to the tracker')

  const { report } = await mirrorClone(w, ['--dht-bootstrap', dht.bootstrap, '--no-upnp', w.originUrl, 'mine'])
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.equal(report.infoHash, out.infoHash)
  assert.ok(report.bytes.swarm >= out.bundle.size, `swarm bytes ${report.bytes.swarm}`)
  assert.equal(report.bytes.webSeed, 0)
  assert.ok(w.tracker.announces.some(a => a.infoHash === out.infoHash && a.left > 0), 'the clone found the seeder through the tracker')
  assert.equal(await w.git(['rev-parse', 'HEAD'], path.join(w.dir, 'mine')), await w.git(['rev-parse', 'HEAD']))

  // the clone's client was on the private DHT (its node joined), yet no node was asked about the infohash
  const product = watch.queries.filter(q => !dht.ports.some(port => q.from.endsWith(`:${port}`)))
  assert.ok(product.length > 0, 'the clone\'s DHT node queried the private DHT')
  assert.deepEqual(watch.forInfoHash(out.infoHash), [], 'no get_peers or announce_peer for the private infohash')
  await lsd.control()
  assert.equal(lsd.heard.has(out.infoHash), false, 'the private infohash was never multicast by LSD')

  const exit = await p.stop('SIGINT')
  assert.equal(exit.code, 0, p.stderr())
  assert.deepEqual(watch.forInfoHash(out.infoHash), [])
})

test('an origin that needs authentication: refused without --private or --public, with nothing pushed, stored or announced; --public proceeds and is recorded; one infohash per visibility', T, async t => {
  const w = await makeWorld(t, { auth: AUTH })
  const refused = await w.run('mirror-publish', [...w.net, '--json'])
  assert.equal(refused.code, 1, refused.stderr)
  const lines = refused.stderr.trim().split('\n')
  assert.equal(lines.length, 1, refused.stderr)
  assert.match(lines[0]!, new RegExp(`^mirror-publish: not publishing: ${w.originUrl.replace(/[.]/g, '\\.')} needs authentication \\(it answers an anonymous request with HTTP 401\\), ` +
    "and a public torrent reveals the repository's full contents to anyone who learns its infohash, announced to the tracker given\\. " +
    'Publish with --private .* or, if the repository may be public, with --public$'))
  assert.equal(json(refused).error.code, 'ORIGIN_NOT_PUBLIC')
  assert.equal(await originRecords(w), '', 'nothing pushed')
  assert.equal(await w.git(['for-each-ref', 'refs/mirrors/']), '', 'no local records')
  assert.equal(existsSync(path.join(w.work, '.git', 'mirror')), false, 'no store')
  assert.equal(w.tracker.announces.length, 0)
  await assert.rejects(w.git(['config', 'mirror.visibility']), 'nothing recorded')

  // the defaults would announce on public trackers and the public DHT: the line says so (and still nothing is contacted)
  const defaults = await w.run('mirror-publish', ['--no-upnp', '--no-push', '--json'])
  assert.equal(defaults.code, 1)
  assert.match(defaults.stderr, /announced on public trackers, on the public DHT and by local peer discovery\./)

  // wrong usage: both, or private without trackers of its own
  const both = await w.run('mirror-publish', ['--private', '--public', ...w.net])
  assert.equal(both.code, 2, both.stderr)
  assert.match(both.stderr, /'--private' cannot be used with option '--public'/)
  for (const args of [['--private', ...QUIET_NET], ['--private', '--no-tracker', ...QUIET_NET]]) {
    const r = await w.run('mirror-publish', args)
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /--private needs at least one tracker/)
  }
  assert.equal(await originRecords(w), '')

  const pub = await w.run('mirror-publish', ['--public', ...w.net, '--json'])
  assert.equal(pub.code, 0, pub.stderr)
  const first = json(pub)
  assert.equal(first.visibility, 'public')
  assert.equal(first.visibilityRecorded, true)
  assert.equal(await w.git(['config', 'mirror.visibility']), 'public')
  assert.deepEqual(first.push, { remote: 'origin', outcome: 'pushed' })
  assert.equal(infoOf(await fetchRecord(w, 'refs/mirrors/bundle/torrent')).private, undefined)
  assert.match(await originRecords(w), /refs\/mirrors\/bundle\/magnet/)

  // recorded: the next publish needs no flag, and reuses the entry
  const again = json(await w.run('mirror-publish', [...w.net, '--json']))
  assert.equal(again.infoHash, first.infoHash)
  assert.equal(again.visibilityRecorded, false)
  assert.deepEqual(again.push, { remote: 'origin', outcome: 'up-to-date' })

  // the same state made private: the same bundle, another infohash; public again: the first infohash
  const priv = json(await w.run('mirror-publish', ['--private', ...w.net, '--json']))
  assert.notEqual(priv.infoHash, first.infoHash)
  assert.equal(priv.bundle.reused, true)
  assert.equal(priv.bundle.path, first.bundle.path)
  assert.equal(infoOf(await fetchRecord(w, 'refs/mirrors/bundle/torrent')).private, 1)
  assert.doesNotMatch(await originRecords(w), /refs\/mirrors\/bundle\/magnet/)
  assert.equal(json(await w.run('mirror-publish', ['--private', ...w.net, '--json'])).infoHash, priv.infoHash)
  const back = json(await w.run('mirror-publish', ['--public', ...w.net, '--json']))
  assert.equal(back.infoHash, first.infoHash)
  assert.equal(back.bundle.reused, true)
})

test('a signed publish switched between --private and --public keeps its push object and bundle; only the torrent\'s flag and infohash change', T, async t => {
  const { w } = await keyedWorld(t)
  const priv = json(await w.run('mirror-publish', ['--private', ...w.net, '--json']))
  assert.equal(priv.visibility, 'private')
  assert.notEqual(priv.pushObject, null)
  const torrent = await fetchRecord(w, 'refs/mirrors/bundle/torrent')
  const info = infoOf(torrent)
  assert.equal(info.private, 1)
  assert.ok(Array.isArray(info.files), 'the signed folder torrent')
  const pub = json(await w.run('mirror-publish', ['--public', ...w.net, '--json']))
  assert.notEqual(pub.infoHash, priv.infoHash)
  assert.equal(pub.pushObject.id, priv.pushObject.id)
  assert.equal(pub.pushObject.reused, true)
  assert.equal(pub.bundle.path, priv.bundle.path)
  assert.equal(infoOf(await fetchRecord(w, 'refs/mirrors/bundle/torrent')).private, undefined)
  // the push object names the bundle's public torrent of its own either way (docs/push-object.md)
  const po = (await fetchRecord(w, 'refs/mirrors/push')).toString()
  assert.match(po, /^bundle [0-9a-f]{64} \d+ [0-9a-f]{40}$/m)
})
