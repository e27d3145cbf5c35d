import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto'
import { parsePublicKey, publicKeyFromRaw, verifySignature } from '../../src/core/public-key.js'
import {
  encodePushObject, encodeUnsigned, MAGIC, MAX_PUSH_OBJECT_BYTES, parsePushObject, pushObjectId, ZERO_ID,
  type PushObject, type PushObjectFields
} from '../../src/core/push-object.js'
import type { Ref } from '../../src/core/ref-list.js'

const WHAT = 'origin refs/mirrors/push'

/** A fixed ed25519 key: seed 32 × 0x07. Ed25519 signatures are deterministic, so every byte below is fixed. */
const SEED = Buffer.alloc(32, 7)
const X = '6kpsY-KcUgq-9VB7Ey7F-ZVHdq6-vnuSQh7qaRRG0iw'
const PRIVATE = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: SEED.toString('base64url'), x: X }, format: 'jwk' })
const SIGNER_TEXT = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOpKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs'
const SIGNER = publicKeyFromRaw(Buffer.from(X, 'base64url'))
const signWith = (m: Buffer): Buffer => sign(null, m, PRIVATE)

const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const C = 'c'.repeat(40)
const PREV = '1f'.repeat(32)
const SHA = 'e3'.repeat(32)
const INFOHASH = '5d'.repeat(20)

function fields (over: Partial<PushObjectFields> = {}): PushObjectFields {
  return {
    project: 'demo',
    sequence: 2,
    created: 1700000000,
    expires: 1700086400,
    prev: PREV,
    bundle: { sha256: SHA, size: 12345, infoHash: INFOHASH },
    refs: [{ name: 'refs/tags/v1', oid: C }, { name: 'refs/heads/main', oid: B }, { name: 'HEAD', oid: B }],
    ...over
  }
}

const encode = (f: PushObjectFields = fields()): PushObject => encodePushObject(f, SIGNER, signWith)
const VALID = encode().bytes.toString('utf8')

/** The valid object's lines, without the final LF. */
const lines = (): string[] => VALID.slice(0, -1).split('\n')
const join = (ls: string[]): string => ls.map(l => `${l}\n`).join('')
/** VALID with the line starting with `prefix` replaced. */
function replaceLine (prefix: string, line: string): string {
  const ls = lines()
  const i = ls.findIndex(l => l.startsWith(prefix))
  assert.ok(i >= 0, prefix)
  ls[i] = line
  return join(ls)
}
/** VALID with lines (1-based `at`) replaced by `insert`, deleting `remove`. */
function splice (at: number, remove: number, ...insert: string[]): string {
  const ls = lines()
  ls.splice(at - 1, remove, ...insert)
  return join(ls)
}

test('the fixed key is the one its seed gives', () => {
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), SEED])
  const fromDer = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
  assert.equal(createPublicKey(fromDer).export({ format: 'jwk' }).x, X)
  assert.equal(SIGNER.text, SIGNER_TEXT)
})

test('encodePushObject: the canonical text, byte for byte', () => {
  const unsigned =
    'git-torrent-mirror push object 1\n' +
    'project demo\n' +
    'sequence 2\n' +
    'created 1700000000\n' +
    'expires 1700086400\n' +
    `prev ${PREV}\n` +
    `bundle ${SHA} 12345 ${INFOHASH}\n` +
    `signer ${SIGNER_TEXT}\n` +
    `${B} HEAD\n` +
    `${B} refs/heads/main\n` +
    `${C} refs/tags/v1\n`
  const signature = sign(null, Buffer.from(unsigned), PRIVATE)
  const whole = `${unsigned}signature ${signature.toString('base64')}\n`

  assert.equal(encodeUnsigned(fields(), SIGNER).toString('utf8'), unsigned)
  const po = encode()
  assert.equal(po.bytes.toString('utf8'), whole)
  assert.equal(po.signed.toString('utf8'), unsigned)
  assert.ok(po.signature.equals(signature))
  assert.equal(po.id, createHash('sha256').update(whole).digest('hex'))
  // Pinned: the same fields and key give these bytes, on any machine, forever.
  assert.equal(signature.toString('base64').length, 88)
  assert.equal(po.id, createHash('sha256').update(Buffer.from(whole)).digest('hex'))
  assert.equal(MAGIC, 'git-torrent-mirror push object 1')
  assert.equal(ZERO_ID, '0'.repeat(64))
})

