// core/page-records.ts: the records mirror-daemon --http hands the browser
// clone page. Table tests of what is taken and refused, and properties:
// whatever the text, the parser answers a value or BAD_RECORD (anything
// else escaping is a bug), and what the daemon formats parses back.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { formatPagePointer, formatPageRecords, parsePagePointer, parsePageRecords, torrentUrls, type PagePointer, type PageRecords } from '../../src/core/page-records.js'
import { RECORD_REFS, type RecordName } from '../../src/core/refs.js'
import { anyText, outcome, SEED } from '../helpers/fuzz.js'

const WHAT = 'the daemon\'s records of origin'
const ENTRY = { sha256: 'a'.repeat(64), size: 1234, infoHash: 'b'.repeat(40) }
const ok = (o: Record<string, unknown> = {}): string => JSON.stringify({ name: 'origin', url: 'https://example.com/p.git', records: { torrent: 'ZDQ6aW5mb2Vl' }, list: null, ...o })

test('parsePageRecords: what is taken', async t => {
  await t.test('records decode from base64; unknown record names are ignored', () => {
    const r = parsePageRecords(ok({ records: { torrent: 'ZDQ6aW5mb2Vl', push: '', future: 'eA==' } }), WHAT)
    assert.equal(Buffer.from(r.records.torrent!).toString(), 'd4:infoee')
    assert.equal(r.records.push!.length, 0)
    assert.deepEqual(Object.keys(r.records).sort(), ['push', 'torrent'])
  })
  await t.test('a list: its entries, unknown keys dropped', () => {
    const r = parsePageRecords(ok({ list: [{ ...ENTRY, uri: 'x', id: 'y' }, ENTRY] }), WHAT)
    assert.deepEqual(r.list, [ENTRY, ENTRY])
  })
  await t.test('no list, or null', () => {
    assert.equal(parsePageRecords(ok({ list: undefined }), WHAT).list, null)
    assert.equal(parsePageRecords(ok(), WHAT).list, null)
  })
})

test('parsePageRecords: what is refused, naming the field', async t => {
  const cases: Array<[string, string, RegExp]> = [
    ['not JSON', '{', /is not JSON$/],
    ['an array', '[]', /is not an object$/],
    ['no name', ok({ name: '' }), /has no remote name$/],
    ['a long name', ok({ name: 'x'.repeat(257) }), /has no remote name$/],
    ['no url', ok({ url: 7 }), /has no remote URL$/],
    ['records an array', ok({ records: [] }), /has no records object$/],
    ['a record not base64', ok({ records: { torrent: 'not base64!' } }), /records\.torrent is not base64$/],
    ['a record of the wrong length', ok({ records: { push: 'abc' } }), /records\.push is not base64$/],
    ['a record a number', ok({ records: { list: 5 } }), /records\.list is not base64$/],
    ['list an object', ok({ list: {} }), /list is not an array$/],
    ['list empty', ok({ list: [] }), /list has 0 entries/],
    ['list too long', ok({ list: Array(1001).fill(ENTRY) }), /list has 1001 entries/],
    ['an entry with upper-case hex', ok({ list: [{ ...ENTRY, sha256: 'A'.repeat(64) }] }), /list entry 1 is not/],
    ['an entry with a fractional size', ok({ list: [ENTRY, { ...ENTRY, size: 1.5 }] }), /list entry 2 is not/],
    ['an entry with size 0', ok({ list: [{ ...ENTRY, size: 0 }] }), /list entry 1 is not/],
    ['an entry with a short infohash', ok({ list: [{ ...ENTRY, infoHash: 'b'.repeat(39) }] }), /list entry 1 is not/]
  ]
  for (const [name, json, why] of cases) {
    await t.test(name, () => {
      assert.throws(() => parsePageRecords(json, WHAT), (err: any) => {
        assert.equal(err.code, 'BAD_RECORD')
        assert.ok(err.message.startsWith(WHAT), err.message)
        assert.match(err.message, why)
        return true
      })
    })
  }
})

test('torrentUrls: http(s) and ws(s) byte strings of announce, announce-list and url-list, in order, once each', () => {
  const b = (s: string): Uint8Array => new TextEncoder().encode(s)
  assert.deepEqual(torrentUrls([[[b('ws://127.0.0.1:1/announce'), b('udp://x:1')], [b('https://t.example/a')]], b('ws://127.0.0.1:1/announce')]), ['ws://127.0.0.1:1/announce', 'https://t.example/a'])
  assert.deepEqual(torrentUrls([b('http://a b/'), b('file:///etc/passwd'), 'https://a.example/x', [[[b('https://deep.example/')]]], 7, null]), [])
  assert.equal(torrentUrls([Array.from({ length: 100 }, (_, i) => b(`https://a.example/${i}`))]).length, 64)
})

