import type { OnProgress } from '../core/progress.js'
import { downloadBundle } from '../source/download-bundle.js'
import { checkTorrentRecord, noBundle, readTorrentRecord, screenAddresses } from '../source/torrent-source.js'
import { fetchRecordsVia } from '../io/git/fetch-records.js'
import type { Git } from '../io/git/run-git.js'
import { storeDownload } from '../source/store-download.js'
import type { Store, StoredBundle } from '../io/store/store.js'
import type { Seeder } from './seeder.js'
import { rm } from 'node:fs/promises'
import { checkSigned, checkSource, trustFor, verifyBundle, type VerifiedBundle } from '../source/verify-bundle.js'
import { RECORD_REFS } from '../core/refs.js'
import type { PushObjectStore } from '../io/store/push-objects.js'

export interface SeedRemoteOptions {
  maxSize: number
  stallTimeoutMs: number
  /** Public keys trusted for this run (--trust), besides git config's mirror.trustedKey. */
  trust?: string[]
  project?: string
  /** Push objects accepted before (default: the user's state). */
  accepted?: PushObjectStore
  signal?: AbortSignal
  onProgress?: OnProgress
}

export interface SeedRemoteResult {
  url: string
  entry: StoredBundle
  downloaded: { fromPeers: number, fromWebSeeds: number } | null
}

/**
 * mirror-seed <url>: read what the remote publishes under
 * refs/mirrors/bundle/* (the torrent, else the magnet), check it before
 * writing anything, download the bundle into the store the way a clone
 * does (resuming a partial download), check its header (and, with a key
 * trusted for the URL, its push object: a bundle that fails is deleted,
 * never seeded), commit it to the store and seed it.
 */
export async function seedRemote (
  deps: { git: Git, store: Store, seeder: Seeder }, url: string, o: SeedRemoteOptions
): Promise<SeedRemoteResult> {
  const { store, seeder } = deps
  o.onProgress?.({ phase: 'records', detail: url })
  const { records } = await fetchRecordsVia(deps.git, await store.makeTemp('records'), url)
  const trust = await trustFor(deps.git, [url], { extra: o.trust, project: o.project, accepted: o.accepted })
  const signed = trust !== null && records.push !== undefined ? (await checkSigned(trust, records.push, `${RECORD_REFS.push} on ${url}`)).po : null
  const record = await readTorrentRecord(records, url)
  if (record === null) throw noBundle(url)
  // web seeds and trackers this machine must not contact (core/address-policy.ts) are left out of the download
  const { source } = screenAddresses(checkTorrentRecord(record, { maxSize: o.maxSize }), url, { userTrackers: seeder.swarm.net.trackers !== null })
  if (trust !== null) checkSource(trust, source, signed, url)
  const bundle = await downloadBundle({ swarm: seeder.swarm, store }, source, o)
  let entry: StoredBundle
  try {
    let verified: VerifiedBundle | null = null
    if (trust !== null) {
      try {
        verified = await verifyBundle(trust, bundle, { recordPush: records.push ?? null, url, ...(o.signal === undefined ? {} : { signal: o.signal }) })
      } catch (err) {
        if (bundle.dir !== null) await rm(bundle.dir, { recursive: true, force: true })   // never seed what failed a check
        throw err
      }
      await trust.accepted.add(verified.po)
    }
    const stored = await storeDownload(store, bundle, verified)
    if (stored === null) throw new Error('a bundle from the swarm without its torrent')
    entry = stored
  } finally {
    await bundle.release()
  }
  await seeder.seed(entry)
  return { url, entry, downloaded: bundle.entry === null ? { fromPeers: bundle.fromPeers, fromWebSeeds: bundle.fromWebSeeds } : null }
}
