import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { RateWatch } from '../../src/core/rate-watch.js'

// RateWatch is pure: every test gives it the times, so none waits on a
// clock. Times start at an arbitrary 10_000 to show nothing assumes 0.

type Report = { got: number, needed: number, windowMs: number } | null
const T0 = 10_000

/** Feeds [time offset, running total] pairs; returns the reports, one a sample. */
function feed (w: RateWatch, samples: Array<[number, number]>): Report[] {
  return samples.map(([dt, total]) => w.sample(T0 + dt, total))
}

/** Samples every `every` ms from `every` to `until`, the total from `total(t)`. */
function every (every: number, until: number, total: (t: number) => number): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (let t = every; t <= until; t += every) out.push([t, total(t)])
  return out
}

/** The offset of the first stall, or null. */
function firstStall (samples: Array<[number, number]>, reports: Report[]): number | null {
  const i = reports.findIndex(r => r !== null)
  return i === -1 ? null : samples[i]![0]
}

test('RateWatch: refuses a window that is not positive or a minimum below 0', async (t) => {
  const cases: Array<[number, number]> = [[0, 100], [-1, 100], [Number.NaN, 100], [1000, -1], [1000, Number.NaN]]
  for (const [windowMs, minBytesPerSecond] of cases) {
    await t.test(`${windowMs} ms, ${minBytesPerSecond} B/s`, () => {
      assert.throws(() => new RateWatch({ windowMs, minBytesPerSecond, now: T0 }), RangeError)
    })
  }
})

test('RateWatch: the bytes a window needs', async (t) => {
  // the minimum over the window, rounded up; at least one byte, so that 0 B/s still means "something"
  const cases: Array<[number, number, number]> = [
    [1000, 100, 100],
    [1500, 10, 15],
    [333, 10, 4],
    [30_000, 32 * 1024, 30 * 32 * 1024],
    [1000, 0, 1],
    [1000, 0.1, 1],
    [10, 1, 1]
  ]
  for (const [windowMs, minBytesPerSecond, needed] of cases) {
    await t.test(`${windowMs} ms at ${minBytesPerSecond} B/s: ${needed}`, () => {
      const w = new RateWatch({ windowMs, minBytesPerSecond, now: T0 })
      assert.deepEqual(w.sample(T0 + windowMs, 0), { got: 0, needed, windowMs })
    })
  }
})

test('RateWatch: table', async (t) => {
  const cases: Array<{ name: string, windowMs: number, min: number, samples: Array<[number, number]>, stallAt: number | null, report?: Report }> = [
    // a silent start is not judged before a whole window has passed
    { name: 'silent: nothing before one window', windowMs: 1000, min: 100, samples: every(100, 1000, () => 0), stallAt: 1000, report: { got: 0, needed: 100, windowMs: 1000 } },
    { name: 'silent, sampled rarely', windowMs: 1000, min: 100, samples: [[999, 0], [5000, 0]], stallAt: 5000 },
    { name: 'steady above the minimum', windowMs: 1000, min: 100, samples: every(250, 10_000, t => t / 5), stallAt: null },      // 200 B/s
    { name: 'steady at the minimum exactly', windowMs: 1000, min: 100, samples: every(100, 10_000, t => t / 10), stallAt: null }, // 100 B/s
    { name: 'bursts above the minimum', windowMs: 1000, min: 100, samples: every(100, 10_000, t => Math.floor(t / 500) * 60), stallAt: null },
    // any byte resets the watch when the minimum is 0: stalls one window after the last byte, not before
    { name: 'min 0: a byte by 100, then silence: stalls at 1100', windowMs: 1000, min: 0, samples: every(100, 5000, () => 1), stallAt: 1100 },
    { name: 'min 0: one byte at 900 stalls at 1900', windowMs: 1000, min: 0, samples: every(100, 5000, t => t >= 900 ? 1 : 0), stallAt: 1900, report: { got: 0, needed: 1, windowMs: 1000 } },
    { name: 'min 0: one byte a window keeps it going', windowMs: 1000, min: 0, samples: every(100, 10_000, t => Math.floor(t / 1000)), stallAt: null },
    { name: 'min 0: a byte every 999 ms', windowMs: 1000, min: 0, samples: every(1, 5000, t => Math.floor(t / 999)), stallAt: null },
    // a source that stops stalls once its last window falls short: at the latest one window after its last byte
    { name: 'stops at 3000', windowMs: 1000, min: 100, samples: every(250, 6000, t => Math.min(t, 3000) / 5), stallAt: 3750, report: { got: 50, needed: 100, windowMs: 1000 } },
    { name: 'stops at 3000, min 0', windowMs: 1000, min: 0, samples: every(250, 6000, t => Math.min(t, 3000) / 5), stallAt: 4000, report: { got: 0, needed: 1, windowMs: 1000 } },
    // a trickle is a stall though bytes keep coming
    { name: 'trickle at half the minimum', windowMs: 1000, min: 100, samples: every(100, 5000, t => t / 20), stallAt: 1000, report: { got: 50, needed: 100, windowMs: 1000 } },
    { name: 'trickle after a fast start', windowMs: 1000, min: 100, samples: every(100, 10_000, t => t <= 2000 ? t : 2000 + (t - 2000) / 20), stallAt: 3000, report: { got: 50, needed: 100, windowMs: 1000 } },
    { name: 'one byte short', windowMs: 1000, min: 100, samples: every(100, 5000, t => Math.floor(t * 99 / 1000)), stallAt: 1000, report: { got: 99, needed: 100, windowMs: 1000 } }
  ]
  for (const c of cases) {
    await t.test(c.name, () => {
      const w = new RateWatch({ windowMs: c.windowMs, minBytesPerSecond: c.min, now: T0 })
      const reports = feed(w, c.samples)
      assert.equal(firstStall(c.samples, reports), c.stallAt)
      if (c.report !== undefined) assert.deepEqual(reports.find(r => r !== null), c.report)
    })
  }
})

