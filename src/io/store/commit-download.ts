import { stat } from 'node:fs/promises'
import path from 'node:path'
import type { BundleHeader } from '../../core/bundle-header.js'
import type { BundleMeta } from '../../core/bundle-meta.js'
import { refListId } from '../../core/ref-list.js'
import { ZERO_OID } from '../../core/refs.js'
import type { Store, StoredBundle } from './store.js'

/**
 * Moves a completely downloaded, checked bundle (full; an increment from
 * the store key `start`) (`d.file`, inside its
 * download directory `dir`, or in the torrent's folder there) into the
 * store, where mirror-seed finds it. `verified` is what a push object
 * check established: the bundle's SHA-256 and the push object's id.
 */
export async function commitDownload (
  store: Store, dir: string,
  d: { file: string, header: BundleHeader, infoHash: string, torrentFile: Uint8Array, verified?: { sha256: string, pushObject: string | null } | null, start?: string }
): Promise<StoredBundle> {
  const st = await stat(d.file)
  const folder = path.relative(dir, path.dirname(d.file))
  const meta: BundleMeta = {
    format: 1,
    start: d.start ?? ZERO_OID,
    end: refListId(d.header.refs),
    file: path.basename(d.file),
    size: st.size,
    sha256: d.verified?.sha256 ?? null,
    infoHash: d.infoHash,
    refs: d.header.refs,
    head: null,
    created: new Date().toISOString(),
    mtimeMs: st.mtimeMs,
    folder: folder === '' ? null : folder,
    pushObject: d.verified?.pushObject ?? null,
    pointer: null,
    retired: null
  }
  return await store.commit(dir, meta, d.torrentFile)
}