test('encodePushObject / parsePushObject: round trip', async (t) => {
  const cases: Array<[string, PushObjectFields]> = [
    ['typical', fields()],
    ['first of a chain', fields({ sequence: 1, prev: ZERO_ID })],
    ['only HEAD', fields({ refs: [{ name: 'HEAD', oid: A }] })],
    ['only a branch, no HEAD', fields({ refs: [{ name: 'refs/heads/main', oid: A }] })],
    ['largest numbers (15 digits)', fields({ sequence: 999_999_999_999_999, created: 0, expires: 999_999_999_999_999, bundle: { sha256: SHA, size: 999_999_999_999_999, infoHash: INFOHASH } })],
    ['project name of 64 characters', fields({ project: `p${'x._-'.repeat(15)}abc` })],
    ['non-ASCII ref name', fields({ refs: [{ name: 'refs/heads/é', oid: A }, { name: 'HEAD', oid: A }] })],
    ['with the pack index and reverse index', fields({ index: { sha256: PREV, size: 4096 }, reverseIndex: { sha256: SHA, size: 300 } })],
    ['with the pack index alone', fields({ index: { sha256: PREV, size: 4096 } })]
  ]
  for (const [name, f] of cases) {
    await t.test(name, () => {
      const po = encode(f)
      const back = parsePushObject(po.bytes, WHAT)
      const { project, sequence, created, expires, prev, bundle } = f
      assert.deepEqual({ project, sequence, created, expires, prev, bundle, index: f.index ?? null, reverseIndex: f.reverseIndex ?? null }, {
        project: back.project, sequence: back.sequence, created: back.created, expires: back.expires, prev: back.prev, bundle: back.bundle, index: back.index, reverseIndex: back.reverseIndex
      })
      assert.deepEqual(back.refs, [...f.refs].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name))))
      assert.deepEqual(back, po)
      assert.ok(back.bytes.equals(po.bytes))
      assert.equal(back.id, createHash('sha256').update(po.bytes).digest('hex'))
      assert.equal(back.id, pushObjectId(po.bytes))
      assert.equal(back.signer.text, SIGNER_TEXT)
      assert.ok(back.signed.equals(po.bytes.subarray(0, po.bytes.length - 'signature '.length - 88 - 1)))
      assert.ok(verifySignature(back.signer, back.signed, back.signature))
      // The same fields give the same bytes twice.
      assert.ok(encode(f).bytes.equals(po.bytes))
    })
  }
})

test('the index lines: in their place after the bundle line, nowhere else', async (t) => {
  const withIndex = encode(fields({ index: { sha256: PREV, size: 4096 }, reverseIndex: { sha256: SHA, size: 300 } })).bytes.toString()
  assert.match(withIndex, new RegExp(`\nbundle ${SHA} 12345 ${INFOHASH}\nindex ${PREV} 4096\nreverse-index ${SHA} 300\nsigner `))
  assert.throws(() => encode(fields({ reverseIndex: { sha256: SHA, size: 300 } })), /a reverse index without an index/)
  assert.throws(() => encode(fields({ index: { sha256: SHA, size: 0 } })), /an index digest or size is malformed/)
  const ls = withIndex.slice(0, -1).split('\n')
  const cases: Array<[string, string[], number, RegExp]> = [
    ['reverse index before the index', [...ls.slice(0, 7), ls[8]!, ls[7]!, ...ls.slice(9)], 8, /expected "signer \.\.\."/],
    ['reverse index without the index', [...ls.slice(0, 7), ls[8]!, ...ls.slice(9)], 8, /expected "signer \.\.\."/],
    ['index digest too short', [...ls.slice(0, 7), `index ${SHA.slice(2)} 4096`, ...ls.slice(8)], 8, /index: not "<sha256> <size>"/],
    ['index size with a leading zero', [...ls.slice(0, 7), `index ${SHA} 04096`, ...ls.slice(8)], 8, /index: not "<sha256> <size>"/],
    ['index of size 0', [...ls.slice(0, 7), `index ${SHA} 0`, ...ls.slice(8)], 0, /an index digest or size is malformed/],
    ['index after the signer', [...ls.slice(0, 7), ...ls.slice(9, 10), ls[7]!, ls[8]!, ...ls.slice(10)], 9, /expected "<40 hex oid> <refname>"/]
  ]
  for (const [name, text, line, why] of cases) {
    await t.test(name, () => {
      assert.throws(() => parsePushObject(Buffer.from(join(text)), WHAT), (err: any) => {
        assert.equal(err.code, 'BAD_PUSH_OBJECT')
        assert.equal(err.data.line, line, err.message)
        assert.match(err.message, why)
        return true
      })
    })
  }
})

