import { type Ref } from './ref-list.js'
import { isOid, isSafeRefName } from './refs.js'

/** meta.json of a store entry: what the store knows about one bundle. */
export interface BundleMeta {
  format: 1
  /** 40 zeros for a full bundle. */
  start: string
  /** Identifies the state reached: SHA-1 of the canonical ref list. */
  end: string
  /** File name of the bundle, equal to the torrent's name. */
  file: string
  size: number
  /** Known when we wrote the bundle ourselves; null for a downloaded one. */
  sha256: string | null
  infoHash: string
  /** As in the bundle header, HEAD included. */
  refs: Ref[]
  /** The branch HEAD names, when known. */
  head: string | null
  created: string
  /** The bundle file's mtime when it was last verified. */
  mtimeMs: number
}

const FILE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/

/** Strict parse of meta.json; throws on anything unexpected. */
export function parseBundleMeta (text: string): BundleMeta {
  const m = JSON.parse(text) as Record<string, unknown>
  const ok =
    m.format === 1 &&
    typeof m.start === 'string' && isOid(m.start) &&
    typeof m.end === 'string' && isOid(m.end) &&
    typeof m.file === 'string' && FILE.test(m.file) &&
    Number.isSafeInteger(m.size) &&
    (m.sha256 === null || (typeof m.sha256 === 'string' && /^[0-9a-f]{64}$/.test(m.sha256))) &&
    typeof m.infoHash === 'string' && /^[0-9a-f]{40}$/.test(m.infoHash) &&
    Array.isArray(m.refs) && m.refs.every(r => typeof r?.name === 'string' && isSafeRefName(r.name) && typeof r.oid === 'string' && isOid(r.oid)) &&
    (m.head === null || (typeof m.head === 'string' && isSafeRefName(m.head))) &&
    typeof m.created === 'string' &&
    typeof m.mtimeMs === 'number'
  if (!ok) throw new Error('meta.json does not have the expected fields')
  return m as unknown as BundleMeta
}
