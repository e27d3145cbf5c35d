import { stat } from 'node:fs/promises'
import path from 'node:path'
import type { BundleHeader } from '../../core/bundle-header.js'
import type { BundleMeta } from '../../core/bundle-meta.js'
import { refListId } from '../../core/ref-list.js'
import { ZERO_OID } from '../../core/refs.js'
import type { Store, StoredBundle } from './store.js'

/**
 * Moves a completely downloaded, checked full bundle (`d.file`, inside its
 * download directory `dir`) into the store, where mirror-seed finds it.
 */
export async function commitDownload (
  store: Store, dir: string, d: { file: string, header: BundleHeader, infoHash: string, torrentFile: Uint8Array }
): Promise<StoredBundle> {
  const st = await stat(d.file)
  const meta: BundleMeta = {
    format: 1,
    start: ZERO_OID,
    end: refListId(d.header.refs),
    file: path.basename(d.file),
    size: st.size,
    sha256: null,
    infoHash: d.infoHash,
    refs: d.header.refs,
    head: null,
    created: new Date().toISOString(),
    mtimeMs: st.mtimeMs
  }
  return await store.commit(dir, meta, d.torrentFile)
}