test('RateWatch: counts from the total it starts with', () => {
  const w = new RateWatch({ windowMs: 1000, minBytesPerSecond: 100, now: T0, total: 5000 })
  assert.equal(w.sample(T0 + 1000, 5100), null)
  assert.deepEqual(w.sample(T0 + 2000, 5150), { got: 50, needed: 100, windowMs: 1000 })
})

test('RateWatch: restart forgets the past', async (t) => {
  await t.test('a silence before the restart does not count', () => {
    const w = new RateWatch({ windowMs: 1000, minBytesPerSecond: 100, now: T0 })
    assert.deepEqual(w.sample(T0 + 4000, 0), { got: 0, needed: 100, windowMs: 1000 })
    // e.g. the download is ready and the data already on disk has been hashed
    w.restart(T0 + 5000, 1000)
    assert.equal(w.sample(T0 + 5500, 1000), null)                                   // a whole window again before judging
    assert.equal(w.sample(T0 + 5999, 1000), null)
    assert.deepEqual(w.sample(T0 + 6000, 1050), { got: 50, needed: 100, windowMs: 1000 })   // from the total at the restart, not 0
  })
  await t.test('bytes before the restart do not carry a slow window', () => {
    const w = new RateWatch({ windowMs: 1000, minBytesPerSecond: 100, now: T0 })
    assert.equal(w.sample(T0 + 900, 100_000), null)
    w.restart(T0 + 1000, 100_000)
    assert.equal(w.sample(T0 + 1500, 100_000), null)
    assert.deepEqual(w.sample(T0 + 2000, 100_000), { got: 0, needed: 100, windowMs: 1000 })
  })
  await t.test('a restart at a lower total (the data was dropped) measures from there', () => {
    const w = new RateWatch({ windowMs: 1000, minBytesPerSecond: 100, now: T0, total: 500 })
    w.restart(T0 + 100, 0)
    assert.equal(w.sample(T0 + 1100, 100), null)
  })
})

// Random runs: the window, the minimum, and samples at increasing times
// with non-decreasing totals.
// Round figures as well, so that samples often fall exactly a window apart.
const run = fc.record({
  windowMs: fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.constantFrom(100, 500, 1000)),
  min: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0, max: 10_000, noNaN: true })),
  start: fc.integer({ min: 0, max: 1e12 }),
  total0: fc.integer({ min: 0, max: 1e9 }),
  steps: fc.array(fc.record({ dt: fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.constantFrom(50, 100, 250, 500)), bytes: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 20_000 })) }), { maxLength: 60 })
})

const neededFor = (windowMs: number, min: number): number => Math.max(1, Math.ceil(min * windowMs / 1000))

test('RateWatch: property: a stall\'s got is the bytes since a sample at least a window old (or the start)', () => {
  fc.assert(fc.property(run, ({ windowMs, min, start, total0, steps }) => {
    const w = new RateWatch({ windowMs, minBytesPerSecond: min, now: start, total: total0 })
    const seen: Array<{ at: number, total: number }> = [{ at: start, total: total0 }]
    let now = start
    let total = total0
    for (const s of steps) {
      now += s.dt
      total += s.bytes
      const r = w.sample(now, total)
      if (r !== null) {
        assert.equal(r.windowMs, windowMs)
        assert.equal(r.needed, neededFor(windowMs, min))
        assert.ok(r.got < r.needed)
        assert.ok(now - start >= windowMs, 'no stall before a whole window')
        const old = seen.filter(x => x.at <= now - windowMs || x.at === start)
        assert.ok(old.some(x => total - x.total === r.got), `got ${r.got} is not total minus an old enough sample's`)
      }
      seen.push({ at: now, total })
    }
  }), { numRuns: 200 })
})

test('RateWatch: property: it agrees with a model (the total a window ago, read as a step function)', () => {
  fc.assert(fc.property(run, ({ windowMs, min, start, total0, steps }) => {
    const w = new RateWatch({ windowMs, minBytesPerSecond: min, now: start, total: total0 })
    const needed = neededFor(windowMs, min)
    const seen: Array<{ at: number, total: number }> = [{ at: start, total: total0 }]
    let now = start
    let total = total0
    for (const s of steps) {
      now += s.dt
      total += s.bytes
      seen.push({ at: now, total })
      // the newest sample at or before the window's start; the start itself when there is none
      const base = [...seen].reverse().find(x => x.at <= now - windowMs) ?? seen[0]!
      const got = total - base.total
      const want = now - start < windowMs || got >= needed ? null : { got, needed, windowMs }
      assert.deepEqual(w.sample(now, total), want)
    }
  }), { numRuns: 200 })
})

test('RateWatch: property: a source that gains what a window needs in every window never stalls', () => {
  // every step at most a window long and carrying the window's bytes: any window ends with a whole step
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 5000 }),
    fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 10_000 })),
    fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 1000 })), { maxLength: 80 }),
    (windowMs, min, steps) => {
      const needed = neededFor(windowMs, min)
      const w = new RateWatch({ windowMs, minBytesPerSecond: min, now: T0 })
      let now = T0
      let total = 0
      for (const [f, extra] of steps) {
        now += Math.max(1, Math.round(f * windowMs))
        total += needed + extra
        assert.equal(w.sample(now, total), null)
      }
    }
  ), { numRuns: 200 })
})
