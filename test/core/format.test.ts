import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatBytes, formatDuration, formatRate, parseSize } from '../../src/core/format.js'

const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB
const TiB = 1024 * GiB

test('formatBytes: table', async (t) => {
  const cases: Array<[number, string]> = [
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1024, '1.00 KiB'],
    [1536, '1.50 KiB'],
    [10 * KiB, '10.0 KiB'],
    [99.5 * KiB, '99.5 KiB'],
    [100 * KiB, '100 KiB'],
    [MiB, '1.00 MiB'],
    [1.25 * GiB, '1.25 GiB'],
    [TiB, '1.00 TiB'],
    [2048 * TiB, '2048 TiB']     // TiB is the largest unit
  ]
  for (const [n, want] of cases) {
    await t.test(`${n}`, () => assert.equal(formatBytes(n), want))
  }
})

test('formatRate: rounds to whole bytes', () => {
  assert.equal(formatRate(0), '0 B/s')
  assert.equal(formatRate(999.6), '1000 B/s')
  assert.equal(formatRate(1536.4), '1.50 KiB/s')
})

test('formatDuration: table', async (t) => {
  const cases: Array<[number, string]> = [
    [0, '00:00'],
    [0.4, '00:00'],
    [59, '00:59'],
    [59.6, '01:00'],
    [61, '01:01'],
    [3599, '59:59'],
    [3600, '1:00:00'],
    [36000 + 62, '10:01:02'],
    [-5, '00:00'],
    [Number.POSITIVE_INFINITY, '--:--'],
    [Number.NaN, '--:--']
  ]
  for (const [s, want] of cases) {
    await t.test(`${s}`, () => assert.equal(formatDuration(s), want))
  }
})

test('parseSize: accepted', async (t) => {
  const cases: Array<[string, number]> = [
    ['1048576', 1048576],
    ['1', 1],
    ['10B', 10],
    ['512K', 512 * KiB],
    ['512k', 512 * KiB],
    ['512KB', 512 * KiB],
    ['512KiB', 512 * KiB],
    ['512kib', 512 * KiB],
    ['20M', 20 * MiB],
    ['20 MiB', 20 * MiB],
    ['64G', 64 * GiB],
    ['1T', TiB],
    ['1.5K', 1536],
    ['0.5M', 512 * KiB],
    ['  2G  ', 2 * GiB]
  ]
  for (const [text, want] of cases) {
    await t.test(JSON.stringify(text), () => assert.equal(parseSize(text), want))
  }
})

test('parseSize: null when it does not parse', async (t) => {
  for (const text of ['', ' ', '0', '0K', '0.0001', '-1', '-1K', 'K', '1X', '1 KB B', '1P', '1e6', '0x10', '1,5K', '1.K', '.5K', 'ten', '99999999T']) {
    await t.test(JSON.stringify(text), () => assert.equal(parseSize(text), null))
  }
})
