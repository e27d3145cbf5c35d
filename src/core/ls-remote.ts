import type { Ref } from './ref-list.js'
import { isOid, isSafeRefName } from './refs.js'

export interface RemoteListing {
  /** Every ref the remote advertised, peeled `^{}` lines dropped. */
  refs: Ref[]
  /** The branch the remote's HEAD names, when it said. */
  head: string | null
}

/**
 * Parses `git ls-remote --symref` output:
 *   "ref: refs/heads/main\tHEAD" and "<oid>\t<refname>" lines.
 * Lines that do not parse are skipped: git wrote them, but a ref name we
 * would not accept elsewhere is better dropped here than trusted later.
 */
export function parseLsRemote (text: string): RemoteListing {
  const refs: Ref[] = []
  let head: string | null = null
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t')
    if (tab === -1) continue
    const left = line.slice(0, tab)
    const name = line.slice(tab + 1)
    if (left.startsWith('ref: ')) {
      const target = left.slice(5)
      if (name === 'HEAD' && isSafeRefName(target)) head = target
      continue
    }
    if (name.endsWith('^{}') || !isOid(left) || !isSafeRefName(name)) continue
    refs.push({ name, oid: left })
  }
  return { refs, head }
}
