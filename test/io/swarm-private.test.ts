// A private torrent (BEP 27) in the Swarm keeps to its trackers, with the
// DHT and LSD switched on in the client: what webtorrent 2.8.5 does for it
// (no DHT announce or lookup, no ut_pex) and what Swarm adds (no LSD, the
// torrent's own trackers over the user's), observed from outside: the
// private DHT's nodes see every get_peers/announce_peer sent to them, an LSD
// listener on this host hears every BT-SEARCH multicast from it, a raw
// BitTorrent handshake reads the extensions the seeder offers, and two
// trackers record who announced what. A public torrent seeded alongside (LSD
// off: its multicast would leave the host) is the control that the DHT
// observation sees announces at all.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import type { NetworkOptions } from '../../src/core/network-options.js'
import { Swarm } from '../../src/io/torrent/swarm.js'
import { makeTorrent, readTorrent } from '../../src/io/torrent/torrent-file.js'
import { peerExtensions } from '../helpers/bt-probe.js'
import { startDht, watchQueries } from '../helpers/dht.js'
import { listenLsd } from '../helpers/lsd.js'
import { startTracker } from '../helpers/tracker.js'
import { waitUntil } from '../helpers/wait.js'

test('a private torrent is seeded and downloaded through its own trackers only: never on the DHT, LSD or PEX, even with them on', { timeout: 90_000 }, async t => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gtm-swarm-private-'))
  const dht = await startDht({ nodes: 3 })
  const watch = watchQueries(dht.nodes)
  const tracker = await startTracker()
  const userTracker = await startTracker()
  const lsd = await listenLsd()
  const net = (o: Partial<NetworkOptions>): NetworkOptions => ({ trackers: null, dht: true, dhtBootstrap: [dht.bootstrap], lsd: true, upnp: false, port: null, ...o })
  const seeding = new Swarm({ net: net({}) })
  const control = new Swarm({ net: net({ lsd: false }) })
  const downloading = new Swarm({ net: net({ trackers: [userTracker.announceUrl] }) })
  t.after(async () => {
    watch.stop()
    await Promise.all([seeding.close(), control.close(), downloading.close()])
    await Promise.all([dht.close(), tracker.close(), userTracker.close(), lsd.close()])
    await rm(dir, { recursive: true, force: true })
  })
  await lsd.control()   // the listener hears multicast sent from this host

  const data = randomBytes(2 << 20)
  await mkdir(path.join(dir, 'seed'))
  await writeFile(path.join(dir, 'seed', 'p.bundle'), data)
  await writeFile(path.join(dir, 'seed', 'pub.bundle'), randomBytes(1 << 16))
  const priv = await readTorrent(await makeTorrent(path.join(dir, 'seed', 'p.bundle'), { name: 'p.bundle', pieceLength: 1 << 16, trackers: [tracker.announceUrl], webSeeds: [], private: true }), 'p')
  const pub = await readTorrent(await makeTorrent(path.join(dir, 'seed', 'pub.bundle'), { name: 'pub.bundle', pieceLength: 1 << 16, trackers: [], webSeeds: [] }), 'pub')
  assert.equal(priv.private, true)

  assert.deepEqual(await seeding.seed(priv, { path: path.join(dir, 'seed'), skipVerify: false }), { progress: 1 })
  await waitUntil(() => tracker.announces.some(a => a.infoHash === priv.infoHash && a.left === 0), { timeoutMs: 15_000, what: 'the seeder announcing to the private torrent\'s tracker' })

  // the control: a public torrent seeded with the DHT on is announced there, and offers ut_pex
  assert.deepEqual(await control.seed(pub, { path: path.join(dir, 'seed'), skipVerify: false }), { progress: 1 })
  await waitUntil(() => watch.forInfoHash(pub.infoHash).some(q => q.q === 'announce_peer'), { timeoutMs: 20_000, what: 'the public torrent\'s announce_peer on the private DHT' })
  assert.ok((await peerExtensions((await control.port())!, pub.infoHash)).includes('ut_pex'), 'a public torrent offers PEX')

  // no PEX for the private one (webtorrent does not attach ut_pex to its wires)
  const offered = await peerExtensions((await seeding.port())!, priv.infoHash)
  assert.ok(offered.includes('ut_metadata'), offered.join(' '))
  assert.ok(!offered.includes('ut_pex'), `a private torrent offers ${offered.join(' ')}`)

  // downloading: the torrent's tracker, not the user's; DHT and LSD on in this client too
  const done = await downloading.download(priv, { path: path.join(dir, 'leech'), stallTimeoutMs: 20_000 })
  assert.ok(done.stats.fromPeers >= data.length, `${done.stats.fromPeers} bytes from peers`)
  assert.deepEqual(await readFile(path.join(dir, 'leech', 'p.bundle')), data)
  assert.ok(tracker.announces.some(a => a.infoHash === priv.infoHash && a.left > 0), 'the leecher announced to the torrent\'s tracker')
  assert.deepEqual(userTracker.announces.filter(a => a.infoHash === priv.infoHash), [], 'the user\'s tracker never learns a private infohash')

  assert.deepEqual(watch.forInfoHash(priv.infoHash), [], 'no DHT node was asked about the private infohash')
  await lsd.control()
  assert.equal(lsd.heard.has(priv.infoHash), false, 'the private infohash was never multicast by LSD')
})
