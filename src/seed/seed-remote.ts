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
import { RECORD_REFS, type RecordName } from '../core/refs.js'
import { MirrorError } from '../core/errors.js'
import { readBundleList } from '../io/git/read-bundle-list.js'
import { commitDownload } from '../io/store/commit-download.js'
import { DEFAULT_GRACE_SECONDS, retireBundles } from '../io/store/retire-bundles.js'
import { projectOfBundle } from '../core/project-name.js'
import { downloadIncrement } from '../source/apply-increments.js'
import { ChainVerifier, namesLaterBundle } from '../source/verify-chain.js'
import type { PointerDht } from '../io/dht/pointer-dht.js'
import { adoptPointer } from './adopt-pointer.js'
import type { PushObject } from '../core/push-object.js'
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
  /** The base: the bundle refs/mirrors/bundle/torrent names. */
  entry: StoredBundle
  /** The increments of the remote's bundle list after the base, in order, seeded too. */
  increments: StoredBundle[]
  downloaded: { fromPeers: number, fromWebSeeds: number } | null
  /** The remote's records as read for this (what mirror-daemon --http hands its browser clone page). */
  records: Partial<Record<RecordName, Buffer>>
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
  deps: { git: Git, store: Store, seeder: Seeder, pointers?: PointerDht | null }, url: string, o: SeedRemoteOptions
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
  // a signed chain: refs/mirrors/push is its newest push object, an increment's; the base's comes in its torrent
  const tip = signed !== null && await namesLaterBundle(deps.git, records.list, `${RECORD_REFS.list} on ${url}`, signed) ? signed : null
  if (trust !== null) checkSource(trust, source, tip === null ? signed : null, url)
  const bundle = await downloadBundle({ swarm: seeder.swarm, store }, source, o)
  let entry: StoredBundle
  let verifiedPo: PushObject | null = null
  try {
    let verified: VerifiedBundle | null = null
    if (trust !== null) {
      try {
        verified = await verifyBundle(trust, bundle, { recordPush: tip === null ? records.push ?? null : null, chainTip: tip, url, ...(o.signal === undefined ? {} : { signal: o.signal }) })
      } catch (err) {
        if (bundle.dir !== null) await rm(bundle.dir, { recursive: true, force: true })   // never seed what failed a check
        throw err
      }
      await trust.accepted.add(verified.po)
      verifiedPo = verified.po
    }
    const stored = await storeDownload(store, bundle, verified)
    if (stored === null) throw new Error('a bundle from the swarm without its torrent')
    entry = stored
  } finally {
    await bundle.release()
  }
  await seeder.seed(entry)
  if (deps.pointers != null) {
    entry = await adoptPointer({ store, pointers: deps.pointers }, entry)   // the publisher's pointer, kept alive from here too
    seeder.keepPointer(entry)
  }
  // a signed chain: each increment's push object links to the base's, verified above
  const chain = trust === null ? null : new ChainVerifier(trust, verifiedPo)
  const increments = await seedIncrements(deps, url, records.list, entry, { ...o, announce: (source.kind === 'torrent' ? source.parsed.announce : source.magnet.announce) ?? [], chain })
  // what the remote no longer lists is retired, and removed after the grace, as a publisher's store does: a CI cache stays bounded
  const project = projectOfBundle(entry.meta.file)
  if (project !== null) await retireBundles(store, { project, chain: [entry, ...increments], nowSeconds: Math.floor(Date.now() / 1000), graceSeconds: DEFAULT_GRACE_SECONDS })
  return { url, entry, increments, downloaded: bundle.entry === null ? { fromPeers: bundle.fromPeers, fromWebSeeds: bundle.fromWebSeeds } : null, records }
}

/**
 * The increments of the remote's bundle list, when it publishes one whose
 * first bundle is `base`: each downloaded (or found in the store), checked
 * against the list, stored under its start and end states, and seeded.
 * The first that cannot be had ends it (it is reported; the base and the
 * increments before it are seeded).
 */
async function seedIncrements (
  deps: { git: Git, store: Store, seeder: Seeder }, url: string, blob: Buffer | undefined, base: StoredBundle, o: SeedRemoteOptions & { announce: string[], chain: ChainVerifier | null }
): Promise<StoredBundle[]> {
  if (blob === undefined) return []
  const entries = (await readBundleList(deps.git, blob, `${RECORD_REFS.list} on ${url}`)).entries
  if (entries[0]!.infoHash !== base.meta.infoHash) throw new MirrorError('BAD_RECORD', `the first bundle of ${RECORD_REFS.list} on ${url} is not the one ${RECORD_REFS.torrent} names`, { url })
  const seeded: StoredBundle[] = []
  let start = base.meta.end
  const userTrackers = deps.seeder.swarm.net.trackers !== null
  for (const e of entries.slice(1)) {
    const got = await downloadIncrement({ swarm: deps.seeder.swarm, store: deps.store }, e, {
      origin: url, trackers: userTrackers ? deps.seeder.swarm.net.trackers! : o.announce, userTrackers, maxSize: o.maxSize, stallTimeoutMs: o.stallTimeoutMs, minBytesPerSecond: 0, via: 'swarm-only',
      ...(o.signal === undefined ? {} : { signal: o.signal }), ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress })
    })
    if (got.bundle === null) throw new MirrorError(got.outcome === 'refused' ? 'BAD_BUNDLE' : 'DOWNLOAD_STALLED', `increment ${e.id}: ${got.reason ?? got.outcome}`, { url })
    const b = got.bundle
    let entry: StoredBundle
    try {
      const po = await o.chain?.check(b, e).catch(async (err: unknown) => {
        if (b.dir !== null) await rm(b.dir, { recursive: true, force: true })   // never seed what failed a check
        throw err
      })
      entry = b.entry ?? await commitDownload(deps.store, b.dir!, { file: b.file, header: b.header, infoHash: e.infoHash, torrentFile: b.torrentFile!, verified: { sha256: e.sha256, pushObject: po?.id ?? null }, start })
    } finally {
      await b.release()
    }
    await deps.seeder.seed(entry)
    seeded.push(entry)
    start = entry.meta.end
  }
  return seeded
}
