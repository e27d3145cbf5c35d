// Property-based tests of the public key and push object parsers
// (parsePublicKey, parsePushObject, with encodePushObject): whatever the
// input, a canonical value or BAD_KEY / BAD_PUSH_OBJECT; anything else
// escaping is a bug. What the printers write parses back. Shared pieces:
// test/helpers/fuzz.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto'
import fc from 'fast-check'
import { parsePublicKey, publicKeyFromRaw, verifySignature, type PublicKey } from '../../src/core/public-key.js'
import {
  encodePushObject, encodeUnsigned, parsePushObject, pushObjectId, ZERO_ID,
  type PushObject, type PushObjectFields
} from '../../src/core/push-object.js'
import { sortRefs } from '../../src/core/ref-list.js'
import { anyRefName, anyText, applyEdit, edit, hex, oid, outcome, rarely, refList, SEED, sha1, Tally, type Outcome } from '../helpers/fuzz.js'

// ---------------------------------------------------------------------------
// Public keys (src/core/public-key.ts)

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex')

/** An ed25519 key pair from a 32-byte seed: random keys, the same on every run. */
function keyPair (seed: Uint8Array): { privateKey: KeyObject, publicKey: PublicKey } {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' })
  const x = createPublicKey(privateKey).export({ format: 'jwk' }).x!
  return { privateKey, publicKey: publicKeyFromRaw(Buffer.from(x, 'base64url')) }
}
const keySeed = fc.uint8Array({ minLength: 32, maxLength: 32 })

function sshString (b: Uint8Array, len = b.length): Buffer {
  const n = Buffer.alloc(4)
  n.writeUInt32BE(len)
  return Buffer.concat([n, b])
}

/** `ssh-ed25519 <base64 of a blob>`: blobs right and wrong (type, lengths that lie, trailing bytes, small-order points), base64 canonical or not. */
const keyLine = fc.record({
  prefix: fc.oneof({ weight: 6, arbitrary: fc.constant('ssh-ed25519') }, { weight: 1, arbitrary: fc.constantFrom('ssh-rsa', 'SSH-ED25519', 'ssh-ed25519\u0000', '', 'ecdsa-sha2-nistp256') }),
  sep: fc.constantFrom(' ', ' ', ' ', '\t', '   ', '\u00a0', '\n', ''),
  type: fc.oneof({ weight: 6, arbitrary: fc.constant('ssh-ed25519') }, { weight: 1, arbitrary: fc.constantFrom('ssh-rsa', 'ssh-ed2551', 'ssh-ed25519\u0000', '') }),
  typeLen: rarely(fc.oneof(fc.nat(20), fc.constant(0xffffffff)), 5),
  key: fc.oneof({ weight: 4, arbitrary: keySeed }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.constantFrom('01' + '00'.repeat(31), '00'.repeat(32), 'ec' + 'ff'.repeat(30) + '7f').map(h => Buffer.from(h, 'hex')) }),
  keyLen: rarely(fc.oneof(fc.nat(40), fc.constant(0xfffffffc)), 5),
  trailer: rarely(fc.uint8Array({ minLength: 1, maxLength: 4 }), 5),
  mangle: fc.oneof({ weight: 6, arbitrary: fc.constant('none') }, { weight: 1, arbitrary: fc.constantFrom('strip-padding', 'add-padding', 'last-char', 'url-safe', 'space-inside') }),
  comment: fc.option(fc.string({ unit: 'binary', maxLength: 20 }))
}).map(k => {
  const wire = Buffer.concat([sshString(Buffer.from(k.type, 'latin1'), k.typeLen ?? undefined), sshString(k.key, k.keyLen ?? undefined), k.trailer ?? Buffer.alloc(0)])
  let b64 = wire.toString('base64')
  if (k.mangle === 'strip-padding') b64 = b64.replace(/=+$/, '')
  if (k.mangle === 'add-padding') b64 += '='
  if (k.mangle === 'last-char') b64 = b64.slice(0, -1) + (b64.endsWith('A') ? 'B' : 'A')
  if (k.mangle === 'url-safe') b64 = b64.replace(/\+/g, '-').replace(/\//g, '_')
  if (k.mangle === 'space-inside') b64 = `${b64.slice(0, 10)} ${b64.slice(10)}`
  return `${k.prefix}${k.sep}${b64}${k.comment === null ? '' : ` ${k.comment}`}`
})

const parseKey = (line: string): Outcome<PublicKey> => outcome(() => parsePublicKey(line, 'fuzz'), ['BAD_KEY'])

test('parsePublicKey: property: any text gives an ed25519 key whose text is the line\'s own key field, or BAD_KEY', (t) => {
  const tally = new Tally(t)
  const line = fc.oneof({ weight: 3, arbitrary: keyLine }, { weight: 1, arbitrary: anyText }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }).map(s => `ssh-ed25519 ${s}`) })
  fc.assert(fc.property(line, (line) => {
    const r = parseKey(line)
    tally.add(r.ok ? 'key' : r.error.message.replace(/^fuzz /, ''))
    if (!r.ok) return
    const k = r.value
    assert.equal(k.raw.length, 32)
    assert.equal(k.id, sha1(k.raw))
    assert.equal(k.text, `ssh-ed25519 ${line.trim().split(/\s+/)[1]}`)
    assert.deepEqual(parsePublicKey(k.text, 'again'), k)
  }), { seed: SEED, numRuns: 1000 })
  assert.ok(tally.of('key') >= 100, JSON.stringify(tally.counts))
})