test('the origin line: optional, after the index lines and before the signer, a URL without a password', async (t) => {
  const po = encode(fields({ index: { sha256: PREV, size: 4096 }, origin: 'https://git.example.org/project.git' }))
  assert.match(po.bytes.toString(), new RegExp(`\nindex ${PREV} 4096\norigin https://git\.example\.org/project\.git\nsigner `))
  assert.equal(parsePushObject(po.bytes, WHAT).origin, 'https://git.example.org/project.git')
  assert.equal(encode().origin, null, 'none unless given')
  for (const bad of ['ftp://h/x', 'https://u:secret@h/x', 'host:path', 'https://-h/x', 'https://h/a b', `https://h/${'x'.repeat(2050)}`]) {
    assert.throws(() => encode(fields({ origin: bad })), /origin: /, bad)
  }
  const ls = po.bytes.toString().slice(0, -1).split('\n')
  const at = ls.findIndex(l => l.startsWith('origin '))
  const cases: Array<[string, string[], RegExp]> = [
    ['origin after the signer', [...ls.slice(0, at), ls[at + 1]!, ls[at]!, ...ls.slice(at + 2)], /expected "<40 hex oid> <refname>"/],
    ['origin with a password', [...ls.slice(0, at), 'origin https://u:p@h/x', ...ls.slice(at + 1)], /origin: it carries a password/],
    ['two origin lines', [...ls.slice(0, at + 1), ls[at]!, ...ls.slice(at + 1)], /expected "signer \.\.\."/]
  ]
  for (const [name, text, why] of cases) {
    await t.test(name, () => assert.throws(() => parsePushObject(Buffer.from(join(text)), WHAT), (err: any) => err.code === 'BAD_PUSH_OBJECT' && why.test(err.message)))
  }
})

test('parsePushObject: takes a Uint8Array and copies it', () => {
  const po = encode()
  const input = new Uint8Array(po.bytes)
  const back = parsePushObject(input, WHAT)
  input.fill(0)
  assert.ok(back.bytes.equals(po.bytes))
})

test('refs come out sorted by byte order, HEAD first, whatever the input order', async (t) => {
  const sorted: Ref[] = [
    { name: 'HEAD', oid: A },
    { name: 'refs/heads/Z', oid: B },          // upper case before lower case
    { name: 'refs/heads/a-b', oid: A },        // '-' 0x2d
    { name: 'refs/heads/a.b', oid: B },        // '.' 0x2e
    { name: 'refs/heads/a/b', oid: C },        // '/' 0x2f
    { name: 'refs/heads/main', oid: A },
    { name: 'refs/heads/z', oid: B },
    { name: 'refs/heads/é', oid: C },          // 0xc3 0xa9: after every ASCII name
    { name: 'refs/tags/v1', oid: C }
  ]
  const orders: Array<[string, Ref[]]> = [
    ['sorted', sorted],
    ['reversed', [...sorted].reverse()],
    ['HEAD last', [...sorted.slice(1), sorted[0]!]],
    ['interleaved', sorted.filter((_, i) => i % 2 === 1).concat(sorted.filter((_, i) => i % 2 === 0))],
    ['localeCompare order', [...sorted].sort((a, b) => a.name.localeCompare(b.name))]
  ]
  const reference = encode(fields({ refs: sorted })).bytes
  for (const [name, refs] of orders) {
    await t.test(name, () => {
      const po = encode(fields({ refs }))
      assert.deepEqual(po.refs, sorted)
      assert.ok(po.bytes.equals(reference))
      const refLines = po.signed.toString('utf8').trimEnd().split('\n').slice(8)
      assert.deepEqual(refLines, sorted.map(r => `${r.oid} ${r.name}`))
    })
  }
})

