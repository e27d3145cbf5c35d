import { rm } from 'node:fs/promises'
import { commitDownload } from '../io/store/commit-download.js'
import type { Store, StoredBundle } from '../io/store/store.js'
import type { Attempt } from './attempt.js'

export /**
 * The bundles of used attempts: one that was in the store stays; a
 * torrent download is moved into the store when kept (to seed it), else
 * deleted, as is one over plain HTTP (no torrent to seed it with).
 */
async function settleBundles (store: Store, attempts: Attempt[], keep: boolean): Promise<StoredBundle | null> {
  let kept: StoredBundle | null = null
  for (const x of attempts) {
    if (x.bundle === null) continue
    const { downloaded: b, verified } = x.bundle
    try {
      if (b.entry !== null) kept ??= x.outcome === 'used' ? b.entry : null
      else if (keep && x.outcome === 'used' && kept === null && b.infoHash !== null && b.torrentFile !== null) {
        kept = await commitDownload(store, b.dir!, { ...b, infoHash: b.infoHash, torrentFile: b.torrentFile, verified: verified === null ? null : { sha256: verified.sha256, pushObject: verified.po.id } })
      } else if (b.dir !== null) {
        await rm(b.dir, { recursive: true, force: true })
      }
    } finally {
      await b.release()
    }
  }
  return kept
}
