import { test } from 'node:test'
import assert from 'node:assert/strict'
import bencode from 'bencode'
import fc from 'fast-check'
import { bencodeProblem, MAX_BENCODE_DEPTH } from '../../src/core/bencode-check.js'

const b = (s: string): Buffer => Buffer.from(s, 'latin1')

test('bencodeProblem: table', async (t) => {
  const cases: Array<[string, RegExp | null]> = [
    ['i42e', null], ['i-7e', null], ['0:', null], ['4:spam', null], ['le', null], ['de', null],
    ['d3:cow3:moo4:spaml1:a1:bee', null], ['d4:infod4:name1:xee', null],
    ['', /^is empty$/],
    // bencode 4.0.1 loops forever on the first and fills the heap on the second
    ['d-3:', /^a dictionary key at byte 1 is not a string$/], ['l-3:', /^an unexpected byte 0x2d at byte 1$/],
    ['4:sp', /^a string at byte 0 runs past the end \(4 bytes\)$/],
    ['i42', /^a malformed integer at byte 0$/], ['ie', /^a malformed integer/], ['i1x', /^a malformed integer/],
    ['i123456789012345678901e', /^a malformed integer/],
    ['123456789012345678901:x', /^a malformed string length/],
    ['l', /^ends inside 1 open/], ['d3:cowe', /^a dictionary key without a value at byte 6$/],
    ['di1e1:ae', /^a dictionary key at byte 1 is not a string$/],
    ['e', /^an "e" at byte 0 closes nothing$/], ['i1ei2e', /^3 bytes after the value$/],
    ['d9:__proto__0:e', /^a "__proto__" dictionary key at byte 1$/], ['l9:__proto__e', null],
    ['x', /^an unexpected byte 0x78 at byte 0$/],
    ['l'.repeat(MAX_BENCODE_DEPTH) + 'e'.repeat(MAX_BENCODE_DEPTH), null],
    ['l'.repeat(MAX_BENCODE_DEPTH + 1) + 'e'.repeat(MAX_BENCODE_DEPTH + 1), new RegExp(`^nested deeper than ${MAX_BENCODE_DEPTH} at byte ${MAX_BENCODE_DEPTH}$`)]
  ]
  for (const [text, want] of cases) {
    await t.test(JSON.stringify(text.slice(0, 40)), () => {
      const got = bencodeProblem(b(text))
      if (want === null) assert.equal(got, null)
      else assert.match(got ?? 'null', want)
    })
  }
})

/** Values bencode can encode: integers, byte strings, lists and dictionaries, a few levels deep. */
const value: fc.Arbitrary<unknown> = fc.letrec(tie => ({
  v: fc.oneof({ depthSize: 'small' },
    fc.integer(), fc.uint8Array({ maxLength: 12 }),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }).filter(k => k !== '__proto__'), tie('v'), { maxKeys: 4 }))
})).v

test('bencodeProblem: property: whatever bencode encodes passes, and decodes', () => {
  fc.assert(fc.property(value, v => {
    const bytes = bencode.encode(v)
    assert.equal(bencodeProblem(bytes), null)
    bencode.decode(bytes)
  }), { seed: 13, numRuns: 500 })
})

test('bencodeProblem: property: any bytes give null or a reason, and what passes decodes (no hang, no throw)', () => {
  const soup = fc.array(fc.constantFrom('d', 'l', 'e', 'i', '-', ':', '0', '1', '3', '9', 'x', '4:spam', 'i5e'), { maxLength: 16 }).map(a => b(a.join('')))
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), soup), bytes => {
    const problem = bencodeProblem(bytes)
    assert.ok(problem === null || typeof problem === 'string')
    if (problem === null) bencode.decode(bytes)
  }), { seed: 13, numRuns: 2000 })
})

test('bencodeProblem: property: a valid encoding cut short or with a byte appended is refused', () => {
  fc.assert(fc.property(value, fc.nat(), fc.integer({ min: 0, max: 255 }), (v, cut, extra) => {
    const bytes = Buffer.from(bencode.encode(v))
    if (bytes.length > 1) assert.notEqual(bencodeProblem(bytes.subarray(0, cut % bytes.length)), null)
    assert.notEqual(bencodeProblem(Buffer.concat([bytes, Buffer.from([extra])])), null)
  }), { seed: 13, numRuns: 500 })
})
