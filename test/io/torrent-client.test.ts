import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import WebTorrent, { type Torrent, type Wire } from 'webtorrent'
import { closeTorrentClient, createTorrentClient, REQUEST_QUEUE_BLOCKS } from '../../src/io/torrent/client.js'
import type { NetworkOptions } from '../../src/core/network-options.js'

const offline: NetworkOptions = { trackers: [], dht: false, dhtBootstrap: null, lsd: false, upnp: false, port: null }

function once<T> (emitter: NodeJS.EventEmitter, event: string, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms)
    emitter.once(event, (value: T) => { clearTimeout(timer); resolve(value) })
  })
}

// A plain webtorrent leecher keeps a second's worth of blocks requested from
// a seeder; on loopback that is thousands, and the seeder holds them all in
// memory. Our client advertises reqq, and a leecher that honours it stays
// within it for the whole download.
test('our client advertises reqq and a webtorrent leecher keeps within it', { timeout: 60_000 }, async t => {
  const seeder = await createTorrentClient(offline)
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gtm-reqq-'))
  const leecher = new WebTorrent({ dht: false, tracker: false, lsd: false, natUpnp: false, natPmp: false, utp: false })
  try {
    const data = randomBytes(48 * 2 ** 20)
    // seed() is not in src/types/vendor.d.ts (the product seeds with add())
    const seeding = seeder as unknown as { seed: (input: Buffer, opts: Record<string, unknown>, cb: (t: Torrent) => void) => Torrent }
    const seeded = await new Promise<Torrent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the seeder did not start')), 10_000)
      seeding.seed(data, { name: 'data.bin', announceList: [], pieceLength: 256 * 1024, path: path.join(dir, 'seed') }, t => { clearTimeout(timer); resolve(t) })
        .once('error', reject)
    })
    const address = seeder.address()
    assert.ok(address !== null && address.port > 0, 'the seeder is not listening')
    const torrent = leecher.add(Buffer.from(seeded.torrentFile), { path: path.join(dir, 'leech') })
    await once(torrent, 'ready', 10_000)
    ;(torrent as unknown as { addPeer: (addr: string) => void }).addPeer(`127.0.0.1:${address.port}`)
    const wire = await once<Wire>(torrent, 'wire', 10_000)
    let most = 0
    const sample = setInterval(() => { most = Math.max(most, (wire as unknown as { requests: unknown[] }).requests.length) }, 1)
    try {
      await once(torrent, 'done', 50_000)
    } finally {
      clearInterval(sample)
    }
    t.diagnostic(`most requests outstanding: ${most}`)
    assert.ok(most > 0, 'the leecher never had a request outstanding: nothing was measured')
    assert.ok(most <= REQUEST_QUEUE_BLOCKS, `the leecher had up to ${most} requests outstanding`)
    assert.equal(wire.peerExtendedHandshake.reqq, REQUEST_QUEUE_BLOCKS)
  } finally {
    await closeTorrentClient(leecher)
    await closeTorrentClient(seeder)
    await rm(dir, { recursive: true, force: true })
  }
})
