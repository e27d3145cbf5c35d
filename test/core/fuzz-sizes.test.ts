// Property-based tests of parseSize and parseRate: whatever the text, null or
// a whole number of bytes, never a throw; what formatBytes and formatRate print
// parses back. Shared pieces: test/helpers/fuzz.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { formatBytes, formatRate, parseRate, parseSize } from '../../src/core/format.js'
import { anyText, SEED, Tally } from '../helpers/fuzz.js'

// ---------------------------------------------------------------------------
// Sizes and rates (src/core/format.ts)

const sizeText = fc.oneof(
  fc.tuple(fc.constantFrom('', ' ', '0', '-'), fc.stringMatching(/^[0-9]{1,20}$/), fc.constantFrom('', '', '.5', '.', '.000', '.25e'), fc.constantFrom('', ' ', '\t', '  '),
    fc.constantFrom('', 'B', 'K', 'k', 'KiB', 'KB', 'kib', 'M', 'MiB', 'G', 'Gi', 'T', 'TiB', 'P', 'iB', 'KiBB', 'Ki B'), fc.constantFrom('', '', ' ', '/s', '/S', '/s/s', 'x'))
    .map(parts => parts.join('')),
  fc.array(fc.constantFrom('0', '1', '5', '9', '.', '..', 'K', 'k', 'i', 'I', 'B', 'b', 'M', 'G', 'T', 'P', ' ', '\t', '-', '+', 'e', '/s', '/S', 'iB',
    '9'.repeat(20), '1e3', '0x10', '\u0663', '\u00a0', '\u2009', 'Infinity', 'NaN'), { maxLength: 8 }).map(a => a.join('')),
  anyText
)

test('parseSize / parseRate: property: any text gives null or a whole number of bytes, never a throw', (t) => {
  const tally = new Tally(t)
  fc.assert(fc.property(sizeText, (text) => {
    const s = parseSize(text)
    tally.add(s === null ? 'null' : 'size')
    assert.ok(s === null || (Number.isSafeInteger(s) && s > 0), `parseSize(${JSON.stringify(text)}) = ${s}`)
    const r = parseRate(text)
    assert.ok(r === null || (Number.isSafeInteger(r) && r >= 0), `parseRate(${JSON.stringify(text)}) = ${r}`)
    // a rate is a size per second, or 0
    if (s !== null) assert.equal(parseRate(text), s)
    if (s !== null) assert.equal(parseRate(`${text}/s`), s)
  }), { seed: SEED, numRuns: 2000 })
})

test('parseSize / parseRate: property: a number with a unit parses to number × unit', () => {
  const units: Array<[string, number]> = [['', 1], ['B', 1], ['K', 2 ** 10], ['KiB', 2 ** 10], ['kb', 2 ** 10], ['M', 2 ** 20], ['MiB', 2 ** 20], ['G', 2 ** 30], ['gi', 2 ** 30], ['T', 2 ** 40], ['TiB', 2 ** 40]]
  fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.constantFrom(...units), fc.constantFrom('', ' '), fc.constantFrom('', '/s'), (n, [unit, scale], space, perSecond) => {
    const want = Number.isSafeInteger(n * scale) ? n * scale : null
    assert.equal(parseSize(`${n}${unit === '' ? '' : space}${unit}`), want)
    assert.equal(parseRate(`${n}${unit === '' ? '' : space}${unit}${perSecond}`), want)
  }), { seed: SEED, numRuns: 500 })
})

test('parseSize / parseRate: property: what formatBytes and formatRate print parses back to within their rounding (0.5%)', () => {
  fc.assert(fc.property(fc.oneof(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 2 ** 50 })), (n) => {
    const size = parseSize(formatBytes(n))
    const rate = parseRate(formatRate(n))
    for (const back of [size, rate]) {
      assert.ok(back !== null, formatBytes(n))
      if (n < 1024) assert.equal(back, n)
      else assert.ok(Math.abs(back - n) <= n * 0.005 + 1, `${n} -> ${formatBytes(n)} -> ${back}`)
    }
  }), { seed: SEED, numRuns: 1000 })
  assert.equal(parseRate(formatRate(0)), 0)
})
