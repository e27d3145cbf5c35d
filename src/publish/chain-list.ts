import { readFile } from 'node:fs/promises'
import { entryId, planPublish, type PublishPlan } from '../core/bundle-chain.js'
import type { BundleList, BundleListEntry } from '../core/bundle-list.js'
import { webSeedFor } from '../core/web-seed.js'
import { hashFile } from '../io/fs/hash-file.js'
import type { Store, StoredBundle } from '../io/store/store.js'
import { readTorrent } from '../io/torrent/torrent-file.js'
import type { PreviousChain } from './previous-chain.js'

/**
 * What this publish makes: the plan of core/bundle-chain.ts on the
 * previous chain. A signed publish makes a full bundle whenever the state
 * changed: its push object vouches for one bundle that clones alone
 * (signed increments are future work, docs/bundle-list.md).
 */
export function decide (previous: { chain: PreviousChain | null, reason: string | null }, end: string, o: { signed: boolean, maxIncrements: number }): PublishPlan {
  if (previous.chain === null) return { kind: 'base', reason: previous.reason ?? 'no earlier publish' }
  const plan = planPublish(previous.chain.entries.map(e => e.meta), end, o)
  if (o.signed && plan.kind === 'increment') return { kind: 'base', reason: 'a signed publish makes a full bundle' }
  return plan
}

/**
 * The web seeds of an older bundle of the chain: the given URLs that name
 * a folder, each with that bundle's file name; a URL naming one file serves
 * the newest bundle only, so the older one keeps the ones it has.
 */
export async function olderSeeds (given: string[], e: StoredBundle): Promise<string[]> {
  if (given.every(u => u.endsWith('/'))) return given.map(u => webSeedFor(u, e.meta.file, e.meta.folder))
  return await urlListOf(e)
}

/** The web seeds a stored torrent names (its url-list). */
export async function urlListOf (e: StoredBundle): Promise<string[]> {
  return (await readTorrent(await readFile(e.torrentPath), e.torrentPath)).urlList
}

/**
 * The list entries of `chain`, in order: id, the first web seed as the
 * `uri` (a folder torrent's as the bundle's own URL), infohash, size and
 * SHA-256 (hashed once and kept in meta.json when the store did not know
 * it), and the creationToken the previous list gave the same bundle.
 */
export async function listEntries (store: Store, chain: StoredBundle[], previous: BundleList | null): Promise<Array<Omit<BundleListEntry, 'creationToken'> & { creationToken: number | null }>> {
  const out: Array<Omit<BundleListEntry, 'creationToken'> & { creationToken: number | null }> = []
  for (let e of chain) {
    if (e.meta.sha256 === null) e = await store.update(e, { ...e.meta, sha256: (await hashFile(e.bundlePath)).sha256 })
    const sha256 = e.meta.sha256!
    const seed = (await urlListOf(e))[0]
    const uri = seed === undefined ? null : e.meta.folder === null ? seed : `${seed}${encodeURIComponent(e.meta.folder)}/${encodeURIComponent(e.meta.file)}`
    const before = previous?.entries.find(p => p.sha256 === sha256 && p.size === e.meta.size)
    out.push({ id: entryId(e.meta), uri, creationToken: before?.creationToken ?? null, infoHash: e.meta.infoHash, size: e.meta.size, sha256 })
  }
  return out
}
