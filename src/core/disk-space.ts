import { formatBytes } from './format.js'

/** Free bytes on a file system, and which one it is (st_dev of a directory on it). */
export interface Space {
  free: number
  device: number
}

/**
 * Headroom on top of what a bundle source writes: git's index (.idx, .rev)
 * is a few percent of the pack, the refs and the logs a little more.
 */
export const SPACE_MARGIN = 0.05

/**
 * Why a bundle of `bundleBytes` should not be tried with this much free
 * space, or null when it fits. The bundle is written to the cache (less
 * what an earlier run left there, `onDisk`), and its pack, about as large,
 * into the clone; on one file system both count against the same free
 * space, which is how a disk that fits a `git clone` (pack plus checkout)
 * could not fit bundle plus pack. The checkout is left out: the origin
 * would need room for it as well.
 */
export function bundleSpaceShortfall (o: { bundleBytes: number, onDisk: number, cache: Space, dest: Space }): string | null {
  const toDownload = Math.max(0, o.bundleBytes - o.onDisk)
  const pack = o.bundleBytes
  const withMargin = (n: number): number => Math.ceil(n * (1 + SPACE_MARGIN))
  if (o.cache.device === o.dest.device) {
    const needed = withMargin(toDownload + pack)
    return needed <= o.cache.free ? null : `not enough free space: the bundle and its pack need about ${formatBytes(needed)}, ${formatBytes(o.cache.free)} is free`
  }
  if (withMargin(toDownload) > o.cache.free) return `not enough free space in the cache: the bundle needs about ${formatBytes(withMargin(toDownload))}, ${formatBytes(o.cache.free)} is free`
  if (withMargin(pack) > o.dest.free) return `not enough free space for the clone: its pack needs about ${formatBytes(withMargin(pack))}, ${formatBytes(o.dest.free)} is free`
  return null
}
