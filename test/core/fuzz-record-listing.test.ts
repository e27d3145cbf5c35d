// What a poll of refs/mirrors/* checks before isomorphic-git parses an answer
// (checkPktStream) and before anyone uses its listing (checkRecordListing):
// tables, and properties over any input. The same checks run on every real
// answer of git http-backend in test/io/poll-records.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { checkPktStream, MAX_ERR_MESSAGE } from '../../src/core/check-pkt-stream.js'
import { checkRecordListing, MAX_RECORD_REFS } from '../../src/core/check-record-listing.js'
import { isOid, isSafeRefName, RECORDS_PREFIX } from '../../src/core/refs.js'
import { anyRefName, oid, outcome, SEED, Tally } from '../helpers/fuzz.js'

const pkt = (payload: string | Buffer): Buffer => {
  const b = Buffer.isBuffer(payload) ? payload : Buffer.from(payload)
  return Buffer.concat([Buffer.from((b.length + 4).toString(16).padStart(4, '0')), b])
}
const FLUSH = Buffer.from('0000')
const DELIM = Buffer.from('0001')
const A = 'a'.repeat(40)
const B = 'b'.repeat(40)

// ---------------------------------------------------------------------------
// checkPktStream

test('checkPktStream: table', () => {
  const cases: Array<[string, Buffer, ReturnType<typeof checkPktStream>]> = [
    ['an ls-refs answer', Buffer.concat([pkt(`${A} refs/mirrors/bundle/torrent\n`), pkt(`${B} refs/mirrors/push\n`), FLUSH]), { kind: 'complete', packets: 2 }],
    ['no refs: a lone flush', FLUSH, { kind: 'complete', packets: 0 }],
    ['a v1 advertisement: service line, flush, refs, flush', Buffer.concat([pkt('# service=git-upload-pack\n'), FLUSH, pkt(`${A} refs/heads/main\0side-band-64k\n`), FLUSH]), { kind: 'complete', packets: 2 }],
    ['a v2 capability list with a delim and upper-case hex', Buffer.concat([Buffer.from('000Eversion 2\n'), DELIM, FLUSH]), { kind: 'complete', packets: 1 }],
    ['empty', Buffer.alloc(0), { kind: 'truncated' }],
    ['no flush at the end', pkt(`${A} refs/mirrors/push\n`), { kind: 'truncated' }],
    ['cut inside a packet', Buffer.concat([pkt(`${A} refs/mirrors/push\n`), FLUSH]).subarray(0, 20), { kind: 'truncated' }],
    ['cut inside a length', Buffer.from('00'), { kind: 'truncated' }],
    ['a length that is not hex', Buffer.from('00zz'), { kind: 'malformed', offset: 0 }],
    ['length 3', Buffer.concat([FLUSH, Buffer.from('0003')]), { kind: 'malformed', offset: 4 }],
    ['an HTML page', Buffer.from('<html><body>sign in</body></html>'), { kind: 'malformed', offset: 0 }],
    ['ERR', Buffer.concat([pkt('ERR access denied\n\u001b[31mred'), FLUSH]), { kind: 'error', message: 'access denied [31mred' }]
  ]
  for (const [name, bytes, want] of cases) assert.deepEqual(checkPktStream(bytes), want, name)
  const long = checkPktStream(pkt(`ERR ${'x'.repeat(1000)}`))
  assert.ok(long.kind === 'error' && long.message.length === MAX_ERR_MESSAGE + 3, JSON.stringify(long))
})

const payload = fc.oneof(
  fc.tuple(oid, fc.constantFrom('refs/mirrors/bundle/torrent', 'refs/mirrors/push', 'refs/heads/main')).map(([o, r]) => `${o} ${r}\n`),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }).filter(s => !s.startsWith('ERR '))
)

test('checkPktStream: property: data packets and one final flush are complete, and every shorter prefix is not', () => {
  fc.assert(fc.property(fc.array(payload, { maxLength: 8 }), (payloads) => {
    const whole = Buffer.concat([...payloads.map(p => pkt(p)), FLUSH])
    assert.deepEqual(checkPktStream(whole), { kind: 'complete', packets: payloads.length })
    for (let n = 0; n < whole.length; n++) {
      const r = checkPktStream(whole.subarray(0, n))
      assert.notEqual(r.kind, 'complete', `a prefix of ${n} of ${whole.length} bytes`)
    }
  }), { seed: SEED, numRuns: 300 })
})

test('checkPktStream: property: any bytes get an answer (never a throw), an ERR packet its one-line reason', (t) => {
  const tally = new Tally(t)
  const framed = fc.array(fc.oneof(payload.map(p => pkt(p)), fc.constantFrom(FLUSH, DELIM, Buffer.from('0002'), pkt('ERR no\nway'))), { maxLength: 6 }).map(ps => Buffer.concat(ps))
  const bytes = fc.oneof(framed, fc.uint8Array({ maxLength: 80 }).map(a => Buffer.from(a)), fc.tuple(framed, fc.nat()).map(([b, n]) => b.subarray(0, n)))
  fc.assert(fc.property(bytes, (b) => {
    const r = checkPktStream(b)
    tally.add(r.kind)
    if (r.kind === 'error') assert.ok(!/[\x00-\x1f\x7f]/.test(r.message) && r.message.length <= MAX_ERR_MESSAGE + 3, JSON.stringify(r.message))
    if (r.kind === 'complete') assert.ok(b.subarray(-4).equals(FLUSH))
  }), { seed: SEED, numRuns: 2000 })
  assert.ok(tally.of('complete') > 0 && tally.of('truncated') > 0 && tally.of('malformed') > 0 && tally.of('error') > 0, JSON.stringify(tally.counts))
})

