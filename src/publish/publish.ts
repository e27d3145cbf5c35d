import { readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { DEFAULT_MAX_INCREMENTS, nextList, type PublishPlan } from '../core/bundle-chain.js'
import { formatBundleList, type BundleList } from '../core/bundle-list.js'
import { MirrorError } from '../core/errors.js'
import { DEFAULT_TRACKERS, resolveNetworkOptions, type NetworkFlags, type NetworkOptions } from '../core/network-options.js'
import type { OnProgress } from '../core/progress.js'
import { bundleBaseName, projectName, sanitizeName } from '../core/project-name.js'
import { parsePushObject, type PushObject } from '../core/push-object.js'
import { parseMirrorUrl } from '../core/mirror-url.js'
import { formatUrlList } from '../core/records.js'
import { refListId } from '../core/ref-list.js'
import { RECORD_REFS, ZERO_OID } from '../core/refs.js'
import { normalizeWebSeed, webSeedFor } from '../core/web-seed.js'
import { checkPrivateTrackers, parseVisibility, privateNetwork, publicRefusal, type Visibility } from '../core/visibility.js'
import { findSigningKey } from '../io/keys/find-signing-key.js'
import { pushRecords, writeRecords, type PushOutcome, type RecordOids } from '../io/git/records.js'
import { openRepository, readMirrorConfig } from '../io/git/repository.js'
import { originAccess } from '../io/http/origin-access.js'
import { DEFAULT_GRACE_SECONDS, retireBundles } from '../io/store/retire-bundles.js'
import { Store, type StoredBundle } from '../io/store/store.js'
import { magnetOf, preloadTorrentParser, readTorrent } from '../io/torrent/torrent-file.js'
import { buildEntry, type Signing } from './build-entry.js'
import { bundleUrl, decide, listEntries, olderSeeds, urlListOf } from './chain-list.js'
import { prerequisitesAfter, previousChain } from './previous-chain.js'
import { putPointer, type PointerReport } from './put-pointer.js'
import { resignEntry } from './resign-entry.js'
import { retargetEntry } from './retarget-entry.js'
import { signedOrigin } from './signed-origin.js'
import { resolvePublishedState } from './resolve-published-state.js'
import { earlierPushObjects } from './sign-push-object.js'

export interface PublishOptions {
  cwd: string
  env?: NodeJS.ProcessEnv
  /** Remote name or URL; default origin. */
  remote?: string
  push: boolean
  /** Default <git-dir>/mirror. */
  store?: string
  /** Project name in the bundle's file name; default from the remote URL. */
  name?: string
  webSeeds: string[]
  /** Full git mirrors to record (http(s) in refs/mirrors/fetch/http, git:// and ssh in fetch/git); default git config mirror.fetchMirror. */
  fetchMirrors?: string[]
  network: NetworkFlags
  /** The origin URL a push object names for clones by the key alone (--origin-url); default: the remote's, when it is http(s) or git:// without credentials; null: none. */
  originUrl?: string | null
  /**
   * --public or --private. Unsaid: git config mirror.visibility, else public
   * unless the origin needs authentication (or cannot be told to be
   * readable by anyone): then ORIGIN_NOT_PUBLIC, before anything is
   * fetched, written or pushed. Said: recorded in mirror.visibility.
   */
  visibility?: Visibility
  /** Sign with this key file; false: do not sign; undefined: git config mirror.signingKey, if set. */
  signingKey?: string | false
  /** How long a new push object is valid (default 90 days). */
  validForSeconds?: number
  /** Increments after a base before the next publish collapses the chain into a new base (default 5; 0: every publish is a full bundle). */
  maxIncrements?: number
  /** How long a bundle that left the list stays in the store (and seeded) before a publish removes it (default 7 days). */
  graceSeconds?: number
  /** --prune: remove every bundle that left the list now, whatever the grace. */
  prune?: boolean
  /** Unix seconds; for tests. */
  now?: number
  onProgress?: OnProgress
}

export const DEFAULT_VALID_FOR_SECONDS = 90 * 24 * 3600

export interface PublishResult {
  store: string
  /** The bundle this publish made or reused: the chain's newest (`entry`). */
  bundle: { path: string, file: string, size: number, sha256: string | null, refs: number, reused: boolean }
  /** The torrent the records name (refs/mirrors/bundle/torrent, magnet, http): the chain's base, what any client can clone from. */
  torrentPath: string
  infoHash: string
  magnet: string
  trackers: string[]
  webSeeds: string[]
  /** The full git mirrors recorded under refs/mirrors/fetch/*. */
  fetchMirrors: string[]
  records: RecordOids
  push: { remote: string, outcome: PushOutcome } | null
  /** The push object the torrent carries, when signed. */
  pushObject: { id: string, sequence: number, expires: number, key: string, path: string, reused: boolean } | null
  entry: StoredBundle
  /** The network options in force (flags over git config), for seeding next: a private publish's have no DHT or LSD. */
  network: NetworkOptions
  visibility: Visibility
  /** The visibility was written to git config mirror.visibility by this run (it was said and differed). */
  visibilityRecorded: boolean
  /** The published chain, base first (the records' torrent, magnet and http name the base), and what this publish added to it. */
  chain: { made: PublishPlan['kind'], reason: string | null, list: BundleList, entries: StoredBundle[] }
  /** Store directories of bundles that left the list: retired now (seeded until the grace ends), and removed. */
  retired: string[]
  pruned: string[]
  /** A signed public publish's DHT pointer (its BEP 46 magnet, and whether the put reached the DHT); null when none is put. */
  pointer: PointerReport | null
}

/**
 * mirror-publish: bundle what the remote advertises, make its torrent, record
 * both under refs/mirrors/bundle/*, push the records. Reuses the stored
 * bundle when the published state has not changed.
 */
export async function publish (o: PublishOptions): Promise<PublishResult> {
  preloadTorrentParser()   // loads while git works, instead of after the bundle
  o.webSeeds.forEach(u => normalizeWebSeed(u, 'check.bundle'))   // bad URLs fail before any work (a folder URL is checked with the key)
  const repo = await openRepository(o.cwd, o.env)
  if (repo.shallow) {
    throw new MirrorError('SHALLOW_REPOSITORY', 'repository is shallow: a bundle needs the full history (run git fetch --unshallow first)')
  }
  const config = await readMirrorConfig(repo.git)
  const net = resolveNetworkOptions(o.network, config)
  const recorded = parseVisibility(config.visibility)
  const chosen = o.visibility ?? recorded
  if (chosen === 'private') checkPrivateTrackers(net.trackers)   // never the default public trackers
  const fetchMirrors = [...new Set(o.fetchMirrors ?? config.fetchMirror ?? [])]
  const mirrors = fetchMirrorRecords(fetchMirrors)
  const target = await resolvePublishedState(repo, {
    remote: o.remote,
    push: o.push,
    checkRemote: async remote => {
      if (chosen !== null) return
      const refusal = publicRefusal(remote.url, await originAccess(remote.url), net)
      if (refusal !== null) throw new MirrorError('ORIGIN_NOT_PUBLIC', refusal, { remote: remote.name, url: remote.url })
    }
  })
  const visibility: Visibility = chosen ?? 'public'
  const isPrivate = visibility === 'private'
  const store = await Store.open(o.store ?? path.join(repo.gitDir, 'mirror'))

  const end = refListId(target.state.refs)
  const project = sanitizeName(o.name ?? projectName(target.remote?.url ?? (repo.bare ? repo.gitDir : path.dirname(repo.gitDir))))
  const key = o.signingKey === false ? null : await findSigningKey(repo.git, o.signingKey)
  const now = o.now ?? Math.floor(Date.now() / 1000)
  const trackers = isPrivate ? checkPrivateTrackers(net.trackers) : net.trackers ?? [...DEFAULT_TRACKERS]
  const signing: Signing | null = key === null
    ? null
    : {
        key,
        project,
        now,
        validForSeconds: o.validForSeconds ?? DEFAULT_VALID_FOR_SECONDS,
        origin: signedOrigin(o.originUrl, target.remote?.url ?? null),
        previous: await earlierPushObjects(repo.git, store.pushObjects, key, project,
          target.remote !== null && target.remoteRecords.has(RECORD_REFS.push) ? { name: target.remote.name, oid: target.remoteRecords.get(RECORD_REFS.push)! } : null)
      }

  // the chain: an increment from the last publish's state while the store has it, else a (new) full base
  o.onProgress?.({ phase: 'records', detail: 'the last publish\'s bundle list' })
  const previous = await previousChain(repo.git, store, { remote: target.remote?.name ?? null, remoteRecords: target.remoteRecords })
  const plan = await decide(previous, end, { signing, maxIncrements: o.maxIncrements ?? DEFAULT_MAX_INCREMENTS })
  const since = plan.kind === 'increment' ? await prerequisitesAfter(repo.git, previous.chain!.entries.at(-1)!.meta.refs) : []
  const made: PublishPlan = since === null ? { kind: 'base', reason: 'this repository lacks a commit of the last publish' } : plan
  const kept = made.kind === 'base' ? [] : previous.chain!.entries.slice(0, made.kind === 'unchanged' ? -1 : undefined)
  const start = made.kind === 'increment' ? made.from : made.kind === 'unchanged' ? previous.chain!.entries.at(-1)!.meta.start : ZERO_OID
  const base = start === ZERO_OID ? bundleBaseName(project, end) : `${bundleBaseName(project, end)}-from-${start.slice(0, 12)}`
  const fileName = `${base}.bundle`
  const folder = key === null ? null : base
  const webSeeds = o.webSeeds.map(u => webSeedFor(u, fileName, folder))

  let entry = await store.get(start, end)
  const reused = entry !== null && entry.meta.file === fileName && entry.meta.folder === folder && await store.isUnchanged(entry)
  let signed: { po: PushObject, reused: boolean } | null = null
  if (reused) {
    if (signing !== null) {
      const r = await resignEntry(o, store, entry!, signing, { trackers, webSeeds, private: isPrivate })
      signed = r
      entry = r.entry
    }
    entry = await retargetEntry(store, entry!, { trackers, webSeeds, private: isPrivate })
  } else {
    if (entry !== null) await rm(entry.dir, { recursive: true, force: true })   // changed on disk, renamed, signed or no longer: rebuild
    const built = await buildEntry(o, repo, store, target.state, { start, since: since ?? [], end, fileName, folder, trackers, webSeeds, signing, private: isPrivate })
    entry = built.entry
    if (built.po !== null) signed = { po: built.po, reused: false }
  }
  // the older bundles of the chain: the new trackers, and the web seeds that name a folder (a URL of one file is the newest bundle's)
  const chain = [...await Promise.all(kept.map(async e => await retargetEntry(store, e, { trackers, webSeeds: await olderSeeds(o.webSeeds, e), private: isPrivate }))), entry]
  const list = nextList(await listEntries(store, chain, previous.chain?.list ?? null), now)
  const head = chain[0]!

  const torrentBytes = await readFile(head.torrentPath)
  const magnet = await magnetOf(await readTorrent(torrentBytes, head.torrentPath))
  const headSeeds = await urlListOf(head)
  o.onProgress?.({ phase: 'records' })
  const records = await writeRecords(repo.git, {
    // the base: what a client that knows no list (or no increments) clones from, then fetches the rest
    torrent: torrentBytes,
    // a magnet carries no private flag: a client opening it would look the infohash up on the DHT before it learns
    ...(isPrivate ? {} : { magnet: Buffer.from(`${magnet}\n`) }),
    ...(headSeeds.length > 0 ? { http: Buffer.from(formatUrlList(headSeeds.map(u => bundleUrl(u, head)))) } : {}),
    list: Buffer.from(formatBundleList(list)),
    ...mirrors,
    ...(signed !== null ? { push: signed.po.bytes } : {})
  })
  let push: PublishResult['push'] = null
  if (o.push && target.remote !== null) {
    o.onProgress?.({ phase: 'push', detail: target.remote.name })
    push = { remote: target.remote.name, outcome: await pushRecords(repo.git, target.remote.name, records, target.remoteRecords) }
  }
  if (signed !== null) await store.pushObjects.add(signed.po)   // the chain's HEAD moves once the push object is out (or kept local by --no-push)
  let pointer: PointerReport | null = null
  if (signed !== null && key !== null && !isPrivate && net.dht) {
    // a private publish never puts one: its infohash stays off the DHT. The pointer names the base, which clones alone
    // (a clone by the key has no list to find increments with), with the sequence of the push object its torrent carries
    const seq = chain.length === 1 ? signed.po.sequence : parsePushObject(await readFile(head.pushPath!), head.pushPath!).sequence
    const put = await putPointer(store, chain[0]!, { key, project, seq, net, ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress }) })
    chain[0] = put.entry
    pointer = put.report
  }
  for (const [i, e] of chain.entries()) {
    // no seeder re-puts a pointer this publish did not make
    if ((pointer === null || i > 0) && e.meta.pointer !== null) chain[i] = await store.update(e, { ...e.meta, pointer: null })
  }
  entry = chain[chain.length - 1]!
  // bundles that left the list are seeded for a grace period (clients holding the old chain), then removed
  const { retired, pruned } = await retireBundles(store, { project, chain, nowSeconds: now, graceSeconds: o.prune === true ? 0 : o.graceSeconds ?? DEFAULT_GRACE_SECONDS })
  const visibilityRecorded = o.visibility !== undefined && o.visibility !== recorded
  if (visibilityRecorded) await repo.git.run(['config', '--local', 'mirror.visibility', visibility])   // the next publish keeps to it unless told otherwise
  return {
    store: store.root,
    bundle: { path: entry.bundlePath, file: entry.meta.file, size: entry.meta.size, sha256: entry.meta.sha256, refs: entry.meta.refs.length, reused },
    torrentPath: head.torrentPath,
    infoHash: head.meta.infoHash,
    magnet,
    trackers,
    webSeeds,
    fetchMirrors,
    records,
    push,
    pushObject: signed === null
      ? null
      : { id: signed.po.id, sequence: signed.po.sequence, expires: signed.po.expires, key: signed.po.signer.text, path: entry.pushPath!, reused: signed.reused },
    entry,
    network: isPrivate ? privateNetwork(net) : net,
    visibility,
    visibilityRecorded,
    chain: { made: made.kind, reason: made.kind === 'base' ? made.reason : null, list, entries: chain },
    retired,
    pruned,
    pointer
  }
}

/**
 * The fetch-mirror records: each URL checked as a client will check it,
 * then sorted by scheme into refs/mirrors/fetch/http (http, https) and
 * refs/mirrors/fetch/git (git://, ssh), in the order given.
 */
export function fetchMirrorRecords (urls: string[]): { fetchGit?: Buffer, fetchHttp?: Buffer } {
  const byRecord: Record<'git' | 'http', string[]> = { git: [], http: [] }
  for (const url of urls) {
    const record = /^https?:\/\//i.test(url) ? 'http' : 'git'
    try {
      parseMirrorUrl(url, record)
    } catch (err) {
      throw new MirrorError('BAD_OPTION', `fetch mirror ${JSON.stringify(url)} ${(err as Error).message}`, { url })
    }
    byRecord[record].push(url)
  }
  return {
    ...(byRecord.git.length > 0 ? { fetchGit: Buffer.from(formatUrlList(byRecord.git)) } : {}),
    ...(byRecord.http.length > 0 ? { fetchHttp: Buffer.from(formatUrlList(byRecord.http)) } : {})
  }
}