test('parsePublicKey: property: a key\'s text (with or without a comment and white space) parses back to the same key', () => {
  fc.assert(fc.property(keySeed, fc.constantFrom('', ' ', '\t', '\n'), fc.option(fc.string({ maxLength: 20 })), (seed, space, comment) => {
    const k = keyPair(seed).publicKey
    const line = `${space}${k.text}${comment === null ? '' : ` ${comment}`}${space}`
    assert.deepEqual(parsePublicKey(line, 'fuzz'), k)
  }), { seed: SEED, numRuns: 200 })
})

test('parsePublicKey: property: any 32 bytes make a key that round-trips, unless a small-order point (BAD_KEY)', () => {
  fc.assert(fc.property(keySeed, (raw) => {
    const k = publicKeyFromRaw(raw)
    const r = parseKey(k.text)
    if (r.ok) assert.deepEqual(r.value, k)
    else assert.match(r.error.message, /small-order/)
  }), { seed: SEED, numRuns: 300 })
})

// ---------------------------------------------------------------------------
// Push objects (src/core/push-object.ts)

/** Push object fields in the documented ranges: counts and Unix seconds as decimal numbers of at most 15 digits. */
const MAX_DECIMAL = 10 ** 15 - 1
const decimalNumber = (min: number): fc.Arbitrary<number> => fc.oneof(fc.integer({ min, max: min + 10_000 }), fc.integer({ min, max: MAX_DECIMAL }))
const digest = fc.record({ sha256: hex(64), size: decimalNumber(1) }, { noNullPrototype: true })

const pushFields: fc.Arbitrary<PushObjectFields> = fc.record({
  project: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
  sequence: decimalNumber(1),
  prev: hex(64).filter(h => h !== ZERO_ID),
  created: fc.integer({ min: 0, max: MAX_DECIMAL - 1 }),
  ttl: fc.integer({ min: 1, max: 10 ** 9 }),
  bundle: fc.record({ sha256: hex(64), size: decimalNumber(1), infoHash: hex(40) }, { noNullPrototype: true }),
  index: fc.option(digest, { nil: undefined }),
  reverseIndex: fc.option(digest, { nil: undefined }),
  origin: fc.option(fc.webUrl({ validSchemes: ['https', 'http'] }).filter(u => !/\s/.test(u) && u.length <= 2048 && !new URL(u).password && !new URL(u).hostname.startsWith('-')), { nil: undefined }),
  refs: refList
}).map(({ ttl, ...f }) => ({
  ...f,
  prev: f.sequence === 1 ? ZERO_ID : f.prev,
  expires: Math.min(f.created + ttl, MAX_DECIMAL),
  reverseIndex: f.index === undefined ? undefined : f.reverseIndex
}))

const signed = fc.tuple(pushFields, keySeed).map(([fields, seed]) => {
  const { privateKey, publicKey } = keyPair(seed)
  return { fields, signer: publicKey, sign: (m: Buffer): Buffer => sign(null, m, privateKey) }
})

function checkPushObject (po: PushObject, input: Buffer): void {
  assert.ok(po.bytes.equals(input))
  assert.equal(po.id, pushObjectId(input))
  assert.equal(po.signature.length, 64)
  assert.ok(po.signed.equals(input.subarray(0, po.signed.length)))
  assert.equal(input.subarray(po.signed.length).toString('utf8'), `signature ${po.signature.toString('base64')}\n`)
  // what parses is the canonical text of what it says
  assert.ok(encodeUnsigned(po, po.signer).equals(po.signed), 'the parsed fields print to the same text')
}

