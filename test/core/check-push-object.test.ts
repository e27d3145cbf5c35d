import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto'
import { publicKeyFromRaw, type PublicKey } from '../../src/core/public-key.js'
import { encodePushObject, parsePushObject, ZERO_ID, type PushObject, type PushObjectFields } from '../../src/core/push-object.js'
import {
  checkBundleAgainst, checkPushObject, CLOCK_SKEW_SECONDS, refused, type Accepted, type TrustPolicy, type VerifyCheck
} from '../../src/core/check-push-object.js'
import type { Ref } from '../../src/core/ref-list.js'

/** Ed25519 keys from fixed seeds: the same objects on every run. */
function fixedKey (seedByte: number): { privateKey: KeyObject, publicKey: PublicKey } {
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, seedByte)])
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
  const x = createPublicKey(privateKey).export({ format: 'jwk' }).x!
  return { privateKey, publicKey: publicKeyFromRaw(Buffer.from(x, 'base64url')) }
}

const TRUSTED = fixedKey(1)
const OTHER = fixedKey(2)
const NOW = 1_700_000_000
const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const C = 'c'.repeat(40)
const PREV = '1f'.repeat(32)
const SHA = 'e3'.repeat(32)
const SIZE = 4096

function fields (over: Partial<PushObjectFields> = {}): PushObjectFields {
  return {
    project: 'demo',
    sequence: 5,
    created: NOW - 3600,
    expires: NOW + 7 * 86400,
    prev: PREV,
    bundle: { sha256: SHA, size: SIZE, infoHash: '5d'.repeat(20) },
    refs: [{ name: 'HEAD', oid: A }, { name: 'refs/heads/main', oid: A }, { name: 'refs/tags/v1', oid: B }],
    ...over
  }
}

function make (over: Partial<PushObjectFields> = {}, key = TRUSTED): PushObject {
  return encodePushObject(fields(over), key.publicKey, m => sign(null, m, key.privateKey))
}

function policy (over: Partial<TrustPolicy> = {}): TrustPolicy {
  return { trusted: [TRUSTED.publicKey], project: 'demo', now: NOW, accepted: null, ...over }
}

/** `po`'s signed text with the signature line of `from`. */
function spliceSignature (po: PushObject, from: PushObject): PushObject {
  const sigLine = from.bytes.subarray(from.signed.length)
  return parsePushObject(Buffer.concat([po.signed, sigLine]), 'spliced')
}

/** `po` with its text changed by `edit`, signature kept. */
function edited (po: PushObject, edit: (text: string) => string): PushObject {
  const text = edit(po.bytes.toString('utf8'))
  assert.notEqual(text, po.bytes.toString('utf8'))
  return parsePushObject(Buffer.from(text), 'edited')
}

function assertRefused (run: () => unknown, check: VerifyCheck, why?: RegExp): void {
  assert.throws(run, (err: any) => {
    assert.equal(err.name, 'MirrorError')
    assert.equal(err.code, 'VERIFY_FAILED')
    assert.equal(err.data.check, check)
    assert.ok(err.message.startsWith(`push object refused (${check}): `), err.message)
    if (why !== undefined) assert.match(err.message, why)
    return true
  })
}

test('refused: code, check and message prefix', () => {
  const err = refused('rollback', 'older', { sequence: 1 })
  assert.equal(err.code, 'VERIFY_FAILED')
  assert.equal(err.message, 'push object refused (rollback): older')
  assert.deepEqual(err.data, { sequence: 1, check: 'rollback' })
  assert.deepEqual(refused('fork', 'x', { check: 'spoofed' }).data, { check: 'fork' })
})

