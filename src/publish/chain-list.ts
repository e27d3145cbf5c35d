import { readFile } from 'node:fs/promises'
import { entryId, planPublish, type PublishPlan } from '../core/bundle-chain.js'
import type { BundleList, BundleListEntry } from '../core/bundle-list.js'
import { webSeedFor } from '../core/web-seed.js'
import { hashFile } from '../io/fs/hash-file.js'
import type { Store, StoredBundle } from '../io/store/store.js'
import { readTorrent } from '../io/torrent/torrent-file.js'
import type { PreviousChain } from './previous-chain.js'
import type { Signing } from './build-entry.js'
import { newest } from './sign-push-object.js'
import { parsePushObject, type PushObject } from '../core/push-object.js'

/**
 * What this publish makes: the plan of core/bundle-chain.ts on the
 * previous chain, or a new base when the chain's signing does not allow
 * extending it (signedChainProblem), or an unsigned publish meets a
 * signed chain.
 */
export async function decide (previous: { chain: PreviousChain | null, reason: string | null }, end: string, o: { signing: Signing | null, maxIncrements: number }): Promise<PublishPlan> {
  if (previous.chain === null) return { kind: 'base', reason: previous.reason ?? 'no earlier publish' }
  const entries = previous.chain.entries
  const plan = planPublish(entries.map(e => e.meta), end, o)
  // a chain is signed throughout or not at all; a signed one must still verify as a client will verify it
  if (plan.kind === 'increment' || (plan.kind === 'unchanged' && entries.length > 1)) {
    const problem = o.signing === null
      ? (entries.some(e => e.meta.pushObject !== null) ? 'the chain is signed, this publish is not' : null)
      : await signedChainProblem(entries, o.signing)
    if (problem !== null) return { kind: 'base', reason: problem }
  }
  return plan
}

/**
 * Why a signed chain cannot be extended (or kept) as it is, or null: each
 * bundle's push object by this key, for this project and origin, with more
 * than half its validity left (none is signed again inside a chain: a new
 * sequence would break the links), each the next sequence after the one
 * before and naming it as prev, and the last the newest this key signed
 * for the project (a publish not pushed since would break the link).
 */
export async function signedChainProblem (entries: StoredBundle[], s: Signing): Promise<string | null> {
  let prev: PushObject | null = null
  for (const e of entries) {
    let po: PushObject
    try {
      if (e.pushPath === null) return `bundle ${e.meta.file} of the chain is unsigned`
      po = parsePushObject(await readFile(e.pushPath), e.pushPath)
    } catch {
      return `the push object of ${e.meta.file} cannot be read`
    }
    if (po.id !== e.meta.pushObject) return `the push object beside ${e.meta.file} is not the one its torrent carries`
    if (!po.signer.raw.equals(s.key.publicKey.raw) || po.project !== s.project) return 'the chain was signed with another key or for another project'
    if (po.origin !== s.origin) return 'the origin the push objects name has changed'
    if (po.expires - s.now <= s.validForSeconds / 2) return `the push object of ${e.meta.file} is past half its validity: a new base is signed`
    if (prev !== null && (po.sequence !== prev.sequence + 1 || po.prev !== prev.id)) return `the push objects of the chain do not follow one another at ${e.meta.file}`
    prev = po
  }
  const newest_ = newest(s.previous)
  if (prev !== null && newest_ !== null && newest_.sequence > prev.sequence) return `push object ${newest_.sequence} was signed after the list's last (${prev.sequence}): a new base continues from it`
  return null
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

/** The bundle's own URL under one of its torrent's web seeds: the seed itself, or for a signed folder torrent `<seed><folder>/<file>`. */
export function bundleUrl (seed: string, e: StoredBundle): string {
  return e.meta.folder === null ? seed : `${seed}${encodeURIComponent(e.meta.folder)}/${encodeURIComponent(e.meta.file)}`
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
    const uri = seed === undefined ? null : bundleUrl(seed, e)
    const before = previous?.entries.find(p => p.sha256 === sha256 && p.size === e.meta.size)
    out.push({ id: entryId(e.meta), uri, creationToken: before?.creationToken ?? null, infoHash: e.meta.infoHash, size: e.meta.size, sha256 })
  }
  return out
}
