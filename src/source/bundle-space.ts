import { stat } from 'node:fs/promises'
import path from 'node:path'
import { bundleSpaceShortfall } from '../core/disk-space.js'
import { spaceAt } from '../io/fs/free-space.js'
import type { Store } from '../io/store/store.js'
import type { BundleTorrentShape } from '../core/torrent-policy.js'

/**
 * Why the torrent's bundle should not be tried for lack of disk space, or
 * null: the download still to come into the store's tmp/ (what an earlier
 * run left of it counts as there), plus its pack in the clone at `destDir`
 * (core/disk-space.ts). A bundle in the store needs only the pack's room.
 */
export async function bundleSpace (store: Store, destDir: string, infoHash: string, shape: BundleTorrentShape): Promise<string | null> {
  const known = await store.findByInfoHash(infoHash)
  const partial = path.join(store.root, 'tmp', `download-${infoHash}`, shape.bundlePath)
  const onDisk = known !== null ? shape.length : await stat(partial).then(s => s.size, () => 0)
  const [cache, dest] = await Promise.all([spaceAt(path.join(store.root, 'tmp')), spaceAt(destDir)])
  return bundleSpaceShortfall({ bundleBytes: shape.length, onDisk, cache, dest })
}
