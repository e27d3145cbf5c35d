import type { CloneLayout } from '../core/clone-target.js'
import { isLocalFailure, isMirrorError, type MirrorError } from '../core/errors.js'
import type { OnProgress } from '../core/progress.js'
import type { PushObject } from '../core/push-object.js'
import type { Ref } from '../core/ref-list.js'
import { outcomeOf, type Candidate, type Outcome, type SourceKind } from '../core/sources.js'
import type { Git } from '../io/git/run-git.js'
import type { Store } from '../io/store/store.js'
import type { Swarm } from '../io/torrent/swarm.js'
import { newTransferStats, type TransferStats } from '../io/torrent/transfer-stats.js'
import type { Discovery } from '../source/discover.js'
import type { DownloadedBundle } from '../source/download-bundle.js'
import type { Trust, VerifiedBundle } from '../source/verify-bundle.js'

/** What became of one source: DESIGN.md's `attempts` entry, plus what the clone needs to finish. */
export interface Attempt {
  source: SourceKind
  url: string
  outcome: Outcome
  reason: string | null
  /** Bytes this source sent (for the swarm: peers and web seeds). */
  bytes: number
  seconds: number
  /** Refs it staged under `prefix` (used only). */
  staged: Ref[]
  /**
   * The staged refs are not written yet (their objects are in the clone):
   * the clone writes them when a later source or the final fetch needs
   * them as haves, and never when the origin's advertisement completes it.
   */
  pending: boolean
  prefix: string | null
  /** The swarm's split of `bytes`, and the torrent's infohash when known. */
  swarm: { fromPeers: number, fromWebSeeds: number, infoHash: string | null } | null
  /** A bundle source that was used: its download (released once the clone settles it) and what verified it. */
  bundle: { downloaded: DownloadedBundle, verified: VerifiedBundle | null, indexedBy: 'git' | 'signed-index' } | null
  /** Seconds downloading and seconds indexing/staging. */
  phases: { download: number, index: number }
  /** Staged refs the origin's refs did not reach: what this source got wrong (filled in at the end). */
  discardedRefs: string[]
  /** A bundle source of an origin that publishes a bundle list: each bundle of the list (the base, then the increments) and the creationToken of the last one applied. */
  list?: { bundles: ListBundle[], token: number } | null
}

/** One bundle of the list in the report: what became of it. */
export interface ListBundle { id: string, infoHash: string, creationToken: number, outcome: Outcome, reason: string | null, bytes: number, seconds: number }

/** What every attempt of one clone shares: read-only. */
export interface CloneContext {
  git: Git
  store: Store
  swarm: Swarm
  /**
   * The clone, initialised on first use: sources stage into it. Until a
   * source has something to stage, the destination stays empty, so that a
   * crash (even SIGKILL) mid-download leaves nothing a rerun would refuse.
   */
  repo: () => Promise<Git>
  layout: CloneLayout
  /** Where the clone goes (its free space is checked before a bundle is downloaded). */
  destDir: string
  origin: Discovery
  trust: Trust | null
  /** The origin's refs/mirrors/push checked against the trust (memoised); throws what refused it. */
  signedRecord: () => Promise<PushObject | null>
  maxSize: number
  /** Keep the downloaded bundles in the store (--keep-bundle). */
  keepBundle: boolean
  timeoutMs: number
  minBytesPerSecond: number
  /** URL schemes a source may use, redirects included. */
  allowProtocols: readonly string[]
  /** Removes what a failed git left in the clone's object store (objects/pack/tmp_*), if the clone was made. */
  dropGitTemp: () => Promise<void>
  /** Stops the whole clone (a second Ctrl-C, SIGTERM). */
  signal: AbortSignal | undefined
  onProgress: OnProgress | undefined
  onNotice: ((line: string) => void) | undefined
}

/** What a body returns: the attempt less what runAttempt measures itself. */
export type AttemptResult = Pick<Attempt, 'outcome' | 'reason' | 'staged' | 'pending' | 'prefix' | 'bundle' | 'phases' | 'list'>

/**
 * What a source sent, kept up to date as it arrives, so that a failed
 * attempt still reports its cost: the swarm's split (peers, web seeds),
 * `bytes` for plain HTTP and git mirrors, the torrent's infohash once known.
 */
export interface Meter extends TransferStats {
  bytes: number
  infoHash: string | null
}

/** An attempt that did not use its source. */
export function notUsed (outcome: Exclude<Outcome, 'used'>, reason: string): AttemptResult {
  return { outcome, reason, staged: [], pending: false, prefix: null, bundle: null, phases: { download: 0, index: 0 } }
}

/**
 * Runs one candidate with its own abort signal, so that the user can skip
 * it (`skip`) without stopping the clone, and turns a source's failure
 * into an outcome: `failed` (it could not serve), `refused` (it sent
 * something a check refused), `skipped` (the user moved on). A full disk
 * fails the attempt too (its download freed): the next source may fit.
 * Other failures of this machine, a stop of the whole clone and bugs are
 * not a source's: they propagate.
 */
export async function runAttempt (
  ctx: CloneContext, c: Candidate, body: (signal: AbortSignal, meter: Meter) => Promise<AttemptResult>,
  o: { onStart?: (skip: () => void) => void } = {}
): Promise<Attempt> {
  const started = Date.now()
  const skip = new AbortController()
  const signal = ctx.signal === undefined ? skip.signal : AbortSignal.any([ctx.signal, skip.signal])
  const meter: Meter = { ...newTransferStats(), bytes: 0, infoHash: null }
  o.onStart?.(() => skip.abort())
  let result: AttemptResult
  try {
    result = await body(signal, meter)
  } catch (err) {
    // a full disk: the source's partial download is gone (source/free-on-full-disk.ts), and git's temporary pack
    // goes too; the next source, or the origin, may fit where bundle and pack together did not
    const fullDisk = isMirrorError(err, 'NO_SPACE')
    if (fullDisk) await ctx.dropGitTemp()
    if (!isMirrorError(err) || (isLocalFailure(err) && !fullDisk) || ctx.signal?.aborted === true) throw err
    result = skip.signal.aborted && err.code === 'ABORTED'
      ? notUsed('skipped', 'skipped by the user (Ctrl-C)')
      : notUsed(outcomeOf((err as MirrorError).code), err.message)
    result.phases.download = (Date.now() - started) / 1000
  }
  return {
    source: c.kind,
    url: c.kind === 'torrent' && meter.infoHash !== null ? `magnet:?xt=urn:btih:${meter.infoHash}` : c.url,
    seconds: Math.round((Date.now() - started) / 10) / 100,
    bytes: meter.fromPeers + meter.fromWebSeeds + meter.bytes,
    swarm: c.kind === 'torrent' ? { fromPeers: meter.fromPeers, fromWebSeeds: meter.fromWebSeeds, infoHash: meter.infoHash } : null,
    discardedRefs: [],
    ...result
  }
}
