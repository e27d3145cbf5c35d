import { MirrorError } from './errors.js'
import { isOid, isSafeRefName, RECORDS_PREFIX } from './refs.js'

/** What a remote says it has under refs/mirrors/, checked. */
export interface RecordListing {
  /** ref name -> oid, in `state`'s order */
  refs: ReadonlyMap<string, string>
  /**
   * The canonical text of the listing: one `<ref> <oid>` line per ref,
   * sorted by ref name (code units), '' for none. Two polls that return the
   * same state saw the same records; compare it instead of the maps.
   */
  state: string
}

/** Most refs a listing under refs/mirrors/ may hold (DESIGN.md names six records). */
export const MAX_RECORD_REFS = 256

/** How much of a refused name or oid a message quotes. */
const QUOTE = 80

/**
 * Checks a remote's listing of refs/mirrors/* (as isomorphic-git's
 * listServerRefs returns it, `{ ref, oid }` per line) before anything
 * uses it: at most `maxRefs` refs under the prefix, each name safe
 * (isSafeRefName) and listed once, each oid 40 hex digits. Refs outside
 * refs/mirrors/ are dropped, as git's own client drops what a server sent
 * beyond the ref-prefix it asked for. A refusal is BAD_RECORD naming `url`,
 * on one line of ASCII (the remote's strings quoted and escaped).
 */
export function checkRecordListing (listed: ReadonlyArray<{ ref: unknown, oid: unknown }>, o: { url: string, maxRefs?: number }): RecordListing {
  const maxRefs = o.maxRefs ?? MAX_RECORD_REFS
  const refuse = (why: string): never => { throw new MirrorError('BAD_RECORD', `the listing of refs/mirrors/ on ${o.url} ${why}`, { url: o.url }) }
  const ours: Array<{ ref: string, oid: unknown }> = []
  for (const { ref, oid } of listed) {
    if (typeof ref !== 'string') return refuse(`has a line that is not "<oid> <ref>" (oid ${quote(oid)})`)
    if (ref.startsWith(RECORDS_PREFIX)) ours.push({ ref, oid })
  }
  if (ours.length > maxRefs) refuse(`holds ${ours.length} refs, over the limit of ${maxRefs}; not reading it`)
  ours.sort((a, b) => a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0)
  const refs = new Map<string, string>()
  for (const { ref, oid } of ours) {
    if (!isSafeRefName(ref)) refuse(`names a ref we refuse: ${quote(ref)}`)
    if (typeof oid !== 'string' || !isOid(oid)) refuse(`gives ${quote(ref)} an object id that is not 40 hex digits: ${quote(oid)}`)
    if (refs.has(ref)) refuse(`lists ${quote(ref)} twice`)
    refs.set(ref, oid as string)
  }
  return { refs, state: [...refs].map(([ref, oid]) => `${ref} ${oid}\n`).join('') }
}

/** A remote's string as one line of ASCII: JSON-quoted, anything outside printable ASCII escaped, cut at QUOTE. */
function quote (value: unknown): string {
  const s = typeof value === 'string' ? value : String(value)
  const text = JSON.stringify(s.slice(0, QUOTE)).replace(/[^\x20-\x7e]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  return s.length > QUOTE ? `${text}...` : text
}
