import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseRate } from '../../src/core/format.js'

// --min-rate and mirror.minRate: a size per second in parseSize's binary
// units, with an optional "/s", or 0 for "no minimum" (which parseSize,
// taking sizes, refuses).

const KiB = 1024
const MiB = 1024 * KiB

test('parseRate: accepted', async (t) => {
  const cases: Array<[string, number]> = [
    ['32K', 32 * KiB],
    ['1M/s', MiB],
    ['500000', 500000],
    ['0', 0],
    ['0/s', 0],
    ['00', 0],
    ['0.0', 0],
    ['1.5K', 1536],
    ['64k/S', 64 * KiB],           // units and /s in any case
    ['2MiB/s', 2 * MiB],
    ['  32K/s  ', 32 * KiB],       // as a config value may hold it
    ['1', 1]
  ]
  for (const [text, want] of cases) {
    await t.test(JSON.stringify(text), () => assert.equal(parseRate(text), want))
  }
})

test('parseRate: refused (null)', async (t) => {
  const cases = ['', ' ', '/s', '-1', '-1K', 'abc', 'K', 'K/s', '1M/s/s', '1M/min', '0x10', '1e3', 'NaN', 'Infinity', '32 K/s/', 'fast']
  for (const text of cases) {
    await t.test(JSON.stringify(text), () => assert.equal(parseRate(text), null))
  }
})