test('checkPushObject: refusals', async (t) => {
  const po = make()
  const ACCEPTED_4: Accepted = { sequence: 4, id: PREV }
  const cases: Array<[string, () => PushObject, Partial<TrustPolicy>, VerifyCheck, RegExp]> = [
    ['signature of other fields spliced in', () => spliceSignature(po, make({ project: 'other' })), {}, 'signature', new RegExp(`does not verify for key ${TRUSTED.publicKey.id}`)],
    ['signature of the previous sequence spliced in', () => spliceSignature(po, make({ sequence: 4 })), {}, 'signature', /does not verify/],
    ['one byte of the project changed, still a valid name', () => edited(po, s => s.replace('project demo\n', 'project deno\n')), { project: 'deno' }, 'signature', /does not verify/],
    ['a ref oid changed', () => edited(po, s => s.replace(`${B} refs/tags/v1`, `${C} refs/tags/v1`)), {}, 'signature', /does not verify/],
    ['expires pushed back', () => edited(po, s => s.replace(`expires ${NOW + 7 * 86400}`, `expires ${NOW + 70 * 86400}`)), {}, 'signature', /does not verify/],
    ['signer line swapped for another trusted key', () => edited(po, s => s.replace(TRUSTED.publicKey.text, OTHER.publicKey.text)), { trusted: [TRUSTED.publicKey, OTHER.publicKey] }, 'signature', new RegExp(`for key ${OTHER.publicKey.id}`)],
    ['a bad signature comes before an untrusted key', () => spliceSignature(make({}, OTHER), make({ project: 'other' }, OTHER)), {}, 'signature', /does not verify/],
    ['signed by a key not trusted', () => make({}, OTHER), {}, 'untrusted-key', new RegExp(`signed by ${OTHER.publicKey.text}, which is not a trusted key`)],
    ['no key trusted at all', () => po, { trusted: [] }, 'untrusted-key', /not a trusted key/],
    ['an untrusted key comes before the project', () => make({ project: 'other' }, OTHER), {}, 'untrusted-key', /not a trusted key/],
    ['another project', () => make({ project: 'other' }), {}, 'project', /signed for project "other", expected "demo"/],
    ['project differs in case only', () => make({ project: 'Demo' }), {}, 'project', /signed for project "Demo", expected "demo"/],
    ['created beyond the clock skew', () => make({ created: NOW + CLOCK_SKEW_SECONDS + 1 }), {}, 'not-yet-valid', new RegExp(`created ${new Date((NOW + CLOCK_SKEW_SECONDS + 1) * 1000).toISOString()}, in the future`)],
    ['created a day ahead', () => make({ created: NOW + 86400, expires: NOW + 2 * 86400 }), {}, 'not-yet-valid', /in the future/],
    ['expires now', () => make({ expires: NOW }), {}, 'expired', new RegExp(`expired ${new Date(NOW * 1000).toISOString()}`)],
    ['expired a second ago', () => make({ expires: NOW - 1 }), {}, 'expired', /expired/],
    ['expired long ago', () => make({ created: 1000, expires: 2000 }), {}, 'expired', /expired 1970-01-01T00:33:20\.000Z/],
    ['expired and for another project: the project check comes first', () => make({ project: 'other', expires: NOW }), {}, 'project', /signed for project "other"/],
    ['rollback: older sequence', () => make({ sequence: 3 }), { accepted: ACCEPTED_4 }, 'rollback', /sequence 3 is older than sequence 4, accepted before/],
    ['rollback: sequence 1 after 4', () => make({ sequence: 1, prev: ZERO_ID }), { accepted: ACCEPTED_4 }, 'rollback', /sequence 1 is older than sequence 4/],
    ['fork: same sequence, other id', () => make({ sequence: 4 }), { accepted: { sequence: 4, id: 'f'.repeat(64) } }, 'fork', new RegExp(`sequence 4 was accepted before with id ${'f'.repeat(64)}; this one is [0-9a-f]{64}`)],
    ['chain: next sequence, wrong prev', () => make({ sequence: 5, prev: '2e'.repeat(32) }), { accepted: ACCEPTED_4 }, 'chain', new RegExp(`sequence 5 names prev ${'2e'.repeat(32)}, but the accepted sequence 4 is ${PREV}`)],
    ['chain: sequence 2 after 1, wrong prev', () => make({ sequence: 2 }), { accepted: { sequence: 1, id: 'ab'.repeat(32) } }, 'chain', /sequence 2 names prev/]
  ]
  for (const [name, build, over, check, why] of cases) {
    await t.test(name, () => {
      const p = build()
      assertRefused(() => checkPushObject(p, policy(over)), check, why)
    })
  }
})

test('checkPushObject: refusals carry their details in data', () => {
  const po = make({ sequence: 3 })
  assert.throws(() => checkPushObject(po, policy({ accepted: { sequence: 4, id: PREV } })), (err: any) => {
    assert.deepEqual(err.data, { check: 'rollback', sequence: 3, accepted: 4 })
    return true
  })
  assert.throws(() => checkPushObject(make({}, OTHER), policy()), (err: any) => {
    assert.deepEqual(err.data, { check: 'untrusted-key', key: OTHER.publicKey.id })
    return true
  })
  const fork = make({ sequence: 4 })
  assert.throws(() => checkPushObject(fork, policy({ accepted: { sequence: 4, id: ZERO_ID } })), (err: any) => {
    assert.deepEqual(err.data, { check: 'fork', sequence: 4, accepted: ZERO_ID, id: fork.id })
    return true
  })
})

