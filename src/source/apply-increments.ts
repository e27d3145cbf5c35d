import { rm } from 'node:fs/promises'
import type { BundleListEntry } from '../core/bundle-list.js'
import { isMirrorError, MirrorError } from '../core/errors.js'
import type { OnProgress } from '../core/progress.js'
import type { Ref } from '../core/ref-list.js'
import { refListId } from '../core/ref-list.js'
import { RECORD_REFS } from '../core/refs.js'
import type { Outcome } from '../core/sources.js'
import { hashFile } from '../io/fs/hash-file.js'
import type { Git } from '../io/git/run-git.js'
import { commitDownload } from '../io/store/commit-download.js'
import type { Store } from '../io/store/store.js'
import type { Swarm } from '../io/torrent/swarm.js'
import { newTransferStats } from '../io/torrent/transfer-stats.js'
import { addressRefusal } from '../core/address-policy.js'
import { downloadBundle, type DownloadedBundle } from './download-bundle.js'
import { downloadHttpBundle } from './download-http-bundle.js'
import { stageBundle } from './stage-bundle.js'
import { screenAddresses } from './torrent-source.js'

/** Increments downloading at once: a chain holds a few (five by default before a collapse), each its own torrent. */
const PARALLEL_DOWNLOADS = 4

/** What became of one increment of the list: the report's `bundles` entry. */
export interface IncrementOutcome {
  id: string
  infoHash: string
  creationToken: number
  outcome: Outcome
  reason: string | null
  fromPeers: number
  fromWebSeeds: number
  seconds: number
}

export interface ApplyIncrementsOptions {
  /** The origin whose refs/mirrors/bundle/list named them (what a refusal names; web seeds are screened against it). */
  origin: string
  /** The trackers to find peers with: the base torrent's, or the user's own. */
  trackers: string[]
  /** The user chose the trackers (--tracker, mirror.tracker): they are not screened. */
  userTrackers: boolean
  /** Where they are staged: refs/mirror/torrent/. */
  prefix: string
  maxSize: number
  stallTimeoutMs: number
  minBytesPerSecond: number
  /** The store key of the state the repository holds (the end of the bundle before the first): kept increments are stored from there. */
  start: string
  /**
   * 'swarm': by infohash from peers (the `uri` a web seed), then, when that
   * fails and the entry has a `uri`, over plain HTTP from it; 'http': from
   * the `uri` alone (the base came over HTTP); 'web-first': the `uri` over
   * HTTP first, the swarm when that fails or there is none (the base came
   * from web seeds alone: no peer is there to send an increment's metadata,
   * and the swarm would wait --timeout for it). A seeder asks 'swarm-only':
   * it needs the torrent.
   */
  via: 'swarm' | 'http' | 'web-first' | 'swarm-only'
  /**
   * Stage only the refs whose tips this repository lacks (an existing
   * clone, mirror-fetch): an increment's header names every ref of its
   * state, and writing hundreds of staging refs to delete them again cost
   * 0.7 s of a 2.8 s fetch on the benchmark repository (bench/ANALYSIS.md).
   */
  onlyNew?: boolean
  /**
   * Checks an increment, in list order, after its download matched the
   * list and before git sees it (a signed chain: its push object, linked to
   * the one before); throws what refuses it.
   */
  verify?: (bundle: DownloadedBundle, e: BundleListEntry) => Promise<void>
  /** Keep each applied increment in the store (seeded later) instead of deleting its download. */
  keep: boolean
  signal?: AbortSignal
  onProgress?: OnProgress
  onNotice?: (line: string) => void
}

/**
 * Applies increments of a bundle list, in list order, to `repo`, which
 * holds the state the first one starts from: each is downloaded from the
 * swarm (a magnet of its infohash with the given trackers, its `uri` as a
 * web seed; up to four download at once while git takes them in order),
 * checked against the list (size, SHA-256: the origin's list is the
 * authority on which bytes it published), its prerequisites checked to be
 * in the repository, and fetched by git into the staging namespace
 * (git's own bundle verification and index-pack). The first that cannot be
 * used stops the chain: it and those after it are reported, with why.
 * Returns each one's outcome and the refs staged by the last one applied
 * (null when none was).
 */