test('encodePushObject: refuses fields it could not write canonically', async (t) => {
  const cases: Array<[string, PushObjectFields, RegExp]> = [
    ['duplicate ref names', fields({ refs: [{ name: 'HEAD', oid: A }, { name: 'HEAD', oid: B }] }), /duplicate ref names/],
    ['bad oid', fields({ refs: [{ name: 'HEAD', oid: A.toUpperCase() }] }), /not a ref/],
    ['unsafe ref name', fields({ refs: [{ name: 'refs/heads/a b', oid: A }] }), /not a ref/],
    ['no refs', fields({ refs: [] }), /lists no refs/],
    ['sequence 0', fields({ sequence: 0 }), /sequence must be 1 or more/],
    ['fractional time', fields({ created: 1.5 }), /whole seconds/],
    ['expires = created', fields({ expires: 1700000000 }), /expires is not after created/],
    ['project with a newline', fields({ project: 'demo\nsequence 9' }), /not a project name/]
  ]
  for (const [name, f, why] of cases) {
    await t.test(name, () => assert.throws(() => encode(f), (err: any) => err instanceof RangeError && why.test(err.message)))
  }
  await t.test('a signature of 63 bytes', () => {
    assert.throws(() => encodePushObject(fields(), SIGNER, m => signWith(m).subarray(0, 63)), RangeError)
  })
})

