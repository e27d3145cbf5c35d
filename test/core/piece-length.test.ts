import { test } from 'node:test'
import assert from 'node:assert/strict'
import { choosePieceLength, MAX_PIECE_LENGTH, MIN_PIECE_LENGTH } from '../../src/core/piece-length.js'

const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB

test('choosePieceLength: table', async (t) => {
  const cases: Array<[number, number]> = [
    [0, 16 * KiB],
    [1, 16 * KiB],
    [2000 * 16 * KiB, 16 * KiB],            // exactly 2000 pieces still fits
    [2000 * 16 * KiB + 1, 32 * KiB],        // one byte more doubles
    [2000 * 32 * KiB, 32 * KiB],
    [100 * MiB, 64 * KiB],                  // 1600 pieces
    [1 * GiB, 1 * MiB],                     // 1024 pieces
    [2000 * 8 * MiB, 8 * MiB],
    [2000 * 8 * MiB + 1, 16 * MiB],
    [100 * GiB, 16 * MiB],                  // capped: 6400 pieces
    [Number.MAX_SAFE_INTEGER, 16 * MiB]
  ]
  for (const [size, want] of cases) {
    await t.test(`${size} bytes -> ${want}`, () => assert.equal(choosePieceLength(size), want))
  }
})

test('choosePieceLength: always a power of two within bounds, 1000..2000 pieces when not at a bound', () => {
  assert.equal(MIN_PIECE_LENGTH, 16 * KiB)
  assert.equal(MAX_PIECE_LENGTH, 16 * MiB)
  for (let size = 1; size < 2 ** 46; size = Math.floor(size * 1.37) + 1) {
    const p = choosePieceLength(size)
    assert.ok(p >= MIN_PIECE_LENGTH && p <= MAX_PIECE_LENGTH, `${size}: ${p}`)
    assert.equal(p & (p - 1), 0, `${size}: ${p} is not a power of two`)
    const pieces = Math.ceil(size / p)
    if (p > MIN_PIECE_LENGTH && p < MAX_PIECE_LENGTH) assert.ok(pieces > 1000 && pieces <= 2000, `${size}: ${pieces} pieces of ${p}`)
    if (p === MIN_PIECE_LENGTH) assert.ok(pieces <= 2000, `${size}: ${pieces} pieces of ${p}`)
  }
})

test('choosePieceLength: monotonic in size', () => {
  let last = 0
  for (let size = 0; size < 2 ** 40; size = size * 2 + 12345) {
    const p = choosePieceLength(size)
    assert.ok(p >= last)
    last = p
  }
})

test('choosePieceLength: a size that is not a safe non-negative integer is a RangeError', async (t) => {
  for (const size of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
    await t.test(String(size), () => assert.throws(() => choosePieceLength(size), RangeError))
  }
})
