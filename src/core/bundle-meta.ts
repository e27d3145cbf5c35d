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
  /**
   * For a signed publish, the torrent's folder (its name): the bundle is
   * <entry>/<folder>/<file> and its push object <entry>/<folder>/<folder>.push.
   * null for a single-file torrent (the bundle is <entry>/<file>).
   */
  folder: string | null
  /** The id of the push object the torrent carries, or null. */
  pushObject: string | null
  /**
   * The DHT pointer (BEP 44/46) a signed publish put for this torrent, as
   * put: what a seeder re-puts, with the publisher's signature, before it
   * expires; null when none was put (unsigned, private, --no-dht).
   */
  pointer: StoredPointer | null
  /**
   * When the bundle left its project's published list (a collapse, a new
   * base): it is still seeded, for clients holding the old chain, until
   * the publisher's grace period ends and a publish removes it; null while
   * it is listed (or was never a publisher's).
   */
  retired: string | null
}

/** A pointer as a seeder keeps it: the key's canonical text, the project (salt), and the signed seq, infohash and signature. */
export interface StoredPointer {
  key: string
  project: string
  seq: number
  infoHash: string
  sig: string
}

/** Fields older stores did not write, and their value then. */
const OPTIONAL: Partial<BundleMeta> = { folder: null, pushObject: null, pointer: null, retired: null }

const FILE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/

const CHECKS: Record<keyof BundleMeta, (v: unknown) => boolean> = {
  format: v => v === 1,
  start: v => typeof v === 'string' && isOid(v),
  end: v => typeof v === 'string' && isOid(v),
  file: v => typeof v === 'string' && FILE.test(v),
  size: v => Number.isSafeInteger(v) && (v as number) > 0,
  sha256: v => v === null || (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)),
  infoHash: v => typeof v === 'string' && /^[0-9a-f]{40}$/.test(v),
  refs: v => Array.isArray(v) && v.every(r => typeof r?.name === 'string' && isSafeRefName(r.name) && typeof r.oid === 'string' && isOid(r.oid)),
  head: v => v === null || (typeof v === 'string' && isSafeRefName(v)),
  created: v => typeof v === 'string',
  mtimeMs: v => typeof v === 'number' && Number.isFinite(v),
  folder: v => v === null || (typeof v === 'string' && FILE.test(v) && !v.includes('..')),
  pushObject: v => v === null || (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)),
  pointer: v => v === null || isStoredPointer(v),
  retired: v => v === null || (typeof v === 'string' && !Number.isNaN(Date.parse(v)))
}

function isStoredPointer (v: unknown): boolean {
  const p = v as Partial<StoredPointer> | null
  return typeof p === 'object' && p !== null && Object.keys(p).length === 5 &&
    typeof p.key === 'string' && p.key.startsWith('ssh-ed25519 ') && typeof p.project === 'string' && Buffer.byteLength(p.project) <= 64 && p.project !== '' &&
    Number.isSafeInteger(p.seq) && (p.seq as number) >= 0 && typeof p.infoHash === 'string' && /^[0-9a-f]{40}$/.test(p.infoHash) &&
    typeof p.sig === 'string' && /^[0-9a-f]{128}$/.test(p.sig)
}

/** Strict parse of meta.json: every field present and valid, nothing else; the error names the field. */
export function parseBundleMeta (text: string): BundleMeta {
  const parsed: unknown = JSON.parse(text)
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('meta.json is not an object')
  const m = { ...OPTIONAL, ...parsed }
  for (const [key, ok] of Object.entries(CHECKS)) {
    if (!ok((m as Record<string, unknown>)[key])) throw new Error(`meta.json: field ${key} is missing or invalid`)
  }
  const extra = Object.keys(m).find(k => !(k in CHECKS))
  if (extra !== undefined) throw new Error(`meta.json: unknown field ${extra}`)
  return m as BundleMeta
}