test('checkPushObject: accepted', async (t) => {
  const first = make({ sequence: 1, prev: ZERO_ID })
  const second = make({ sequence: 2, prev: first.id })
  const cases: Array<[string, PushObject, Partial<TrustPolicy>, string | null]> = [
    ['nothing accepted before', second, {}, null],
    ['first of a chain, nothing accepted before', first, {}, null],
    ['the one accepted before, again', first, { accepted: { sequence: 1, id: first.id } }, null],
    ['the next one, prev correct', second, { accepted: { sequence: 1, id: first.id } }, null],
    ['one of several trusted keys', second, { trusted: [OTHER.publicKey, TRUSTED.publicKey] }, null],
    ['created at the edge of the clock skew', make({ created: NOW + CLOCK_SKEW_SECONDS, expires: NOW + 86400 }), {}, null],
    ['created now', make({ created: NOW }), {}, null],
    ['expires in a second', make({ expires: NOW + 1 }), {}, null],
    ['a gap: 7 after 4', make({ sequence: 7 }), { accepted: { sequence: 4, id: 'ab'.repeat(32) } },
      'push object 7 follows 4, accepted before; the 2 in between were not seen, so its prev could not be checked'],
    ['a gap of one: 3 after 1', make({ sequence: 3 }), { accepted: { sequence: 1, id: first.id } },
      'push object 3 follows 1, accepted before; the one in between was not seen, so its prev could not be checked']
  ]
  for (const [name, po, over, notice] of cases) {
    await t.test(name, () => assert.deepEqual(checkPushObject(po, policy(over)), { notice }))
  }
})

test('checkPushObject: a trusted key given as a separate PublicKey object with the same bytes', () => {
  const copy = publicKeyFromRaw(Buffer.from(TRUSTED.publicKey.raw))
  assert.deepEqual(checkPushObject(make(), policy({ trusted: [copy] })), { notice: null })
})

test('checkBundleAgainst', async (t) => {
  const po = make()
  const refs: Ref[] = po.refs.map(r => ({ ...r }))
  const ok = { size: SIZE, sha256: SHA, refs }
  const cases: Array<[string, { size: number, sha256: string, refs: Ref[] }, VerifyCheck | null, RegExp | null]> = [
    ['matches', ok, null, null],
    ['matches, refs in another order', { ...ok, refs: [...refs].reverse() }, null, null],
    ['size differs', { ...ok, size: SIZE + 1 }, 'bundle-size', new RegExp(`the bundle is ${SIZE + 1} bytes, the signed size is ${SIZE}`)],
    ['size 0', { ...ok, size: 0 }, 'bundle-size', /the bundle is 0 bytes/],
    ['size checked before the digest', { ...ok, size: 1, sha256: '0'.repeat(64) }, 'bundle-size', /bytes/],
    ['digest differs', { ...ok, sha256: '0'.repeat(64) }, 'bundle-digest', new RegExp(`the bundle's SHA-256 is ${'0'.repeat(64)}, the signed one is ${SHA}`)],
    ['digest in upper case', { ...ok, sha256: SHA.toUpperCase() }, 'bundle-digest', /SHA-256/],
    ['digest checked before the refs', { ...ok, sha256: '0'.repeat(64), refs: [] }, 'bundle-digest', /SHA-256/],
    ['one ref differs', { ...ok, refs: refs.map(r => r.name === 'refs/tags/v1' ? { ...r, oid: C } : r) }, 'refs', /differ from the signed ones \(first: refs\/tags\/v1\)/],
    ['a ref missing', { ...ok, refs: refs.filter(r => r.name !== 'refs/heads/main') }, 'refs', /\(first: refs\/heads\/main\)/],
    ['an extra ref', { ...ok, refs: [...refs, { name: 'refs/heads/extra', oid: C }] }, 'refs', /\(first: refs\/heads\/extra\)/],
    ['HEAD differs', { ...ok, refs: refs.map(r => r.name === 'HEAD' ? { ...r, oid: B } : r) }, 'refs', /\(first: HEAD\)/],
    ['HEAD missing', { ...ok, refs: refs.filter(r => r.name !== 'HEAD') }, 'refs', /\(first: HEAD\)/],
    ['no refs at all', { ...ok, refs: [] }, 'refs', /\(first: HEAD\)/],
    // Refused, though the message cannot name the ref: every listed name has its signed oid ("first: ?").
    ['a signed ref listed twice', { ...ok, refs: [...refs, refs[1]!] }, 'refs', /differ from the signed ones \(first: /],
    ['a ref renamed', { ...ok, refs: refs.map(r => r.name === 'refs/tags/v1' ? { ...r, name: 'refs/tags/v2' } : r) }, 'refs', /\(first: refs\/tags\/v2\)/]
  ]
  for (const [name, bundle, check, why] of cases) {
    await t.test(name, () => {
      if (check === null) {
        assert.equal(checkBundleAgainst(po, bundle), undefined)
      } else {
        assertRefused(() => checkBundleAgainst(po, bundle), check, why ?? undefined)
      }
    })
  }
})

test('checkBundleAgainst: refusals carry their details in data', () => {
  const po = make()
  assert.throws(() => checkBundleAgainst(po, { size: 1, sha256: SHA, refs: po.refs }), (err: any) => {
    assert.deepEqual(err.data, { check: 'bundle-size', size: 1 })
    return true
  })
  assert.throws(() => checkBundleAgainst(po, { size: SIZE, sha256: SHA, refs: po.refs.slice(1) }), (err: any) => {
    assert.deepEqual(err.data, { check: 'refs', ref: 'HEAD' })
    return true
  })
})
