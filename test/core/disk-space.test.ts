import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { bundleSpaceShortfall, SPACE_MARGIN } from '../../src/core/disk-space.js'

const MB = 1_000_000

test('bundleSpaceShortfall: table', async (t) => {
  const one = (free: number): { cache: { free: number, device: number }, dest: { free: number, device: number } } =>
    ({ cache: { free, device: 1 }, dest: { free, device: 1 } })
  const cases: Array<{ name: string, o: Parameters<typeof bundleSpaceShortfall>[0], want: RegExp | null }> = [
    // the probe's disk: git clone needs 43 MB of 48; bundle 26 MB + pack 26 MB do not fit
    { name: 'one file system, bundle and pack do not fit', o: { bundleBytes: 26 * MB, onDisk: 0, ...one(48 * MB) }, want: /^not enough free space: the bundle and its pack need about 52\.1 MiB, 45\.8 MiB is free$/ },
    { name: 'one file system, both fit', o: { bundleBytes: 26 * MB, onDisk: 0, ...one(60 * MB) }, want: null },
    { name: 'a resumed download needs only the rest', o: { bundleBytes: 26 * MB, onDisk: 20 * MB, ...one(40 * MB) }, want: null },
    { name: 'more on disk than the bundle (a stale larger file) counts as all of it', o: { bundleBytes: 10 * MB, onDisk: 30 * MB, ...one(11 * MB) }, want: null },
    { name: 'two file systems: the cache is short', o: { bundleBytes: 26 * MB, onDisk: 0, cache: { free: 20 * MB, device: 1 }, dest: { free: 1000 * MB, device: 2 } }, want: /^not enough free space in the cache: the bundle needs about 26\.0 MiB, 19\.1 MiB is free$/ },
    { name: 'two file systems: the clone is short', o: { bundleBytes: 26 * MB, onDisk: 0, cache: { free: 1000 * MB, device: 1 }, dest: { free: 20 * MB, device: 2 } }, want: /^not enough free space for the clone: its pack needs about 26\.0 MiB, 19\.1 MiB is free$/ },
    { name: 'two file systems, each fits its part', o: { bundleBytes: 26 * MB, onDisk: 0, cache: { free: 28 * MB, device: 1 }, dest: { free: 28 * MB, device: 2 } }, want: null },
    { name: 'an empty bundle needs nothing', o: { bundleBytes: 0, onDisk: 0, ...one(0) }, want: null }
  ]
  for (const c of cases) {
    await t.test(c.name, () => {
      const got = bundleSpaceShortfall(c.o)
      if (c.want === null) assert.equal(got, null)
      else assert.match(got ?? 'null', c.want)
    })
  }
})

test('bundleSpaceShortfall: properties', () => {
  const n = fc.nat(1 << 30)
  fc.assert(fc.property(n, n, n, n, fc.boolean(), (bundleBytes, onDisk, cacheFree, destFree, same) => {
    const cache = { free: cacheFree, device: 1 }
    const dest = { free: same ? cacheFree : destFree, device: same ? 1 : 2 }
    const got = bundleSpaceShortfall({ bundleBytes, onDisk, cache, dest })
    const download = Math.max(0, bundleBytes - onDisk)
    const fits = same
      ? (download + bundleBytes) * (1 + SPACE_MARGIN) <= cacheFree
      : download * (1 + SPACE_MARGIN) <= cacheFree && bundleBytes * (1 + SPACE_MARGIN) <= destFree
    // allow the ceil of the margin to decide the last byte
    if (fits) assert.equal(got, null)
    if (got === null) assert.ok(same ? download + bundleBytes <= cacheFree : download <= cacheFree && bundleBytes <= destFree)
    // more free space never turns a fit into a shortfall
    if (got === null) assert.equal(bundleSpaceShortfall({ bundleBytes, onDisk, cache: { ...cache, free: cache.free + 1 }, dest: { ...dest, free: dest.free + 1 } }), null)
  }), { seed: 13, numRuns: 500 })
})