test('parsePushObject: rejected (BAD_PUSH_OBJECT, check format)', async (t) => {
  const ls = lines()
  // 1 magic, 2 project, 3 sequence, 4 created, 5 expires, 6 prev, 7 bundle, 8 signer, 9-11 refs, 12 signature
  assert.equal(ls.length, 12)
  const sigB64 = ls[11]!.slice('signature '.length)
  const sig = Buffer.from(sigB64, 'base64')
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  // 64 bytes: 86 characters then '=='; the 86th carries 4 bits and 2 zero bits.
  const nonCanonical = `${sigB64.slice(0, 85)}${ALPHABET[ALPHABET.indexOf(sigB64[85]!) | 1]}==`
  assert.notEqual(nonCanonical, sigB64)
  assert.ok(Buffer.from(nonCanonical, 'base64').equals(sig))
  const notUtf8 = Buffer.concat([Buffer.from(VALID.slice(0, VALID.indexOf('demo'))), Buffer.from([0xff]), Buffer.from(VALID.slice(VALID.indexOf('demo')))])
  const big = Buffer.alloc(MAX_PUSH_OBJECT_BYTES + 1, 'a')
  big.write(VALID)
  big[big.length - 1] = 0x0a
  const key31 = (() => {
    const s = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b])
    return Buffer.concat([s(Buffer.from('ssh-ed25519')), s(Buffer.alloc(31, 1))]).toString('base64')
  })()

  // [name, object, line in data.line (0: the whole object), message fragment]
  const cases: Array<[string, string | Buffer, number, RegExp]> = [
    ['empty', '', 0, /is truncated \(no final newline\)/],
    ['last byte cut', VALID.slice(0, -1), 0, /is truncated \(no final newline\)/],
    ['cut in the middle of a ref line', VALID.slice(0, VALID.indexOf('refs/heads/main') + 5), 0, /is truncated \(no final newline\)/],
    ['cut after a ref line', join(ls.slice(0, 10)), 11, /is truncated$/],
    ['only the header lines', join(ls.slice(0, 8)), 9, /is truncated$/],
    ['only the magic line', `${MAGIC}\n`, 2, /is truncated$/],
    ['extra LF at the end', `${VALID}\n`, 13, /has text after the signature/],
    ['extra line after the signature', `${VALID}# comment\n`, 13, /has text after the signature/],
    ['a second signature line', `${VALID}${ls[11]}\n`, 13, /has text after the signature/],
    ['trailing space on the magic line', splice(1, 1, `${MAGIC} `), 1, /does not start with/],
    ['trailing space on the project line', replaceLine('project ', 'project demo '), 2, /project: not a project name/],
    ['trailing space on the sequence line', replaceLine('sequence ', 'sequence 2 '), 3, /sequence: not a decimal number/],
    ['trailing space on a ref line', splice(10, 1, `${ls[9]} `), 10, /is not a ref name/],
    ['trailing space on the signature line', splice(12, 1, `${ls[11]} `), 12, /signature: not the base64 of 64 bytes/],
    ['two spaces after a field name', replaceLine('project ', 'project  demo'), 2, /project: not a project name/],
    ['CRLF line ends', VALID.replace(/\n/g, '\r\n'), 0, /has CR characters/],
    ['one CR inside a line', replaceLine('project ', 'project demo\rx'), 0, /has CR characters/],
    ['wrong magic', splice(1, 1, 'git-torrent-mirror push object 2'), 1, /does not start with "git-torrent-mirror push object 1"/],
    ['magic missing', splice(1, 1), 1, /does not start with/],
    ['unknown line after the magic', splice(2, 0, 'comment hello'), 2, /expected "project \.\.\."/],
    ['unknown line before the bundle', splice(7, 0, 'size 12345'), 7, /expected "bundle \.\.\."/],
    ['unknown line between signer and refs', splice(9, 0, 'note x'), 9, /expected "<40 hex oid> <refname>" or "signature \.\.\."/],
    ['empty line in the header', splice(3, 0, ''), 3, /expected "sequence \.\.\."/],
    ['created and expires swapped', splice(4, 2, ls[4]!, ls[3]!), 4, /expected "created \.\.\."/],
    ['signer before bundle', splice(7, 2, ls[7]!, ls[6]!), 7, /expected "bundle \.\.\."/],
    ['a header line twice', splice(3, 0, ls[2]!), 4, /expected "created \.\.\."/],
    ['duplicate ref', splice(10, 0, ls[9]!), 11, /duplicate ref refs\/heads\/main/],
    ['duplicate ref name, other oid', splice(10, 0, `${A} refs/heads/main`), 11, /duplicate ref refs\/heads\/main/],
    ['refs out of order', splice(10, 2, ls[10]!, ls[9]!), 11, /refs\/heads\/main is out of order/],
    ['HEAD after the branches', splice(9, 2, ls[9]!, ls[8]!), 10, /HEAD is out of order/],
    ['oid in upper case', splice(10, 1, `${B.toUpperCase()} refs/heads/main`), 10, /expected "<40 hex oid> <refname>"/],
    ['oid of 39 digits', splice(10, 1, `${B.slice(1)} refs/heads/main`), 10, /expected "<40 hex oid> <refname>"/],
    ['oid of 41 digits', splice(10, 1, `${B}b refs/heads/main`), 10, /expected "<40 hex oid> <refname>"/],
    ['oid not hex', splice(10, 1, `${'g'.repeat(40)} refs/heads/main`), 10, /expected "<40 hex oid> <refname>"/],
    ['ref line without a name', splice(10, 1, B), 10, /expected "<40 hex oid> <refname>"/],
    ['ref name refs/heads/../x', splice(10, 1, `${B} refs/heads/../x`), 10, /"refs\/heads\/\.\.\/x" is not a ref name/],
    ['ref name with a space', splice(10, 1, `${B} refs/heads/a b`), 10, /"refs\/heads\/a b" is not a ref name/],
    ['ref name empty', splice(10, 1, `${B} `), 10, /"" is not a ref name/],
    ['ref name outside refs/', splice(10, 1, `${B} heads/main`), 10, /is not a ref name/],
    ['signature of 63 bytes', splice(12, 1, `signature ${sig.subarray(0, 63).toString('base64')}`), 12, /signature: not the base64 of 64 bytes/],
    ['signature of 65 bytes', splice(12, 1, `signature ${Buffer.concat([sig, Buffer.from([1])]).toString('base64')}`), 12, /signature: not the base64 of 64 bytes/],
    ['signature non-canonical base64', splice(12, 1, `signature ${nonCanonical}`), 12, /signature: not the base64 of 64 bytes/],
    ['signature without padding', splice(12, 1, `signature ${sigB64.slice(0, -2)}`), 12, /signature: not the base64 of 64 bytes/],
    ['signature in base64url', splice(12, 1, `signature ${sig.toString('base64url')}`), 12, /signature: not the base64 of 64 bytes/],
    ['signature empty', splice(12, 1, 'signature '), 12, /signature: not the base64 of 64 bytes/],
    ['signature line without a value', splice(12, 1, 'signature'), 12, /expected "<40 hex oid> <refname>"/],
    ['no refs', splice(9, 3), 9, /lists no refs/],
    ['sequence 0', replaceLine('sequence ', 'sequence 0'), 0, /is inconsistent: sequence must be 1 or more/],
    ['sequence with a leading zero', replaceLine('sequence ', 'sequence 02'), 3, /sequence: not a decimal number/],
    ['sequence negative', replaceLine('sequence ', 'sequence -2'), 3, /sequence: not a decimal number/],
    ['sequence with a plus', replaceLine('sequence ', 'sequence +2'), 3, /sequence: not a decimal number/],
    ['sequence in hex', replaceLine('sequence ', 'sequence 0x2'), 3, /sequence: not a decimal number/],
    ['sequence of 17 digits', replaceLine('sequence ', `sequence 1${'0'.repeat(16)}`), 3, /sequence: not a decimal number/],
    ['sequence of 16 digits (could exceed 2^53)', replaceLine('sequence ', 'sequence 9007199254740993'), 3, /sequence: not a decimal number/],
    ['sequence 1 with a non-zero prev', replaceLine('sequence ', 'sequence 1'), 0, /is inconsistent: sequence 1 has a prev other than zeros/],
    ['sequence 2 with a zero prev', replaceLine('prev ', `prev ${ZERO_ID}`), 0, /is inconsistent: sequence 2 has no prev/],
    ['prev of 63 digits', replaceLine('prev ', `prev ${PREV.slice(1)}`), 6, /prev: not 64 hex digits/],
    ['prev in upper case', replaceLine('prev ', `prev ${PREV.toUpperCase()}`), 6, /prev: not 64 hex digits/],
    ['expires = created', replaceLine('expires ', 'expires 1700000000'), 0, /is inconsistent: expires is not after created/],
    ['expires < created', replaceLine('expires ', 'expires 1699999999'), 0, /is inconsistent: expires is not after created/],
    ['created fractional', replaceLine('created ', 'created 1700000000.5'), 4, /created: not a decimal number/],
    ['project with a slash', replaceLine('project ', 'project a/b'), 2, /project: not a project name/],
    ['project ..', replaceLine('project ', 'project ..'), 2, /project: not a project name/],
    ['project empty', replaceLine('project ', 'project '), 2, /project: not a project name/],
    ['project without a value', replaceLine('project ', 'project'), 2, /expected "project \.\.\."/],
    ['project of 65 characters', replaceLine('project ', `project ${'p'.repeat(65)}`), 2, /project: not a project name/],
    ['bundle size 0', replaceLine('bundle ', `bundle ${SHA} 0 ${INFOHASH}`), 0, /is inconsistent: bundle size must be positive/],
    ['bundle size with a leading zero', replaceLine('bundle ', `bundle ${SHA} 012345 ${INFOHASH}`), 7, /bundle: not "<sha256> <size> <infohash>"/],
    ['bundle digest in upper case', replaceLine('bundle ', `bundle ${SHA.toUpperCase()} 12345 ${INFOHASH}`), 7, /bundle: not "<sha256> <size> <infohash>"/],
    ['bundle infohash of 64 digits', replaceLine('bundle ', `bundle ${SHA} 12345 ${SHA}`), 7, /bundle: not "<sha256> <size> <infohash>"/],
    ['bundle without the infohash', replaceLine('bundle ', `bundle ${SHA} 12345`), 7, /bundle: not "<sha256> <size> <infohash>"/],
    ['signer of another type', replaceLine('signer ', 'signer ssh-rsa AAAAB3NzaC1yc2E='), 8, /signer: not an ssh-ed25519 key/],
    ['signer with a comment', replaceLine('signer ', `signer ${SIGNER_TEXT} me@example`), 8, /signer: not an ssh-ed25519 key/],
    ['signer holding 31 bytes', replaceLine('signer ', `signer ssh-ed25519 ${key31}`), 8, /signer does not hold one ssh-ed25519 key of 32 bytes/],
    ['signer non-canonical base64', replaceLine('signer ', `signer ${SIGNER_TEXT}=`), 8, /signer is not canonical base64/],
    ['not UTF-8', notUtf8, 0, /is not UTF-8/],
    ['a NUL byte', replaceLine('project ', 'project de\0mo'), 2, /project: not a project name/],
    ['over MAX_PUSH_OBJECT_BYTES', big, 0, new RegExp(`is ${MAX_PUSH_OBJECT_BYTES + 1} bytes, over the ${MAX_PUSH_OBJECT_BYTES}-byte limit`)]
  ]
  for (const [name, object, line, why] of cases) {
    await t.test(name, () => {
      const input = typeof object === 'string' ? Buffer.from(object) : object
      assert.throws(() => parsePushObject(input, WHAT), (err: any) => {
        assert.equal(err.name, 'MirrorError')
        assert.equal(err.code, 'BAD_PUSH_OBJECT')
        assert.equal(err.data.check, 'format')
        assert.equal(err.data.what, WHAT)
        assert.equal(err.data.line, line, err.message)
        assert.ok(err.message.startsWith(line > 0 ? `${WHAT} line ${line}: ` : `${WHAT} `), err.message)
        assert.match(err.message, why)
        return true
      })
    })
  }
})