// ---------------------------------------------------------------------------
// checkRecordListing

const URL = 'http://127.0.0.1:1/origin.git'

test('checkRecordListing: table', () => {
  const ok = checkRecordListing([
    { ref: 'refs/mirrors/push', oid: B },
    { ref: 'refs/heads/main', oid: A },                // beyond the prefix asked: dropped
    { ref: 'refs/mirrors/bundle/torrent', oid: A }
  ], { url: URL })
  assert.deepEqual([...ok.refs], [['refs/mirrors/bundle/torrent', A], ['refs/mirrors/push', B]])
  assert.equal(ok.state, `refs/mirrors/bundle/torrent ${A}\nrefs/mirrors/push ${B}\n`)
  assert.deepEqual(checkRecordListing([], { url: URL }), { refs: new Map(), state: '' })

  const refused: Array<[string, Array<{ ref: unknown, oid: unknown }>, RegExp, number?]> = [
    ['an unsafe name', [{ ref: 'refs/mirrors/a..b', oid: A }], /^the listing of refs\/mirrors\/ on http:\/\/127\.0\.0\.1:1\/origin\.git names a ref we refuse: "refs\/mirrors\/a\.\.b"$/],
    ['a control character, quoted', [{ ref: 'refs/mirrors/a\nb', oid: A }], /names a ref we refuse: "refs\/mirrors\/a\\nb"$/],
    ['a safe name with U+2028, escaped', [{ ref: 'refs/mirrors/a\u2028', oid: 'x' }], /gives "refs\/mirrors\/a\\u2028" an object id that is not 40 hex digits: "x"$/],
    ['an upper-case oid', [{ ref: 'refs/mirrors/push', oid: A.toUpperCase() }], /gives "refs\/mirrors\/push" an object id that is not 40 hex digits: "A{40}"$/],
    ['a SHA-256 oid', [{ ref: 'refs/mirrors/push', oid: 'c'.repeat(64) }], /not 40 hex digits: "c{64}"$/],
    ['no oid', [{ ref: 'refs/mirrors/push', oid: undefined }], /not 40 hex digits: "undefined"$/],
    ['a line without a name', [{ ref: undefined, oid: 'garbage' }], /has a line that is not "<oid> <ref>" \(oid "garbage"\)$/],
    ['twice', [{ ref: 'refs/mirrors/push', oid: A }, { ref: 'refs/mirrors/push', oid: B }], /lists "refs\/mirrors\/push" twice$/],
    ['too many', [1, 2, 3].map(i => ({ ref: `refs/mirrors/x${i}`, oid: A })), /holds 3 refs, over the limit of 2; not reading it$/, 2]
  ]
  for (const [name, listed, message, maxRefs] of refused) {
    assert.throws(() => checkRecordListing(listed, { url: URL, maxRefs }), (err: unknown) => {
      const e = err as { code?: string, message: string, data?: { url?: string } }
      assert.equal(e.code, 'BAD_RECORD', name)
      assert.match(e.message, message, name)
      assert.equal(e.data?.url, URL)
      return true
    }, name)
  }
  assert.equal(MAX_RECORD_REFS, 256)
})

test('checkRecordListing: property: any listing gives checked refs in a canonical state, or BAD_RECORD; the state does not depend on the order', (t) => {
  const tally = new Tally(t)
  const name = fc.oneof(anyRefName, anyRefName.map(n => `${RECORDS_PREFIX}${n.replace(/^refs\//, '')}`), fc.constantFrom('refs/mirrors/bundle/torrent', 'refs/mirrors/push'))
  const anyOid = fc.oneof({ weight: 6, arbitrary: oid }, { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 64 }), fc.constant(undefined), fc.integer()) })
  const line = fc.record({ ref: fc.oneof({ weight: 12, arbitrary: name }, { weight: 1, arbitrary: fc.constant(undefined) }), oid: anyOid }, { noNullPrototype: true })
  fc.assert(fc.property(fc.array(line, { maxLength: 8 }), fc.nat({ max: 8 }), fc.func(fc.integer()), (listed, maxRefs, order) => {
    const r = outcome(() => checkRecordListing(listed, { url: URL, maxRefs }), ['BAD_RECORD'])
    tally.add(r.ok ? (r.value.refs.size > 0 ? 'refs' : 'none') : 'BAD_RECORD')
    if (!r.ok) {
      assert.ok(r.error.message.startsWith(`the listing of refs/mirrors/ on ${URL} `) && /^[\x20-\x7e]*$/.test(r.error.message), r.error.message)
      return
    }
    assert.ok(r.value.refs.size <= maxRefs)
    for (const [ref, o] of r.value.refs) assert.ok(ref.startsWith(RECORDS_PREFIX) && isSafeRefName(ref) && isOid(o), `${ref} ${o}`)
    assert.equal(r.value.refs.size, listed.filter(l => typeof l.ref === 'string' && l.ref.startsWith(RECORDS_PREFIX)).length)
    const lines = r.value.state.split('\n').slice(0, -1)
    assert.deepEqual(lines, [...r.value.refs].map(([ref, o]) => `${ref} ${o}`))
    assert.deepEqual(lines, [...lines].sort())
    const shuffled = [...listed].sort((a, b) => order(a) - order(b) || 0)
    assert.equal(checkRecordListing(shuffled, { url: URL, maxRefs }).state, r.value.state)
  }), { seed: SEED, numRuns: 1000 })
  assert.ok(tally.of('refs') > 0 && tally.of('BAD_RECORD') > 0, JSON.stringify(tally.counts))
})
