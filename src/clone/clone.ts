import { checkoutTarget, cloneLayout, type CloneLayout, type CloneMode } from '../core/clone-target.js'
import { isMirrorError, MirrorError } from '../core/errors.js'
import type { OnProgress } from '../core/progress.js'
import type { PushObject } from '../core/push-object.js'
import { RECORD_REFS } from '../core/refs.js'
import { writeCreationToken } from '../io/git/creation-token.js'
import { DEFAULT_ALLOWED_PROTOCOLS, DEFAULT_SOURCE_ORDER, planSources, sourceRecords, type SourceKind } from '../core/sources.js'
import { dropTempPacks } from '../io/git/drop-temp-packs.js'
import type { Git } from '../io/git/run-git.js'
import type { PushObjectStore } from '../io/store/push-objects.js'
import type { Store } from '../io/store/store.js'
import type { Swarm } from '../io/torrent/swarm.js'
import { discover, type Discovery } from '../source/discover.js'
import { freeOnFullDisk } from '../source/free-on-full-disk.js'
import { checkSigned, trustFor, type Trust } from '../source/verify-bundle.js'
import type { Attempt, CloneContext } from './attempt.js'
import { cloneFromOrigin } from './clone-from-origin.js'
import { cloneSubmodules } from './clone-submodules.js'
import { Destination } from './destination.js'
import { finishClone } from './finish-clone.js'
import { initClone } from './init-clone.js'
import { cloneReport, wantedOids, type CloneReport } from './report.js'
import { settleBundles } from './settle-bundles.js'
import { trySources } from './try-sources.js'

export type { CloneReport } from './report.js'

/** A trickle is a stall: the least average rate a source must keep over each --timeout window. */
export const DEFAULT_MIN_BYTES_PER_SECOND = 32 * 1024

export interface CloneArgs {
  url: string
  dir: string
  mode: CloneMode
  checkout: boolean
  maxSize: number
  /** Bounds discovery; a source that sends nothing (or too little) for this long is left for the next. */
  timeoutMs: number
  /** A trickle is a stall: the least average rate over each timeout window (default DEFAULT_MIN_BYTES_PER_SECOND; 0: any byte). */
  minBytesPerSecond?: number
  /** Which sources to try, in this order (default DESIGN.md's: torrent, http, mirror); the origin is always last. */
  sources?: readonly SourceKind[]
  /** URL schemes a source may use (default https, http, ssh, git). */
  allowProtocols?: readonly string[]
  /** Keep the downloaded bundle in the store (the cache) instead of deleting it after the clone. */
  keepBundle: boolean
  /** Public keys trusted for this run (--trust), besides git config's mirror.trustedKey. */
  trust?: string[]
  /** The project a push object must name (default: from the URL, as mirror-publish names it). */
  project?: string
  /** -b: check out this branch of the origin, or this tag as a detached HEAD (default: the origin's HEAD). */
  branch?: string
  /** Fetch only the checked-out branch (or tag) and the tags in its history. */
  singleBranch?: boolean
  /** No tags, and `remote.<name>.tagopt --no-tags`. */
  noTags?: boolean
  /** -o: the remote's name (default: clone.defaultRemoteName, else origin). */
  remote?: string
  /** -c key=value: written into the new repository's config before anything is fetched, as git clone does. */
  config?: string[]
  /** Options only the origin can serve (--depth, --filter, ...): the clone is git's own, for this reason, with these arguments. */
  gitOnly?: { args: string[], reason: string }
  /**
   * A clone by a BEP 46 magnet (discoverPointer): the signed refs as the
   * listing, the pointer's torrent as the record, its key as the trust.
   * With an origin URL (`discovery.url`), the origin's own listing is used
   * when it answers, and the final fetch is made; without one, or when it
   * does not answer, the clone is the signed refs alone.
   */
  pointer?: { discovery: Discovery, trust: Trust }
  /** --recurse-submodules: after the checkout, each submodule cloned the same way (the swarm when it publishes records). */
  recurseSubmodules?: boolean
  /** Stops the clone (it removes what it made). */
  signal?: AbortSignal
}