export async function applyIncrements (
  deps: { swarm: Swarm, store: Store }, repo: Git, entries: readonly BundleListEntry[], o: ApplyIncrementsOptions
): Promise<{ outcomes: IncrementOutcome[], staged: Ref[] | null, applied: BundleListEntry | null }> {
  const outcomes: IncrementOutcome[] = []
  let staged: Ref[] | null = null
  let applied: BundleListEntry | null = null
  let start = o.start
  const downloads = entries.map(() => null as Promise<Downloaded> | null)
  const unused = new AbortController()   // downloads ahead of a bundle that stopped the chain are not waited for
  const signal = o.signal === undefined ? unused.signal : AbortSignal.any([o.signal, unused.signal])
  const begin = (i: number): Promise<Downloaded> => (downloads[i] ??= downloadIncrement(deps, entries[i]!, { ...o, signal }))
  // the tips this repository has (onlyNew): what an increment names at them needs no staging ref
  const have = o.onlyNew === true ? new Set((await repo.run(['for-each-ref', '--format=%(objectname)'])).stdout.split('\n').filter(x => x !== '')) : null
  try {
    // up to PARALLEL_DOWNLOADS at once: the swarm fetches the next ones while git takes this one
    for (let i = 0; i < Math.min(PARALLEL_DOWNLOADS, entries.length); i++) begin(i).catch(() => {})
    for (const [i, e] of entries.entries()) {
      const got = await begin(i)
      if (i + PARALLEL_DOWNLOADS < entries.length && got.bundle !== null) begin(i + PARALLEL_DOWNLOADS).catch(() => {})
      const outcome: IncrementOutcome = { id: e.id, infoHash: e.infoHash, creationToken: e.creationToken, outcome: 'used', reason: null, fromPeers: got.fromPeers, fromWebSeeds: got.fromWebSeeds, seconds: got.seconds }
      outcomes.push(outcome)
      if (got.bundle === null) {
        Object.assign(outcome, { outcome: got.outcome, reason: got.reason })
        break
      }
      const bundle = got.bundle
      try {
        await o.verify?.(bundle, e)
        const missing = await missingObjects(repo, bundle.header.prerequisites)
        if (missing.length > 0) throw new MirrorError('BAD_BUNDLE', `the repository lacks ${missing.length} of its ${bundle.header.prerequisites.length} prerequisite commits (${missing[0]!}...): it does not follow what this repository holds`)
        o.onProgress?.({ phase: 'index', detail: `increment ${e.id}` })
        const only = have === null ? undefined : bundle.header.refs.filter(r => r.name.startsWith('refs/') && !have.has(r.oid)).map(r => r.name)
        staged = await stageBundle(repo, bundle.file, { prefix: o.prefix, ...(only === undefined ? {} : { only }), ...(o.signal === undefined ? {} : { signal: o.signal }), ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress }) })
        applied = e
        for (const r of staged) have?.add(r.oid)
        const end = refListId(bundle.header.refs)
        if (o.keep && bundle.dir !== null && bundle.entry === null && bundle.torrentFile !== null) await commitDownload(deps.store, bundle.dir, { file: bundle.file, header: bundle.header, infoHash: e.infoHash, torrentFile: bundle.torrentFile!, verified: { sha256: e.sha256, pushObject: null }, start })
        else await dropDownload(bundle)
        start = end
      } catch (err) {
        await dropDownload(bundle)
        if (!isMirrorError(err) || err.code === 'ABORTED') throw err
        Object.assign(outcome, { outcome: ['GIT_FAILED', 'BAD_BUNDLE', 'VERIFY_FAILED', 'BAD_PUSH_OBJECT'].includes(err.code) ? 'refused' : 'failed', reason: err.message })
        break
      }
    }
  } finally {
    // what was started and not used: stopped; its download stays resumable
    unused.abort()
    for (const [i, d] of downloads.entries()) {
      if (d === null || i < outcomes.length) continue
      const got = await d.catch(() => null)
      if (got?.bundle != null) await got.bundle.release()
    }
  }
  for (const e of entries.slice(outcomes.length)) {
    outcomes.push({ id: e.id, infoHash: e.infoHash, creationToken: e.creationToken, outcome: 'skipped', reason: 'an increment before it was not applied', fromPeers: 0, fromWebSeeds: 0, seconds: 0 })
  }
  return { outcomes, staged, applied }
}

