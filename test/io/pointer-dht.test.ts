// Pointers (BEP 44 mutable items, BEP 46 values) on a private DHT of
// bittorrent-dht nodes on loopback: put by the publisher's key, got by
// another node, kept alive by a re-put of the stored signature after the
// publisher left; forged and stale items; a DHT that answers nothing.
import assert from 'node:assert/strict'
import { generateKeyPairSync, sign } from 'node:crypto'
import { test } from 'node:test'
import { isMirrorError } from '../../src/core/errors.js'
import { pointerSignedBytes } from '../../src/core/pointer.js'
import { publicKeyFromRaw, verifySignature } from '../../src/core/public-key.js'
import { PointerDht, type DhtClient } from '../../src/io/dht/pointer-dht.js'
import { destroyDhtNode, dhtNode, startDht } from '../helpers/dht.js'

const T = { timeout: 60_000 }
const IH1 = '11'.repeat(20)
const IH2 = '22'.repeat(20)

function publisher (project = 'demo'): { name: { key: ReturnType<typeof publicKeyFromRaw>, project: string }, sign: (m: Buffer) => Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const key = publicKeyFromRaw(Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'))
  return { name: { key, project }, sign: m => sign(null, m, privateKey) }
}

test('a pointer put by the publisher is got by another node, the highest seq wins, and a stored signature keeps it alive after the publisher left', T, async t => {
  const dht = await startDht({ nodes: 5 })
  t.after(async () => await dht.close())
  const p = publisher()
  const mine = await dhtNode([dht.bootstrap])
  const theirs = new PointerDht(dht.nodes[4] as unknown as DhtClient)

  const pub = new PointerDht(mine as unknown as DhtClient)
  assert.ok(await pub.put(p.name, { infoHash: IH1, seq: 1, sign: p.sign }) > 0)
  const first = await theirs.get(p.name)
  assert.ok(first !== null)
  assert.equal(first.infoHash, IH1)
  assert.equal(first.seq, 1)
  assert.ok(verifySignature(p.name.key, pointerSignedBytes('demo', 1, IH1), Buffer.from(first.sig, 'hex')), 'the signature got is the publisher\'s over salt, seq and v')

  await pub.put(p.name, { infoHash: IH2, seq: 2, sign: p.sign })
  const second = await theirs.get(p.name)
  assert.equal(second?.seq, 2)
  assert.equal(second?.infoHash, IH2)
  assert.equal((await theirs.get({ ...p.name, project: 'other' }, { timeoutMs: 5000 })), null, 'another salt is another item')

  // a node that holds it answers a re-put of the same seq "302 less than current": held, not an error
  assert.equal(await pub.put(p.name, { infoHash: IH2, seq: 2, sign: p.sign }), 0)

  // the publisher leaves; the nodes that held the item are gone too (a fresh DHT: churn, expiry); a
  // seeder re-puts what it got, with the stored signature and no private key, and the item is back
  await destroyDhtNode(mine)
  const fresh = await startDht({ nodes: 4 })
  t.after(async () => await fresh.close())
  const reader = new PointerDht(fresh.nodes[3] as unknown as DhtClient)
  assert.equal(await reader.get(p.name, { timeoutMs: 5000 }), null, 'the fresh DHT has no item yet')
  const seeder = await dhtNode([fresh.bootstrap])
  t.after(async () => await destroyDhtNode(seeder))
  assert.ok(await new PointerDht(seeder as unknown as DhtClient).put(p.name, { infoHash: second!.infoHash, seq: second!.seq, sig: second!.sig }) > 0)
  const kept = await reader.get(p.name)
  assert.deepEqual(kept, second, 'the same item, the publisher\'s signature')
})

test('a forged item is stored by nobody and got by nobody; a DHT that answers nothing is bounded', T, async t => {
  const dht = await startDht({ nodes: 4 })
  t.after(async () => await dht.close())
  const p = publisher()
  const impostor = publisher()
  const node = await dhtNode([dht.bootstrap])
  t.after(async () => await destroyDhtNode(node))
  const pointers = new PointerDht(node as unknown as DhtClient)
  // signed by another key, but claiming the publisher's: every node's verify refuses it
  await assert.rejects(pointers.put(p.name, { infoHash: IH1, seq: 9, sign: impostor.sign }, { timeoutMs: 15_000 }),
    (err: unknown) => isMirrorError(err, 'TORRENT_FAILED') && /putting the DHT pointer for demo: no DHT node took it/.test((err as Error).message))
  assert.equal(await new PointerDht(dht.nodes[2] as unknown as DhtClient).get(p.name, { timeoutMs: 10_000 }), null)

  // nobody to ask: a node bootstrapped from a port where nothing listens
  const lonely = await dhtNode(false)
  t.after(async () => await destroyDhtNode(lonely))
  const started = Date.now()
  const got = await new PointerDht(lonely as unknown as DhtClient).get(p.name, { timeoutMs: 3000 }).catch((err: unknown) => err)
  assert.ok(got === null || isMirrorError(got, 'DOWNLOAD_STALLED'), String(got))
  assert.ok(Date.now() - started < 5000, 'bounded')
})
