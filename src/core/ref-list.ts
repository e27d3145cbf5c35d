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

/**
 * The branch a HEAD at `oid` most likely names, where the symbolic name is
 * not known (a bundle, a push object), as git's guess_remote_head does:
 * refs/heads/main, then refs/heads/master, then the first branch in name
 * order at that commit; null when no branch is at it (a detached HEAD).
 */
export function guessHead (refs: readonly Ref[], oid: string): string | null {
  const at = refs.filter(r => r.name.startsWith('refs/heads/') && r.oid === oid).map(r => r.name).sort()
  return ['refs/heads/main', 'refs/heads/master'].find(n => at.includes(n)) ?? at[0] ?? null
}