export interface Downloaded {
  bundle: DownloadedBundle | null
  outcome: Outcome
  reason: string | null
  fromPeers: number
  fromWebSeeds: number
  seconds: number
}

/** One increment, downloaded (or found in the store) and checked against its list entry; never throws for what the source did (the outcome says). */
export async function downloadIncrement (
  deps: { swarm: Swarm, store: Store }, e: BundleListEntry,
  o: Pick<ApplyIncrementsOptions, 'origin' | 'trackers' | 'userTrackers' | 'maxSize' | 'stallTimeoutMs' | 'minBytesPerSecond' | 'via' | 'signal' | 'onProgress' | 'onNotice'>
): Promise<Downloaded> {
  if (o.via === 'web-first' && e.uri !== null) {
    const http = await fromHttp(deps, e, e.uri, o)
    if (http.bundle !== null || http.outcome === 'refused') return http
    o.onNotice?.(`increment ${e.id}: ${http.reason ?? 'its uri did not serve'}; trying the swarm`)
    const swarm = await fromSwarm(deps, e, o)
    return { ...swarm, fromWebSeeds: swarm.fromWebSeeds + http.fromWebSeeds, seconds: swarm.seconds + http.seconds }
  }
  const swarm = o.via === 'http' ? null : await fromSwarm(deps, e, o)
  if (swarm !== null && (swarm.bundle !== null || swarm.outcome === 'refused' || o.via === 'swarm-only' || e.uri === null)) return swarm
  if (e.uri === null) return { bundle: null, outcome: 'refused', reason: `bundle ${e.id} of the list has no uri to download it from over HTTP`, fromPeers: 0, fromWebSeeds: 0, seconds: 0 }
  if (swarm !== null) o.onNotice?.(`increment ${e.id}: ${swarm.reason ?? 'the swarm did not serve'}; downloading it from ${e.uri}`)
  const http = await fromHttp(deps, e, e.uri, o)
  return swarm === null ? http : { ...http, fromPeers: swarm.fromPeers + http.fromPeers, fromWebSeeds: swarm.fromWebSeeds + http.fromWebSeeds, seconds: swarm.seconds + http.seconds }
}

/** The increment over plain HTTP(S) from its `uri` (bytes counted as from web seeds), checked against the list. */
async function fromHttp (deps: { store: Store }, e: BundleListEntry, uri: string, o: Pick<ApplyIncrementsOptions, 'origin' | 'maxSize' | 'stallTimeoutMs' | 'minBytesPerSecond' | 'signal' | 'onProgress'>): Promise<Downloaded> {
  const started = Date.now()
  const tally = { bytes: 0 }
  const result = (outcome: Outcome, reason: string | null, bundle: DownloadedBundle | null = null): Downloaded =>
    ({ bundle, outcome, reason, fromPeers: 0, fromWebSeeds: tally.bytes, seconds: (Date.now() - started) / 1000 })
  let bundle: DownloadedBundle | null = null
  try {
    bundle = await downloadHttpBundle(deps, uri, {
      increment: true, maxSize: Math.min(o.maxSize, e.size), stallTimeoutMs: o.stallTimeoutMs, minBytesPerSecond: o.minBytesPerSecond, pushObject: null, tally,
      checkRedirect: u => addressRefusal(u, o.origin), ...(o.signal === undefined ? {} : { signal: o.signal }), ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress })
    })
    await checkDigest(bundle, e, `${uri} (bundle ${e.id} of ${RECORD_REFS.list} on ${o.origin})`, o.signal)
    return result('used', null, bundle)
  } catch (err) {
    if (bundle !== null) await dropDownload(bundle)
    if (!isMirrorError(err) || err.code === 'ABORTED') throw err
    return result(['BAD_BUNDLE', 'TOO_LARGE'].includes(err.code) ? 'refused' : 'failed', err.message)
  }
}