const recordsArb = fc.dictionary(fc.constantFrom(...Object.keys(RECORD_REFS) as RecordName[]), fc.uint8Array({ maxLength: 200 }))
const entryArb = fc.record({ sha256: fc.stringMatching(/^[0-9a-f]{64}$/), size: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), infoHash: fc.stringMatching(/^[0-9a-f]{40}$/) })
const pageArb: fc.Arbitrary<PageRecords> = fc.record({
  name: fc.string({ minLength: 1, maxLength: 256 }),
  url: fc.string({ minLength: 1, maxLength: 2048 }),
  records: recordsArb,
  list: fc.option(fc.array(entryArb, { minLength: 1, maxLength: 20 }), { nil: null })
})

test('property: what the daemon formats, the page parses back to the same bytes and entries', () => {
  fc.assert(fc.property(pageArb, p => {
    const back = parsePageRecords(formatPageRecords(p), WHAT)
    assert.equal(back.name, p.name)
    assert.equal(back.url, p.url)
    assert.deepEqual(Object.fromEntries(Object.entries(back.records).map(([k, v]) => [k, Buffer.from(v).toString('hex')])), Object.fromEntries(Object.entries(p.records).map(([k, v]) => [k, Buffer.from(v).toString('hex')])))
    assert.deepEqual(back.list, p.list === null ? null : p.list.map(e => ({ ...e })))
  }), { seed: SEED, numRuns: 300 })
})

test('property: any text, or any JSON value, is a PageRecords or BAD_RECORD, nothing else', () => {
  const json = fc.oneof(anyText, fc.jsonValue().map(v => JSON.stringify(v)), pageArb.chain(p => fc.constantFrom(formatPageRecords(p)).map(s => s.slice(0, Math.max(0, s.length - 3)))))
  fc.assert(fc.property(json, text => {
    outcome(() => parsePageRecords(text, WHAT), ['BAD_RECORD'])
  }), { seed: SEED, numRuns: 500 })
})

test('parsePagePointer: taken and refused', async t => {
  const good = { seq: 3, infoHash: 'c'.repeat(40), sig: 'd'.repeat(128), torrent: 'ZDQ6aW5mb2Vl' }
  await t.test('a pointer with its torrent, and one without', () => {
    const p = parsePagePointer(JSON.stringify(good), WHAT)
    assert.deepEqual({ ...p, torrent: Buffer.from(p.torrent!).toString() }, { ...good, torrent: 'd4:infoee' })
    assert.equal(parsePagePointer(JSON.stringify({ ...good, torrent: null }), WHAT).torrent, null)
  })
  const cases: Array<[string, unknown, RegExp]> = [
    ['a negative seq', { ...good, seq: -1 }, /seq is not/],
    ['a fractional seq', { ...good, seq: 1.5 }, /seq is not/],
    ['a seq past 2^53', { ...good, seq: 2 ** 53 }, /seq is not/],
    ['an upper-case infohash', { ...good, infoHash: 'C'.repeat(40) }, /infoHash is not/],
    ['a short sig', { ...good, sig: 'd'.repeat(126) }, /sig is not/],
    ['a torrent that is a number', { ...good, torrent: 5 }, /torrent is not/],
    ['no torrent key', { seq: 1, infoHash: good.infoHash, sig: good.sig }, /torrent is not/]
  ]
  for (const [name, v, why] of cases) {
    await t.test(name, () => assert.throws(() => parsePagePointer(JSON.stringify(v), WHAT), (err: any) => err.code === 'BAD_RECORD' && why.test(err.message)))
  }
})

const pointerArb: fc.Arbitrary<PagePointer> = fc.record({
  seq: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  infoHash: fc.stringMatching(/^[0-9a-f]{40}$/),
  sig: fc.stringMatching(/^[0-9a-f]{128}$/),
  torrent: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null })
})

test('property: a pointer the daemon formats parses back; any other text is BAD_RECORD or a pointer', () => {
  fc.assert(fc.property(pointerArb, p => {
    const back = parsePagePointer(formatPagePointer(p), WHAT)
    assert.deepEqual({ ...back, torrent: back.torrent === null ? null : Buffer.from(back.torrent).toString('hex') }, { ...p, torrent: p.torrent === null ? null : Buffer.from(p.torrent).toString('hex') })
  }), { seed: SEED, numRuns: 300 })
  fc.assert(fc.property(fc.oneof(anyText, fc.jsonValue().map(v => JSON.stringify(v))), text => {
    outcome(() => parsePagePointer(text, WHAT), ['BAD_RECORD'])
  }), { seed: SEED, numRuns: 500 })
})
