import type { BundleListEntry } from '../core/bundle-list.js'
import { isMirrorError } from '../core/errors.js'
import { gitProgressTo, type OnProgress } from '../core/progress.js'
import { RECORD_REFS, TORRENT_STAGING, ZERO_OID } from '../core/refs.js'
import { readCreationToken, writeCreationToken } from '../io/git/creation-token.js'
import { fetchRecordsVia } from '../io/git/fetch-records.js'
import { readBundleList } from '../io/git/read-bundle-list.js'
import { resolveRemote } from '../io/git/repository.js'
import type { Git } from '../io/git/run-git.js'
import type { Store } from '../io/store/store.js'
import type { Swarm } from '../io/torrent/swarm.js'
import { dropStagingRefs } from '../clone/drop-staging-refs.js'
import { applyIncrements, type IncrementOutcome } from '../source/apply-increments.js'
import { readTorrentRecord } from '../source/torrent-source.js'
import type { DownloadedBundle } from '../source/download-bundle.js'
import { checkSigned, trustFor, type Trust } from '../source/verify-bundle.js'
import { ChainVerifier } from '../source/verify-chain.js'
import type { PushObject } from '../core/push-object.js'

export interface FetchArgs {
  /** The remote's name (default: the current branch's remote, else origin). */
  remote?: string
  /** --prune, as git fetch has it. */
  prune: boolean
  maxSize: number
  timeoutMs: number
  minBytesPerSecond: number
  signal?: AbortSignal
}

export interface FetchDeps {
  /** The repository to update. */
  repo: Git
  /** Partial downloads (tmp/download-<infohash>): a rerun resumes them. */
  store: Store
  swarm: Swarm
  onProgress?: OnProgress
  onNotice?: (line: string) => void
}

export interface FetchReport {
  remote: string
  url: string
  /** 'increments': the swarm brought increments before the fetch; 'origin': a plain git fetch, for `reason`. */
  method: 'increments' | 'origin'
  reason: string | null
  /** The increments looked at, in list order, with what became of each. */
  bundles: IncrementOutcome[]
  bytes: { swarm: number, webSeed: number, origin: number }
  seconds: { discover: number, download: number, originFetch: number, total: number }
}

/**
 * mirror-fetch: update an existing clone from the increments of its
 * remote's bundle list published after the last one it holds (the token in
 * <git-dir>/mirror-fetch.json; all of them when unknown), applied in
 * order and staged under refs/mirror/torrent/*, then `git fetch <remote>`
 * with the remote's own refspecs (the origin, the authority, sends what is
 * newer; the staged refs are haves), then the staging refs dropped. When
 * no increment applies (none published since, the first one's
 * prerequisites are missing, the swarm does not serve), it is a plain git
 * fetch, and `reason` says why.
 */
export async function fetch (deps: FetchDeps, a: FetchArgs): Promise<FetchReport> {
  const started = Date.now()
  const repo = deps.repo
  const remote = await resolveRemote(repo, a.remote ?? await defaultRemote(repo))
  const plan = await planIncrements(deps, remote, a)
  const discovered = Date.now()
  let reason = plan.reason
  let outcomes: IncrementOutcome[] = []
  let staged: Array<{ name: string, oid: string }> = []
  if (plan.entries.length > 0) {
    const applied = await applyIncrements(deps, repo, plan.entries, {
      origin: remote.url,
      trackers: deps.swarm.net.trackers ?? plan.trackers,
      userTrackers: deps.swarm.net.trackers !== null,
      prefix: TORRENT_STAGING,
      maxSize: a.maxSize,
      stallTimeoutMs: a.timeoutMs,
      minBytesPerSecond: a.minBytesPerSecond,
      start: ZERO_OID,   // not kept: the key is not needed
      keep: false,
      via: 'swarm',
      onlyNew: true,
      ...(plan.chain === null ? {} : { verify: async (b: DownloadedBundle, e: BundleListEntry) => { await plan.chain!.verifier.check(b, e) } }),
      ...optional(a.signal, deps.onProgress),
      ...(deps.onNotice === undefined ? {} : { onNotice: deps.onNotice })
    })
    outcomes = applied.outcomes
    staged = applied.staged ?? []
    const c = plan.chain
    if (c !== null && c.verifier.tip?.id === c.record.id) await c.trust.accepted.add(c.record)   // the chain reached what the remote names
    if (applied.applied === null) reason = `no increment could be used: ${outcomes[0]?.reason ?? 'none'}`
    else if (applied.applied !== plan.entries.at(-1)) deps.onNotice?.(`${outcomes.filter(x => x.outcome === 'used').length} of ${plan.entries.length} increments used: ${outcomes.find(x => x.outcome !== 'used')?.reason ?? ''}`)
  }
  const sourced = Date.now()
  if (reason !== null) deps.onNotice?.(`a plain git fetch: ${reason}`)
  let packBytes = 0
  try {
    const onStderr = gitProgressTo('fetch', deps.onProgress)
    const fetched = await repo.run(['fetch', ...(a.prune ? ['--prune'] : []), '--progress', '--', remote.name],
      { countPack: true, ...optional(a.signal), ...(onStderr === undefined ? {} : { onStderr }) })
    packBytes = fetched.packBytes
  } finally {
    await dropStagingRefs(repo, staged, new Set())
  }
  if (plan.newestToken !== null) await writeCreationToken(repo, remote.name, plan.newestToken)   // the origin's fetch brought all that was published
  const fromPeers = outcomes.reduce((n, x) => n + x.fromPeers, 0)
  const fromWebSeeds = outcomes.reduce((n, x) => n + x.fromWebSeeds, 0)
  const round = (ms: number): number => Math.round(ms / 10) / 100
  return {
    remote: remote.name,
    url: remote.url,
    method: reason === null ? 'increments' : 'origin',
    reason,
    bundles: outcomes,
    bytes: { swarm: fromPeers, webSeed: fromWebSeeds, origin: packBytes },
    seconds: { discover: round(discovered - started), download: round(sourced - discovered), originFetch: round(Date.now() - sourced), total: round(Date.now() - started) }
  }
}

