import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { parseContentRange } from '../../src/io/http/download-file.js'

// A resumed download trusts a 206 only when its Content-Range starts where
// the part on disk ends; a 416 with "bytes */<size>" says the part is the
// whole file. Anything else in the header is no range at all (null).

test('parseContentRange: table', async (t) => {
  const cases: Array<[string | undefined, ReturnType<typeof parseContentRange>]> = [
    ['bytes 100-199/1000', { start: 100, end: 199, total: 1000 }],
    ['bytes 0-0/1', { start: 0, end: 0, total: 1 }],
    ['bytes 0-99/*', { start: 0, end: 99, total: null }],            // the server does not know the size
    ['bytes */1000', { start: null, end: null, total: 1000 }],       // 416's unsatisfied range
    ['  bytes 1-2/3  ', { start: 1, end: 2, total: 3 }],
    [undefined, null],
    ['', null],
    ['bytes', null],
    ['bytes 1-2', null],
    ['bytes 1-2/', null],
    ['bytes=1-2/3', null],
    ['items 1-2/3', null],
    ['bytes -1-2/3', null],
    ['bytes 1-/3', null],
    ['bytes -2/3', null],
    ['bytes 1-2/3/4', null],
    ['bytes 1.5-2/3', null],
    ['bytes 1-2/3, bytes 4-5/6', null],
    ['bytes  1-2/3', null],
    ['bytes 0x1-2/3', null]
  ]
  for (const [header, want] of cases) {
    await t.test(JSON.stringify(header), () => assert.deepEqual(parseContentRange(header), want))
  }
})

test('parseContentRange: property: "bytes start-end/total" round-trips for start <= end < total', () => {
  const n = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 1 })
  fc.assert(fc.property(fc.tuple(n, n, n), (xs) => {
    const [start, end, last] = [...xs].sort((a, b) => a - b) as [number, number, number]
    const total = last + 1
    assert.deepEqual(parseContentRange(`bytes ${start}-${end}/${total}`), { start, end, total })
  }), { numRuns: 200 })
})

test('parseContentRange: property: "bytes */total" round-trips', () => {
  fc.assert(fc.property(fc.maxSafeNat(), total => {
    assert.deepEqual(parseContentRange(`bytes */${total}`), { start: null, end: null, total })
  }), { numRuns: 200 })
})
