import type { BundleList, BundleListEntry } from './bundle-list.js'
import { ZERO_OID } from './refs.js'

/**
 * The published chain (DESIGN.md "Bundle list and incremental bundles"): a
 * full base, then increments, each starting where the previous one ended.
 * Pure decisions of mirror-publish: what to make next, and the list that
 * results. Store keys (start, end) as in meta.json.
 */

/** One published bundle, as the chain needs it. */
export interface ChainLink {
  start: string
  end: string
}

/** git-bundle-server squashes past five increments: so do we, by default. */
export const DEFAULT_MAX_INCREMENTS = 5

export type PublishPlan =
  | { kind: 'unchanged' }
  | { kind: 'increment', from: string }
  | { kind: 'base', reason: string }

/**
 * What mirror-publish makes for the state `end` after `chain` (the
 * previous list, in order; empty when there is none): nothing new when the
 * chain ends there; an increment from the chain's end while it has fewer
 * than `maxIncrements` of them; otherwise a new full base (the chain
 * restarts: a collapse), with the reason.
 */
export function planPublish (chain: readonly ChainLink[], end: string, o: { maxIncrements: number }): PublishPlan {
  const last = chain.at(-1)
  if (last === undefined) return { kind: 'base', reason: 'no earlier publish in the store' }
  if (last.end === end) return { kind: 'unchanged' }
  const broken = chainProblem(chain)
  if (broken !== null) return { kind: 'base', reason: broken }
  if (o.maxIncrements <= 0) return { kind: 'base', reason: 'increments are off (--max-increments 0)' }
  if (chain.some(l => l.end === end)) return { kind: 'base', reason: 'the state is one published earlier in the chain' }
  if (chain.length - 1 >= o.maxIncrements) return { kind: 'base', reason: `the chain has ${chain.length - 1} increments, the most it keeps (--max-increments ${o.maxIncrements}): collapsed into a new base` }
  return { kind: 'increment', from: last.end }
}

/** Why `chain` is not a base followed by increments that each start where the previous one ended, or null. */
export function chainProblem (chain: readonly ChainLink[]): string | null {
  if (chain.length === 0) return 'the list is empty'
  if (chain[0]!.start !== ZERO_OID) return 'the list does not start with a full bundle'
  for (let i = 1; i < chain.length; i++) {
    if (chain[i]!.start === ZERO_OID) return `bundle ${i + 1} of the list is a full bundle, not an increment`
    if (chain[i]!.start !== chain[i - 1]!.end) return `bundle ${i + 1} of the list does not start where bundle ${i} ends (a gap)`
  }
  const ends = new Set(chain.map(l => l.end))
  if (ends.size !== chain.length) return 'the list reaches one state twice (a cycle)'
  return null
}

/** A list entry's id: `base-` or `inc-`, then the first 16 hex digits of the state it reaches (unique along a chain, which never reaches a state twice). */
export function entryId (link: ChainLink): string {
  return `${link.start === ZERO_OID ? 'base' : 'inc'}-${link.end.slice(0, 16)}`
}

/**
 * The creationToken of a new entry: the publish's time in Unix seconds,
 * as git-bundle-server uses, and always above the token before it (a
 * clock set back, two publishes in one second).
 */
export function nextCreationToken (previous: number | null, nowSeconds: number): number {
  return previous === null ? nowSeconds : Math.max(previous + 1, nowSeconds)
}

/**
 * The list after a publish: the chain's entries in order, each keeping the
 * creationToken it was published with (so that republishing an unchanged
 * state writes the same list); a new one gets the next token.
 */
export function nextList (entries: ReadonlyArray<Omit<BundleListEntry, 'creationToken'> & { creationToken: number | null }>, nowSeconds: number): BundleList {
  let last: number | null = null
  const out: BundleListEntry[] = []
  for (const e of entries) {
    const token: number = e.creationToken !== null && (last === null || e.creationToken > last) ? e.creationToken : nextCreationToken(last, nowSeconds)
    out.push({ ...e, creationToken: token })
    last = token
  }
  return { entries: out }
}

/**
 * The newest chain among stored bundles (a seeder's store, which keeps no
 * list): the most recently made full bundle, then from each state the
 * increment that starts there (the newest, if several), until none does.
 * Returns indexes into `links`, in chain order; empty without a full one.
 */
export function newestChain (links: ReadonlyArray<ChainLink & { created: number }>): number[] {
  const newestOf = (pick: (l: ChainLink) => boolean, seen: Set<string>): number => {
    let best = -1
    links.forEach((l, i) => { if (pick(l) && !seen.has(l.end) && (best === -1 || l.created > links[best]!.created)) best = i })
    return best
  }
  const seen = new Set<string>()
  const chain: number[] = []
  let at = newestOf(l => l.start === ZERO_OID, seen)
  while (at !== -1 && chain.length < 1000) {
    chain.push(at)
    seen.add(links[at]!.end)
    const end = links[at]!.end
    at = newestOf(l => l.start === end, seen)
  }
  return chain
}