/**
 * Which increments to apply: those of the remote's list after the token
 * this repository holds, with the base torrent's trackers to find them.
 * No list, no newer increment, or records that cannot be read: none,
 * and why.
 */
async function planIncrements (
  deps: FetchDeps, remote: { name: string, url: string }, a: FetchArgs
): Promise<IncrementPlan> {
  const none = (reason: string, newestToken: number | null = null): IncrementPlan => ({ entries: [], trackers: [], newestToken, reason, chain: null })
  deps.onProgress?.({ phase: 'discover', detail: `records of ${remote.url}` })
  let records
  try {
    records = (await fetchRecordsVia(deps.repo, await deps.store.makeTemp('records'), remote.url, { timeoutMs: a.timeoutMs, ...optional(a.signal) })).records
  } catch (err) {
    if (!isMirrorError(err) || err.code === 'ABORTED' || err.code === 'AUTH_REQUIRED') throw err
    return none(`the records of ${remote.url} could not be read (${err.message})`)
  }
  if (records.list === undefined) return none(`${remote.url} publishes no bundle list (${RECORD_REFS.list})`)
  let entries: BundleListEntry[]
  try {
    entries = (await readBundleList(deps.repo, records.list, `${RECORD_REFS.list} on ${remote.url}`)).entries
  } catch (err) {
    if (!isMirrorError(err, 'BAD_RECORD')) throw err
    return none(err.message)
  }
  const newestToken = entries.at(-1)!.creationToken
  const held = await readCreationToken(deps.repo, remote.name)
  const newer = entries.slice(1).filter(e => held === null || e.creationToken > held)
  if (newer.length === 0) return none(held !== null && held >= newestToken ? 'nothing was published since the last fetch' : 'the list has no increment newer than this repository', newestToken)
  let trackers: string[] = []
  try {
    const record = await readTorrentRecord(records, remote.url)
    trackers = record === null ? [] : record.kind === 'torrent' ? record.parsed.announce ?? [] : record.magnet.announce
  } catch (err) {
    if (!isMirrorError(err, 'BAD_RECORD')) throw err
  }
  // a key trusted for the remote: its push object (the chain's newest) must verify, and each increment link to the one before
  const trust = await trustFor(deps.repo, [remote.url], {})
  if (trust === null) return { entries: newer, trackers, newestToken, reason: null, chain: null }
  if (records.push === undefined) return none(`${remote.url} publishes no ${RECORD_REFS.push}, and a key is trusted for it`, null)
  let record: PushObject
  try {
    record = (await checkSigned(trust, records.push, `${RECORD_REFS.push} on ${remote.url}`)).po
  } catch (err) {
    if (!isMirrorError(err, 'VERIFY_FAILED') && !isMirrorError(err, 'BAD_PUSH_OBJECT')) throw err
    return none(err.message, null)
  }
  // the record passed the rollback check against what this user accepted; the increments are checked from the first one
  // on, link by link (the push object before the first is not at hand: this clone's state is not one of the user's accepted)
  const verifier = new ChainVerifier(trust, null)
  return { entries: newer, trackers, newestToken, reason: null, chain: { trust, record, verifier } }
}

interface IncrementPlan {
  entries: BundleListEntry[]
  trackers: string[]
  newestToken: number | null
  reason: string | null
  /** A key is trusted for the remote: its verified push object and the verifier of the chain's links. */
  chain: { trust: Trust, record: PushObject, verifier: ChainVerifier } | null
}

/** What `git fetch` without a remote fetches from: the current branch's remote, else origin. */
async function defaultRemote (repo: Git): Promise<string> {
  const branch = await repo.run(['symbolic-ref', '-q', '--short', 'HEAD'], { okCodes: [1, 128] })
  if (branch.code === 0) {
    const r = await repo.run(['config', '--get', `branch.${branch.stdout.trim()}.remote`], { okCodes: [1] })
    if (r.code === 0 && r.stdout.trim() !== '' && r.stdout.trim() !== '.') return r.stdout.trim()
  }
  return 'origin'
}

function optional (signal?: AbortSignal, onProgress?: OnProgress): { signal?: AbortSignal, onProgress?: OnProgress } {
  return { ...(signal === undefined ? {} : { signal }), ...(onProgress === undefined ? {} : { onProgress }) }
}