export interface CloneDeps {
  git: Git
  /** The cache: partial downloads (tmp/download-<infohash>, tmp/http-<hash>) and kept bundles. */
  store: Store
  swarm: Swarm
  onProgress?: OnProgress
  /** Push objects this user accepted before (default: the user's state directory). */
  accepted?: PushObjectStore
  /** Unix seconds (tests). */
  now?: () => number
  /** A line worth telling the user as it happens (a source not used, and why). */
  onNotice?: (message: string) => void
  /** The destination, once claimed: what a forced exit must remove. */
  onClaimed?: (dest: Destination | null) => void
  /** Told as each source is tried, with what skips it (Ctrl-C's first press); null when none is running. */
  onAttempt?: (attempt: { source: SourceKind, url: string, skip: () => void } | null) => void
}

/**
 * mirror-clone: discover -> for each candidate source: try it -> complete
 * from the origin -> drop staging refs -> report. Sources only ever fill
 * refs/mirror/<source>/*; real refs come from the origin (its final fetch,
 * or its advertisement when the sources already hold all of it), so the
 * result is what `git clone` makes. A source that cannot serve is reported
 * and the next one tried; without any, the origin sends everything.
 */
export async function clone (deps: CloneDeps, a: CloneArgs): Promise<CloneReport> {
  const clock = { started: Date.now(), discovered: 0, sourced: 0, completed: 0 }
  const dest = await Destination.claim(a.dir)
  deps.onClaimed?.(dest)
  deps.onNotice?.(`Cloning into ${a.mode === 'normal' ? '' : 'bare repository '}'${a.dir}'...`)
  const attempts: Attempt[] = []
  try {
    const report = await cloneInto(deps, a, dest, attempts, clock)
    if (a.recurseSubmodules === true && a.mode === 'normal' && a.checkout && a.gitOnly === undefined) {
      report.submodules = await cloneSubmodules(deps.git.at(dest.dir), async (url, dir) => await clone({ ...deps, onClaimed: undefined }, submoduleArgs(a, url, dir)), optional(a.signal))
    }
    return report
  } catch (err) {
    await dest.undo()
    for (const x of attempts) await x.bundle?.downloaded.release()
    throw await keptNote(err, attempts)
  } finally {
    deps.onClaimed?.(null)   // complete, or removed already
  }
}

/**
 * One clone into the claimed `dir`: discover, the sources in turn, the
 * origin last; attempts are recorded in `attempts` as they go.
 */
