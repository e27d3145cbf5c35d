import { rm } from 'node:fs/promises'
import type { BundleHeader } from '../../core/bundle-header.js'
import { MirrorError } from '../../core/errors.js'
import { readBundleHeader } from './read-bundle-header.js'

/**
 * The header of a bundle that must be a full one (no prerequisites, at
 * least one ref), or with `increment` an incremental one (prerequisites). A download that is complete per its torrent but not such
 * a bundle is deleted, so that no rerun resumes into it; a file that was
 * already in a store is left alone.
 */
export async function checkFullBundle (file: string, what: string, o: { downloaded: boolean, increment?: boolean }): Promise<BundleHeader> {
  try {
    const header = await readBundleHeader(file)
    if (o.increment === true && header.prerequisites.length === 0) throw new MirrorError('BAD_BUNDLE', 'it is a full bundle where the list names an increment')
    if (o.increment !== true && header.prerequisites.length > 0) throw new MirrorError('BAD_BUNDLE', 'it is incremental (has prerequisites), not a full bundle')
    if (header.refs.length === 0) throw new MirrorError('BAD_BUNDLE', 'it names no refs')
    return header
  } catch (err) {
    if (o.downloaded) await rm(file, { force: true })
    const why = err instanceof MirrorError ? err.message : String(err)
    throw new MirrorError('BAD_BUNDLE', `the bundle ${what} publishes is not usable: ${why}`, { what })
  }
}