/** The list is the authority on which bytes the origin published: size and SHA-256 must match (a store entry's known digest is taken as is). */
async function checkDigest (bundle: DownloadedBundle, e: BundleListEntry, what: string, signal?: AbortSignal): Promise<void> {
  const digest = bundle.entry?.meta.sha256 != null && bundle.entry.meta.size === e.size ? { sha256: bundle.entry.meta.sha256, size: e.size } : await hashFile(bundle.file, signal)
  if (digest.size !== e.size || digest.sha256 !== e.sha256) throw new MirrorError('BAD_BUNDLE', `${what} is not the bundle the list names (its size or SHA-256 differs)`)
}

/** The increment from the swarm by its infohash. */
async function fromSwarm (deps: { swarm: Swarm, store: Store }, e: BundleListEntry, o: Pick<ApplyIncrementsOptions, 'origin' | 'trackers' | 'userTrackers' | 'maxSize' | 'stallTimeoutMs' | 'minBytesPerSecond' | 'signal' | 'onProgress' | 'onNotice'>): Promise<Downloaded> {
  const started = Date.now()
  const stats = newTransferStats()
  const what = `bundle ${e.id} of ${RECORD_REFS.list} on ${o.origin}`
  const result = (outcome: Outcome, reason: string | null, bundle: DownloadedBundle | null = null): Downloaded =>
    ({ bundle, outcome, reason, fromPeers: stats.fromPeers, fromWebSeeds: stats.fromWebSeeds, seconds: (Date.now() - started) / 1000 })
  if (e.size > o.maxSize) return result('refused', `${what} is ${e.size} bytes, over --max-size`)
  const magnet = { infoHash: e.infoHash, announce: o.trackers, urlList: e.uri === null ? [] : [e.uri] }
  const screened = screenAddresses({ kind: 'magnet', magnet, infoHash: e.infoHash, what }, o.origin, { userTrackers: o.userTrackers })
  for (const r of screened.refused) o.onNotice?.(`not using ${r.what} ${r.url}: ${r.reason}`)
  let bundle: DownloadedBundle | null = null
  try {
    bundle = await downloadBundle(deps, screened.source, {
      increment: true,
      maxSize: Math.min(o.maxSize, e.size),
      stallTimeoutMs: o.stallTimeoutMs,
      minBytesPerSecond: o.minBytesPerSecond,
      stats,
      ...(o.signal === undefined ? {} : { signal: o.signal }),
      ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress }),
      onNotice: o.onNotice
    })
    await checkDigest(bundle, e, what, o.signal)
    return result('used', null, bundle)
  } catch (err) {
    if (bundle !== null) await dropDownload(bundle)
    if (!isMirrorError(err) || err.code === 'ABORTED') throw err
    return result(err.code === 'BAD_BUNDLE' || err.code === 'UNSAFE_TORRENT' || err.code === 'TOO_LARGE' ? 'refused' : 'failed', err.message)
  }
}

/** A download the clone or fetch is done with: deleted (a store entry stays). */
export async function dropDownload (b: DownloadedBundle): Promise<void> {
  if (b.dir !== null) await rm(b.dir, { recursive: true, force: true })
  await b.release()
}

/** Which of `oids` this repository lacks. */
export async function missingObjects (repo: Git, oids: readonly string[]): Promise<string[]> {
  if (oids.length === 0) return []
  const r = await repo.run(['cat-file', '--batch-check=%(objectname)'], { input: oids.map(x => `${x}\n`).join('') })
  return r.stdout.split('\n').filter(l => l.endsWith(' missing')).map(l => l.split(' ')[0]!)
}