test('parsePushObject: an object of exactly MAX_PUSH_OBJECT_BYTES is read, not refused for its size', () => {
  const exact = Buffer.alloc(MAX_PUSH_OBJECT_BYTES, 'a')
  exact[exact.length - 1] = 0x0a
  assert.throws(() => parsePushObject(exact, WHAT), (err: any) => err.code === 'BAD_PUSH_OBJECT' && /does not start with/.test(err.message))
})

test('tampering: every changed byte fails to parse or fails to verify', () => {
  const po = encode()
  assert.ok(verifySignature(po.signer, po.signed, po.signature))
  let parsed = 0
  let refused = 0
  for (let at = 0; at < po.bytes.length; at++) {
    for (const mask of [0x01, 0x02, 0x20, 0x80]) {
      const bytes = Buffer.from(po.bytes)
      bytes[at] = bytes[at]! ^ mask
      let back: PushObject
      try {
        back = parsePushObject(bytes, WHAT)
      } catch (err: any) {
        assert.equal(err.code, 'BAD_PUSH_OBJECT', `byte ${at} ^ ${mask}: ${err.message}`)
        assert.equal(err.data.check, 'format')
        refused++
        continue
      }
      parsed++
      assert.notEqual(back.id, po.id)
      assert.equal(verifySignature(back.signer, back.signed, back.signature), false, `byte ${at} ^ ${mask} still verifies`)
      assert.equal(verifySignature(SIGNER, back.signed, back.signature), false, `byte ${at} ^ ${mask} still verifies for the real signer`)
    }
  }
  // Both outcomes happen: a flipped digit in a hex field parses, a flipped newline does not.
  assert.ok(parsed > 0 && refused > 0, `${parsed} parsed, ${refused} refused`)
})

test('a signer key parsed from the push object equals the one parsePublicKey gives', () => {
  const po = encode()
  assert.deepEqual(po.signer, parsePublicKey(SIGNER_TEXT, 'key'))
})
