import { createHash } from 'node:crypto'
import { isOid, isSafeRefName } from './refs.js'

/** One ref as a bundle or a remote states it. */
export interface Ref { name: string; oid: string }

/**
 * The published state: every ref a bundle carries, plus which branch HEAD
 * names (a bundle only records HEAD's oid).
 */
export interface RefState { refs: Ref[]; head: string | null }

/** Sorted by the UTF-8 bytes of the name (git's order), HEAD included as a ref named `HEAD`. */
export function sortRefs (refs: Ref[]): Ref[] {
  return [...refs].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))
}

/** `<oid> <name>\n` per ref, sorted: the canonical text of a ref list. */
export function formatRefList (refs: Ref[]): string {
  for (const r of refs) {
    if (!isOid(r.oid) || !isSafeRefName(r.name)) throw new RangeError(`not a ref: ${r.oid} ${r.name}`)
  }
  return sortRefs(refs).map(r => `${r.oid} ${r.name}\n`).join('')
}

/**
 * The store's `end` for an unsigned bundle: SHA-1 of the canonical ref list,
 * so the same published state always maps to the same directory.
 */
export function refListId (refs: Ref[]): string {
  return createHash('sha1').update(formatRefList(refs)).digest('hex')
}