async function cloneInto (deps: CloneDeps, a: CloneArgs, dest: Destination, attempts: Attempt[], clock: Clock): Promise<CloneReport> {
  const dir = dest.dir
  const remote = a.remote ?? await remoteName(deps.git)
  const plainClone = async (url: string, fallbackReason: string | null, discoveryBytes = 0): Promise<CloneReport> => {
    clock.sourced = Date.now()
    const { packBytes } = await cloneFromOrigin(deps.git, { url, dir, mode: a.mode, checkout: a.checkout, remote, args: gitCloneArgs(a), ...optional(a.signal, deps.onProgress) })
    clock.completed = Date.now()
    return cloneReport({ attempts, originBytes: discoveryBytes + packBytes, originFetched: true, fallbackReason, directory: dir, kept: null, clock })
  }
  if (a.gitOnly !== undefined) {
    deps.onNotice?.(`no source used: ${a.gitOnly.reason}; cloning from the origin with git clone ${a.gitOnly.args.join(' ')}`)
    return await plainClone(a.url, a.gitOnly.reason)
  }
  const origin = a.pointer === undefined
    ? await discover(deps.git, a.url, { scratchDir: await deps.store.makeTemp('records'), timeoutMs: a.timeoutMs, ...optional(a.signal) })
    : await pointerOrigin(deps, a, a.pointer.discovery)
  clock.discovered = Date.now()
  const originLess = origin.url === ''
  const target = checkoutTarget(origin.listing, a.branch, remote)
  const layout = cloneLayout(a.mode, remote, { singleBranch: a.singleBranch === true ? target : null, noTags: a.noTags })
  // a trusted key that does not parse fails the clone: it is the user's to fix
  const trust = a.pointer?.trust ?? await trustFor(deps.git, [a.url, origin.url], { extra: a.trust, project: a.project, accepted: deps.accepted, now: deps.now })
  const allowProtocols = a.allowProtocols ?? DEFAULT_ALLOWED_PROTOCOLS
  const plan = planSources(sourceRecords(origin.records), { order: a.sources ?? DEFAULT_SOURCE_ORDER, allowProtocols, origin: origin.url })
  const unusable = target === null
    ? 'the origin\'s HEAD names no branch it has, so git clone decides what to check out'
    : origin.recordsError?.message ?? (plan.length > 0 ? null : noSources(origin.url, origin.records, a.sources))
  if (unusable !== null && originLess) throw new MirrorError('BAD_PUSH_OBJECT', `cannot clone by the pointer alone: ${unusable}`)
  if (unusable !== null) {
    deps.onNotice?.(`no source used: ${unusable}; cloning from the origin`)
    return await plainClone(origin.url, unusable, origin.packBytes)
  }

  const ctx = cloneContext(deps, a, { origin, trust, layout, destDir: dir, allowProtocols, init: async () => await initClone(deps.git, dir, { url: origin.url, layout, remote, config: [...a.config ?? [], ...(a.recurseSubmodules === true ? ['submodule.active=.'] : [])] }).catch(async (err: unknown) => { await dest.clear(); throw err }) })
  await trySources(ctx, plan, wantedOids(origin.listing, layout), deps, attempts)
  throwIfAborted(a.signal)
  if (!ctx.initialised() && originLess) throw new MirrorError('TORRENT_FAILED', `the pointer's torrent could not be used, and there is no origin to clone from: ${attempts.map(x => x.reason).filter(r => r !== null).join('; ')}`)
  if (!ctx.initialised()) return await plainClone(origin.url, null, origin.packBytes)   // nothing was staged: a plain git clone is the clone
  clock.sourced = Date.now()
  const done = await finishClone(ctx, attempts, { origin, remote, layout, target: target!, checkout: a.checkout, onProgress: deps.onProgress, signal: a.signal })
  clock.completed = Date.now()
  const token = attempts.find(x => x.outcome === 'used')?.list?.token
  // mirror-fetch takes the increments published after this one
  if (token !== undefined) await writeCreationToken(await ctx.repo(), remote, token)
  const kept = await settleBundles(deps.store, attempts, a.keepBundle)
  return cloneReport({ attempts, originBytes: origin.packBytes + done.packBytes, originFetched: done.fetched, fallbackReason: null, directory: dir, kept, clock })
}

type Clock = { started: number, discovered: number, sourced: number, completed: number }

/** A submodule's repository, cloned as git clones one (no checkout: git submodule update checks out the recorded commit). */
function submoduleArgs (a: CloneArgs, url: string, dir: string): CloneArgs {
  const { timeoutMs, minBytesPerSecond, sources, allowProtocols, maxSize, signal } = a
  return { url, dir, mode: 'normal', checkout: false, keepBundle: false, timeoutMs, maxSize, minBytesPerSecond, sources, allowProtocols, signal }
}

/**
 * A pointer clone's origin: with a URL (the push object's, or --origin), the
 * origin's own listing when it answers (the final fetch brings what is newer
 * than the signed bundle), the pointer's torrent still the record; without
 * one, or when it does not answer, the signed refs alone.
 */
async function pointerOrigin (deps: CloneDeps, a: CloneArgs, signed: Discovery): Promise<Discovery> {
  if (signed.url === '') return signed
  try {
    const live = await discover(deps.git, signed.url, { scratchDir: await deps.store.makeTemp('records'), timeoutMs: a.timeoutMs, ...optional(a.signal) })
    return { ...live, records: signed.records, recordsError: null }
  } catch (err) {
    if (!isMirrorError(err) || err.code === 'ABORTED') throw err
    deps.onNotice?.(`the origin ${signed.url} did not answer (${err.message}): the clone is the signed refs alone, and its remote is set for a later fetch`)
    return signed
  }
}

/** Why no source can be tried at all. */
function noSources (url: string, records: Record<string, unknown>, order: readonly SourceKind[] | undefined): string {
  if (order !== undefined && order.length === 0) return 'no source is to be tried (--sources or mirror.sources: origin)'
  if (Object.keys(records).filter(k => k !== 'push').length === 0) return `${url} publishes no bundle (no ${RECORD_REFS.torrent}, ${RECORD_REFS.magnet} or ${RECORD_REFS.http}) and no mirror (no refs/mirrors/fetch/*)`
  return `${url} publishes no source of the kinds asked for (--sources or mirror.sources: ${(order ?? []).join(',')})`
}

