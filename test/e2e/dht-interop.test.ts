// Interop of DHT pointers with an independent BEP 44 implementation (issue
// 15): libtorrent-rasterbar 2.0 through Debian's python3-libtorrent, on a
// private DHT of bittorrent-dht nodes on 127.0.0.1 (never the public one).
//
// 1. libtorrent reads our pointer: same key, salt, seq, value { ih } and a
//    signature that verifies (libtorrent checks it before reporting it).
// 2. libtorrent puts an item signed with its own ed25519 code: our nodes
//    verify and store it, and its signature is the one node:crypto makes over
//    our construction of BEP 44's signed bytes, bit for bit. Its value is a
//    byte string, not BEP 46's { ih } dictionary: python3-libtorrent's
//    dht_put_mutable_item can put nothing else (test/helpers/libtorrent-dht.py
//    says why), so PointerDht.get must refuse it, and does, for that reason.
import assert from 'node:assert/strict'
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { test } from 'node:test'
import bencode from 'bencode'
import { isMirrorError } from '../../src/core/errors.js'
import { pointerSignedBytes, pointerTarget, type PointerName } from '../../src/core/pointer.js'
import { publicKeyFromRaw, verifySignature } from '../../src/core/public-key.js'
import { PointerDht, type DhtClient } from '../../src/io/dht/pointer-dht.js'
import { destroyDhtNode, dhtNode, startDht } from '../helpers/dht.js'
import { hasLibtorrentPython, LIBTORRENT_INSTALL, LIBTORRENT_PYTHON, startLibtorrentDht } from '../helpers/libtorrent-dht.js'

const T = {
  timeout: 90_000,
  skip: hasLibtorrentPython() ? false : `python3-libtorrent is not installed: ${LIBTORRENT_PYTHON} cannot import libtorrent (${LIBTORRENT_INSTALL})`
}

function publisher (project: string): { name: PointerName, seed: Buffer, sign: (m: Buffer) => Buffer } {
  const { privateKey } = generateKeyPairSync('ed25519')
  const jwk = privateKey.export({ format: 'jwk' })
  return {
    name: { key: publicKeyFromRaw(Buffer.from(jwk.x!, 'base64url')), project },
    seed: Buffer.from(jwk.d!, 'base64url'),
    sign: m => sign(null, m, privateKey)
  }
}

/** A random infohash with a byte libtorrent cannot print, so that its printable form of the value shows the hex. */
function infoHash (): string {
  const ih = randomBytes(20)
  ih[0] = 0
  return ih.toString('hex')
}

test('libtorrent gets our pointer: the same seq and { ih }, and its signature verifies', T, async t => {
  const dht = await startDht({ nodes: 5 })
  t.after(async () => await dht.close())
  const mine = await dhtNode([dht.bootstrap])
  t.after(async () => await destroyDhtNode(mine))
  const lt = await startLibtorrentDht({ bootstrap: dht.bootstrap })
  t.after(async () => await lt.stop())
  const p = publisher('interop-demo')
  const salt = Buffer.from(p.name.project, 'utf8')
  const ours = new PointerDht(mine as unknown as DhtClient)
  const [ih1, ih2] = [infoHash(), infoHash()]

  assert.ok(await ours.put(p.name, { infoHash: ih1, seq: 3, sign: p.sign }) > 0)
  const first = await lt.get({ key: p.name.key.raw, salt })
  assert.ok(first !== null, 'libtorrent found the item')
  t.diagnostic(first.printed)
  assert.deepEqual(first.key, p.name.key.raw)
  assert.deepEqual(first.salt, salt)
  assert.equal(first.seq, 3)
  assert.deepEqual(first.v, Buffer.from(bencode.encode({ ih: Buffer.from(ih1, 'hex') })), 'the value it verified is BEP 46\'s { ih }')
  assert.ok(first.printed.includes(`'ih': '${ih1}'`), 'libtorrent decoded the value as a dictionary with that ih')
  assert.ok(verifySignature(p.name.key, pointerSignedBytes(p.name.project, 3, ih1), first.sig), 'the signature it reports is ours over salt, seq and v')

  // a new publish: libtorrent takes the higher seq, as a get must
  await ours.put(p.name, { infoHash: ih2, seq: 4, sign: p.sign })
  const second = await lt.get({ key: p.name.key.raw, salt })
  assert.equal(second?.seq, 4)
  assert.deepEqual(second?.v, Buffer.from(bencode.encode({ ih: Buffer.from(ih2, 'hex') })))
  assert.ok(verifySignature(p.name.key, pointerSignedBytes(p.name.project, 4, ih2), second.sig))

  // another project (salt) of the same key is another item, which nobody holds
  assert.equal(await lt.get({ key: p.name.key.raw, salt: Buffer.from('other') }), null)
})

test('libtorrent puts an item with its own signature: our nodes store it and the signature is ours bit for bit; PointerDht refuses its byte-string value as no BEP 46 pointer', T, async t => {
  const dht = await startDht({ nodes: 5 })
  t.after(async () => await dht.close())
  const p = publisher('interop-theirs')
  const salt = Buffer.from(p.name.project, 'utf8')
  const data = Buffer.from('put by libtorrent', 'utf8')
  const lt = await startLibtorrentDht({ bootstrap: dht.bootstrap })
  t.after(async () => await lt.stop())

  const put = await lt.put({ seed: p.seed, key: p.name.key.raw, salt, data })
  assert.ok(put.nodes > 0, 'some node took it')
  assert.equal(put.seq, 1, 'libtorrent found no item, so it put seq 1')
  // BEP 44's signed bytes for this item, built as we build a pointer's, with v the bencoded string
  const signed = Buffer.concat([Buffer.from(`4:salt${salt.length}:`), salt, Buffer.from(`3:seqi${put.seq}e1:v`), Buffer.from(bencode.encode(data))])
  assert.deepEqual(put.sig, p.sign(signed), 'libtorrent\'s ed25519 signature equals node:crypto\'s (ed25519 is deterministic)')

  // bittorrent-dht nodes (whose verify is ours) stored it: another node gets it, unchanged
  const reader = await dhtNode([dht.bootstrap])
  t.after(async () => await destroyDhtNode(reader))
  const raw = await new Promise<Record<string, unknown> | null>((resolve, reject) =>
    (reader as unknown as DhtClient).get(pointerTarget(p.name), { salt, cache: false }, (err, item) => err === null ? resolve(item) : reject(err)))
  assert.ok(raw !== null, 'our nodes hold libtorrent\'s item')
  assert.equal(raw.seq, 1)
  assert.deepEqual(Buffer.from(raw.k as Uint8Array), p.name.key.raw)
  assert.deepEqual(Buffer.from(raw.v as Uint8Array), data)
  assert.deepEqual(Buffer.from(raw.sig as Uint8Array), put.sig)

  // PointerDht.get reads it and refuses it: a pointer's value is BEP 46's { ih } dictionary
  await assert.rejects(new PointerDht(reader as unknown as DhtClient).get(p.name),
    (err: unknown) => isMirrorError(err, 'BAD_RECORD') && /its value is not a dictionary/.test((err as Error).message))

  // and libtorrent's own get agrees with what it put
  const back = await lt.get({ key: p.name.key.raw, salt })
  assert.equal(back?.seq, 1)
  assert.deepEqual(back?.sig, put.sig)
  assert.deepEqual(back?.v, Buffer.from(bencode.encode(data)))
})
