import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { parseRange } from '../../src/core/byte-range.js'

test('parseRange: one range, suffixes, past the end, and what is ignored', () => {
  const cases: Array<[string | undefined, number, ReturnType<typeof parseRange>]> = [
    [undefined, 10, null],
    ['bytes=0-4', 10, { start: 0, end: 4 }],
    ['bytes=5-', 10, { start: 5, end: 9 }],
    ['bytes=-3', 10, { start: 7, end: 9 }],
    ['bytes=-30', 10, { start: 0, end: 9 }],
    ['bytes=5-99', 10, { start: 5, end: 9 }],
    ['bytes=10-', 10, 'unsatisfiable'],
    ['bytes=-0', 10, 'unsatisfiable'],
    ['bytes=0-', 0, 'unsatisfiable'],
    ['bytes=0-0', 10, { start: 0, end: 0 }],
    ['bytes=4-2', 10, null],
    ['bytes=0-1,3-4', 10, null],
    ['items=0-1', 10, null],
    ['bytes=-', 10, null],
    [`bytes=${'9'.repeat(16)}-`, 10, null]
  ]
  for (const [h, size, want] of cases) assert.deepEqual(parseRange(h, size), want, String(h))
})

test('parseRange: property: any header gives null, unsatisfiable, or a range inside the file', () => {
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.tuple(fc.option(fc.nat()), fc.option(fc.nat())).map(([a, b]) => `bytes=${a ?? ''}-${b ?? ''}`)), fc.nat({ max: 2 ** 40 }), (h, size) => {
    const r = parseRange(h, size)
    if (r === null || r === 'unsatisfiable') return
    assert.ok(Number.isSafeInteger(r.start) && Number.isSafeInteger(r.end))
    assert.ok(r.start >= 0 && r.start <= r.end && r.end < size, `${h} ${size} -> ${JSON.stringify(r)}`)
  }), { seed: 9110, numRuns: 1000 })
})