/** What every attempt of this clone shares; the clone's repository is made when a source first needs it. */
function cloneContext (
  deps: CloneDeps, a: CloneArgs,
  o: { origin: Discovery, trust: Trust | null, layout: CloneLayout, destDir: string, allowProtocols: readonly string[], init: () => Promise<Git> }
): CloneContext & { initialised: () => boolean } {
  let repo: Promise<Git> | null = null
  let signed: Promise<PushObject | null> | null = null
  const { origin, trust } = o
  return {
    git: deps.git,
    store: deps.store,
    swarm: deps.swarm,
    // a failed init (a full disk) leaves no half repository: the next call, or a plain git clone, starts afresh
    repo: async () => await (repo ??= o.init().catch(async (err: unknown) => { repo = null; throw err })),
    initialised: () => repo !== null,
    dropGitTemp: async () => {
      const made = repo === null ? null : await repo.catch(() => null)
      if (made !== null) await dropTempPacks(made)
    },
    layout: o.layout,
    destDir: o.destDir,
    origin,
    trust,
    signedRecord: async () => await (signed ??= trust === null || origin.records.push === undefined
      ? Promise.resolve(null)
      : checkSigned(trust, origin.records.push, `${RECORD_REFS.push} on ${origin.url}`).then(r => r.po)),
    maxSize: a.maxSize,
    keepBundle: a.keepBundle,
    timeoutMs: a.timeoutMs,
    minBytesPerSecond: a.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND,
    allowProtocols: o.allowProtocols,
    signal: a.signal,
    onProgress: deps.onProgress,
    onNotice: deps.onNotice
  }
}

/** What git clone names the remote: clone.defaultRemoteName from the user's or system config (no repository's), else origin. */
async function remoteName (git: Git): Promise<string> {
  for (const scope of ['--global', '--system']) {
    const r = await git.run(['config', scope, '--get', 'clone.defaultRemoteName'], { okCodes: [1] })
    const name = r.stdout.trim()
    if (r.code === 0 && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) return name
  }
  return 'origin'
}

/** What `git clone` is given besides the URL, directory, mode and remote name, for a clone that is git's own. */
function gitCloneArgs (a: CloneArgs): string[] {
  return [
    ...(a.branch === undefined ? [] : ['--branch', a.branch]),
    ...(a.singleBranch === true ? ['--single-branch'] : []),
    ...(a.noTags === true ? ['--no-tags'] : []),
    ...(a.config ?? []).flatMap(c => ['--config', c]),
    // git clone --recurse-submodules writes submodule.active=. after the -c settings; the submodules are cloned here after, unless git clones alone
    ...(a.recurseSubmodules === true ? (a.gitOnly === undefined ? ['--config', 'submodule.active=.'] : ['--recurse-submodules']) : []),
    ...(a.gitOnly?.args ?? [])
  ]
}

/** A failure once a bundle is downloaded: say that it stays for a rerun, or, on a full disk, delete it. */
async function keptNote (err: unknown, attempts: Attempt[]): Promise<unknown> {
  const dir = attempts.find(x => x.bundle?.downloaded.dir != null)?.bundle?.downloaded.dir
  if (dir != null && isMirrorError(err, 'NO_SPACE')) return await freeOnFullDisk(err, dir, 'downloaded bundle')
  if (!(err instanceof MirrorError) || dir == null || err.code === 'ABORTED' || err.message.includes(dir)) return err
  return new MirrorError(err.code, `${err.message} (the downloaded bundle stays in ${dir}; a rerun uses it)`, err.data)
}

function throwIfAborted (signal?: AbortSignal): void {
  if (signal?.aborted === true) throw new MirrorError('ABORTED', 'interrupted; the clone was removed')
}

function optional (signal?: AbortSignal, onProgress?: OnProgress): { signal?: AbortSignal, onProgress?: OnProgress } {
  return { ...(signal === undefined ? {} : { signal }), ...(onProgress === undefined ? {} : { onProgress }) }
}
