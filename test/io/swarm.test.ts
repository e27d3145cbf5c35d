// Swarm, the one owner of the WebTorrent client, with a DHT node its owner
// passes in (what the BEP 44 pointers will share): a seeding swarm announces
// through its node, a downloading swarm finds it through another node of the
// same private DHT, and closing the swarms leaves both nodes to their owner.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import type { NetworkOptions } from '../../src/core/network-options.js'
import { Swarm, type SharedDht } from '../../src/io/torrent/swarm.js'
import { makeTorrent, readTorrent } from '../../src/io/torrent/torrent-file.js'
import { destroyDhtNode, dhtNode, startDht } from '../helpers/dht.js'

const OFFLINE: NetworkOptions = { trackers: [], dht: false, dhtBootstrap: null, lsd: false, upnp: false, port: null }

test('two swarms find each other through DHT nodes passed in, and leave them open when they close', { timeout: 60_000 }, async t => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gtm-swarm-'))
  const dht = await startDht({ nodes: 3 })
  const [a, b] = [await dhtNode([dht.bootstrap]), await dhtNode([dht.bootstrap])]
  const seeding = new Swarm({ net: OFFLINE, dht: a as unknown as SharedDht })
  const downloading = new Swarm({ net: OFFLINE, dht: b as unknown as SharedDht })
  t.after(async () => {
    await seeding.close()
    await downloading.close()
    await destroyDhtNode(a)
    await destroyDhtNode(b)
    await dht.close()
    await rm(dir, { recursive: true, force: true })
  })
  const data = randomBytes(3 << 20)
  await mkdir(path.join(dir, 'seed'))
  await writeFile(path.join(dir, 'seed', 'x.bundle'), data)
  const parsed = await readTorrent(await makeTorrent(path.join(dir, 'seed', 'x.bundle'), { name: 'x.bundle', pieceLength: 1 << 16, trackers: [], webSeeds: [] }), 'x')

  assert.deepEqual(await seeding.seed(parsed, { path: path.join(dir, 'seed'), skipVerify: false }), { progress: 1 })
  const peers = await dht.waitForPeer(parsed.infoHash, { timeoutMs: 20_000 })
  assert.ok(peers.some(p => p.port === 0 || p.host === '127.0.0.1'), JSON.stringify(peers))

  const done = await downloading.download(parsed, { path: path.join(dir, 'leech'), stallTimeoutMs: 20_000 })
  assert.ok(done.stats.fromPeers >= data.length, `${done.stats.fromPeers} bytes from peers`)
  assert.deepEqual(await readFile(path.join(dir, 'leech', 'x.bundle')), data)
  assert.equal(seeding.status()[0]?.infoHash, parsed.infoHash)
  assert.ok(seeding.status()[0]!.uploaded >= data.length)

  await seeding.close()
  await downloading.close()
  await seeding.close()   // idempotent
  assert.equal(a.destroyed, false, 'the seeding swarm left its DHT node open')
  assert.equal(b.destroyed, false, 'the downloading swarm left its DHT node open')
  assert.ok(a.address().port > 0)
  await assert.rejects(seeding.seed(parsed, { path: path.join(dir, 'seed'), skipVerify: true }), { code: 'ABORTED' })
})
