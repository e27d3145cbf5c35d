import { commitDownload } from '../io/store/commit-download.js'
import type { Store, StoredBundle } from '../io/store/store.js'
import type { DownloadedBundle } from './download-bundle.js'
import type { VerifiedBundle } from './verify-bundle.js'

/**
 * A complete, checked bundle from the swarm moved into the store, where
 * mirror-seed finds it, with what a push object check established; the
 * entry it came from when it was in the store already; null for one over
 * plain HTTP (no torrent to seed it with).
 */
export async function storeDownload (store: Store, b: DownloadedBundle, verified: VerifiedBundle | null): Promise<StoredBundle | null> {
  if (b.entry !== null) return b.entry
  if (b.infoHash === null || b.torrentFile === null || b.dir === null) return null
  return await commitDownload(store, b.dir, {
    ...b,
    infoHash: b.infoHash,
    torrentFile: b.torrentFile,
    verified: verified === null ? null : { sha256: verified.sha256, pushObject: verified.po.id }
  })
}
