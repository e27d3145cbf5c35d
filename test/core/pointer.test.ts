import assert from 'node:assert/strict'
import { generateKeyPairSync, sign } from 'node:crypto'
import { test } from 'node:test'
import fc from 'fast-check'
import { isMirrorError } from '../../src/core/errors.js'
import { checkPointerItem, isPointerMagnet, parsePointerMagnet, pointerMagnet, pointerSignedBytes, pointerTarget, pointerValue } from '../../src/core/pointer.js'
import { publicKeyFromRaw, verifySignature } from '../../src/core/public-key.js'

function keyPair (): { key: ReturnType<typeof publicKeyFromRaw>, sign: (m: Buffer) => Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return { key: publicKeyFromRaw(Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url')), sign: m => sign(null, m, privateKey) }
}
const K = keyPair()
const IH = 'ab'.repeat(20)

test('pointerMagnet and parsePointerMagnet: BEP 46\'s form, both ways', () => {
  const name = { key: K.key, project: 'linux' }
  const magnet = pointerMagnet(name)
  assert.equal(magnet, `magnet:?xs=urn:btpk:${K.key.raw.toString('hex')}&s=6c696e7578`)
  assert.ok(isPointerMagnet(magnet))
  assert.ok(!isPointerMagnet(`magnet:?xt=urn:btih:${IH}`))
  const back = parsePointerMagnet(magnet, 'the magnet')
  assert.equal(back.project, 'linux')
  assert.ok(back.key.raw.equals(K.key.raw))
  // other parameters are ignored, the order does not matter, upper-case hex and %3A are fine
  assert.equal(parsePointerMagnet(`magnet:?dn=x&s=6C696E7578&xs=urn%3Abtpk%3A${K.key.raw.toString('hex').toUpperCase()}`, 'm').project, 'linux')
  // the target: SHA-1 of key then salt (BEP 44)
  assert.equal(pointerTarget(name).length, 20)
})

test('parsePointerMagnet refuses, naming why', () => {
  const key = K.key.raw.toString('hex')
  const cases: Array<[string, RegExp]> = [
    ['https://example.org', /does not start with magnet:\?/],
    [`magnet:?xt=urn:btih:${IH}`, /no xs=urn:btpk/],
    [`magnet:?xs=urn:btpk:${key}`, /no s=<project>/],
    [`magnet:?xs=urn:btpk:${key}&xs=urn:btpk:${key}&s=61`, /more than one public key/],
    [`magnet:?xs=urn:btpk:${key}&s=61&s=62`, /more than one s=/],
    [`magnet:?xs=urn:btpk:${key.slice(2)}&s=61`, /not 64 hex digits/],
    [`magnet:?xs=urn:btpk:${key}&s=6`, /the hex of 1 to 64 bytes/],
    [`magnet:?xs=urn:btpk:${key}&s=${'61'.repeat(65)}`, /the hex of 1 to 64 bytes/],
    [`magnet:?xs=urn:btpk:${key}&s=ff`, /not UTF-8/],
    [`magnet:?xs=urn:btpk:${key}&s=2e2e`, /is \. or \.\./],
    [`magnet:?xs=urn:btpk:${key}&s=612f62`, /a slash/],
    [`magnet:?xs=urn:btpk:${'00'.repeat(32)}&s=61`, /degenerate/],
    [`magnet:?xs=urn:btpk:${key}&s=%E0%A4%A`, /percent-encoded/]
  ]
  for (const [text, why] of cases) {
    assert.throws(() => parsePointerMagnet(text, 'the magnet'), (err: unknown) => isMirrorError(err, 'BAD_RECORD') && why.test((err as Error).message) && (err as Error).message.startsWith('the magnet is not a BEP 46 magnet'), text)
  }
})

test('pointerSignedBytes is what BEP 44 signs: its test vector\'s layout, and a real signature verifies', () => {
  // BEP 44: 4:salt6:foobar3:seqi1e1:v12:Hello World!  (here v is the bencoded { ih })
  const bytes = pointerSignedBytes('foobar', 1, IH)
  assert.equal(bytes.toString('latin1'), `4:salt6:foobar3:seqi1e1:vd2:ih20:${Buffer.from(IH, 'hex').toString('latin1')}e`)
  assert.ok(verifySignature(K.key, bytes, K.sign(bytes)))
})

test('checkPointerItem: the key, salt, seq, signature size and value asked for, or BAD_RECORD with why', () => {
  const name = { key: K.key, project: 'p' }
  const good = { k: K.key.raw, salt: Buffer.from('p'), seq: 3, sig: Buffer.alloc(64), v: pointerValue(IH) }
  assert.deepEqual(checkPointerItem(good, name, 'x'), { infoHash: IH, seq: 3, sig: '00'.repeat(64) })
  assert.deepEqual(checkPointerItem({ ...good, v: { ih: Buffer.from(IH, 'hex'), extra: 1 } }, name, 'x').infoHash, IH, 'other keys are ignored')
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ k: keyPair().key.raw }, /another key/],
    [{ salt: Buffer.from('q') }, /another project/],
    [{ seq: -1 }, /seq/], [{ seq: 1.5 }, /seq/], [{ seq: '3' }, /seq/],
    [{ sig: Buffer.alloc(63) }, /64 bytes/],
    [{ v: Buffer.from('x') }, /not a dictionary/], [{ v: [1] }, /not a dictionary/],
    [{ v: { ih: Buffer.alloc(19) } }, /20-byte ih/],
    [{ v: { ih: Buffer.from(IH, 'hex'), pad: Buffer.alloc(1000) } }, /under 1000/]
  ]
  for (const [change, why] of cases) {
    assert.throws(() => checkPointerItem({ ...good, ...change }, name, 'the pointer'), (err: unknown) => isMirrorError(err, 'BAD_RECORD') && why.test((err as Error).message), JSON.stringify(Object.keys(change)))
  }
})

test('parsePointerMagnet and checkPointerItem: any input gives a pointer or BAD_RECORD, never a crash', () => {
  const key = K.key.raw.toString('hex')
  fc.assert(fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 80 }), (junk, salt) => {
    for (const text of [junk, `magnet:?${junk}`, `magnet:?xs=urn:btpk:${key}&s=${Buffer.from(salt).toString('hex')}&${junk}`]) {
      try {
        const p = parsePointerMagnet(text, 'm')
        assert.equal(parsePointerMagnet(pointerMagnet(p), 'm').project, p.project, 'what parses, prints and parses the same')
      } catch (err) {
        assert.ok(isMirrorError(err, 'BAD_RECORD'), String(err))
      }
    }
  }), { seed: 46, numRuns: 400 })
  fc.assert(fc.property(fc.anything(), fc.anything(), fc.anything(), (v, seq, sig) => {
    try {
      checkPointerItem({ k: K.key.raw, salt: Buffer.from('p'), v, seq, sig } as Record<string, unknown>, { key: K.key, project: 'p' }, 'x')
    } catch (err) {
      assert.ok(isMirrorError(err, 'BAD_RECORD'), String(err))
    }
  }), { seed: 44, numRuns: 400 })
})