test('encodePushObject / parsePushObject: property: fields in range round-trip, byte for byte, and the signature covers the text', () => {
  fc.assert(fc.property(signed, ({ fields, signer, sign }) => {
    const po = encodePushObject(fields, signer, sign)
    const back = parsePushObject(po.bytes, 'fuzz')
    assert.deepEqual(back, po)
    checkPushObject(back, po.bytes)
    assert.deepEqual({
      project: back.project, sequence: back.sequence, created: back.created, expires: back.expires, prev: back.prev,
      bundle: back.bundle, index: back.index, reverseIndex: back.reverseIndex, origin: back.origin, refs: back.refs
    }, { ...fields, index: fields.index ?? null, reverseIndex: fields.reverseIndex ?? null, origin: fields.origin ?? null, refs: sortRefs(fields.refs) })
    assert.equal(back.signer.text, signer.text)
    assert.ok(verifySignature(back.signer, back.signed, back.signature))
  }), { seed: SEED, numRuns: 200 })
})

test('encodePushObject / parsePushObject: property: any fields encodeUnsigned accepts parse back', () => {
  const anySafe = fc.oneof(fc.integer({ min: -(10 ** 6), max: 10 ** 6 }), fc.constantFrom(10 ** 15, Number.MAX_SAFE_INTEGER - 1, -1))
  const wide = fc.tuple(signed, anySafe, anySafe).map(([s, created, ttl]) => ({ ...s, fields: { ...s.fields, created, expires: created + Math.max(1, Math.abs(ttl)) } }))
  fc.assert(fc.property(wide, ({ fields, signer, sign }) => {
    try { encodeUnsigned(fields, signer) } catch { return }   // fields the printer refuses (RangeError) are not the question
    const po = encodePushObject(fields, signer, sign)   // parses its own text
    assert.equal(po.created, fields.created)
  }), { seed: SEED, numRuns: 200 })
})

const pushLine = fc.oneof(
  fc.constantFrom('git-torrent-mirror push object 1', 'git-torrent-mirror push object 2', 'project x', 'project ', 'project .x', 'sequence 0', 'sequence 01', 'sequence -1',
    'sequence 1000000000000000', 'created 1', 'expires 0', `prev ${ZERO_ID}`, `prev ${'A'.repeat(64)}`, `bundle ${'e'.repeat(64)} 0 ${'5'.repeat(40)}`,
    `index ${'e'.repeat(64)} 1`, `reverse-index ${'e'.repeat(64)} 1`, 'signer ssh-ed25519 AAAA', `${'a'.repeat(40)} HEAD`, `${'a'.repeat(40)} refs/heads/../x`,
    `signature ${Buffer.alloc(64).toString('base64')}`, `signature ${Buffer.alloc(63).toString('base64')}`, 'signature', ''),
  fc.tuple(fc.constantFrom('project', 'sequence', 'created', 'expires', 'prev', 'bundle', 'index', 'reverse-index', 'signer', 'signature'), fc.string({ unit: 'binary', maxLength: 30 }))
    .map(([k, v]) => `${k} ${v}`),
  fc.tuple(oid, anyRefName).map(([o, n]) => `${o} ${n}`)
)

const parsePush = (bytes: Buffer): Outcome<PushObject> => outcome(() => parsePushObject(bytes, 'fuzz'), ['BAD_PUSH_OBJECT'])

test('parsePushObject: property: a push object with bytes or lines changed, moved or cut gives a canonical push object or BAD_PUSH_OBJECT', (t) => {
  const tally = new Tally(t)
  fc.assert(fc.property(signed, fc.array(edit(pushLine), { minLength: 1, maxLength: 2 }), ({ fields, signer, sign }, edits) => {
    const bytes = edits.reduce(applyEdit, encodePushObject(fields, signer, sign).bytes)
    const r = parsePush(bytes)
    tally.add(r.ok ? 'parsed' : 'BAD_PUSH_OBJECT')
    if (r.ok) checkPushObject(r.value, bytes)
  }), { seed: SEED, numRuns: 500 })
  assert.ok(tally.of('parsed') >= 25, `some changes (a signature byte, a digit, a ref) still parse: ${JSON.stringify(tally.counts)}`)
})

test('parsePushObject: property: random bytes and line soup give BAD_PUSH_OBJECT (or, by chance, a canonical push object)', () => {
  const soup = fc.array(pushLine, { maxLength: 14 }).map(ls => Buffer.from(ls.map(l => `${l}\n`).join('')))
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }).map(b => Buffer.from(b)), soup), (bytes) => {
    const r = parsePush(bytes)
    if (r.ok) checkPushObject(r.value, bytes)
  }), { seed: SEED, numRuns: 1000 })
})
