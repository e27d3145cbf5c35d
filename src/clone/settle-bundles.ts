import { rm } from 'node:fs/promises'
import { storeDownload } from '../source/store-download.js'
import type { Store, StoredBundle } from '../io/store/store.js'
import type { Attempt } from './attempt.js'

/**
 * The bundles of used attempts: one that was in the store stays; a
 * torrent download is moved into the store when kept (to seed it), else
 * deleted, as is one over plain HTTP (no torrent to seed it with).
 */
export async function settleBundles (store: Store, attempts: Attempt[], keep: boolean): Promise<StoredBundle | null> {
  let kept: StoredBundle | null = null
  for (const x of attempts) {
    if (x.bundle === null) continue
    const { downloaded: b, verified } = x.bundle
    try {
      if (b.entry !== null) kept ??= x.outcome === 'used' ? b.entry : null
      else if (keep && x.outcome === 'used' && kept === null && b.torrentFile !== null) {
        kept = await storeDownload(store, b, verified)
      } else if (b.dir !== null) {
        await rm(b.dir, { recursive: true, force: true })
      }
    } finally {
      await b.release()
    }
  }
  return kept
}
