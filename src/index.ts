/**
 * The programmatic API: publish, clone, fetch, seed and verify, each called with
 * one argument shape, (dependencies, arguments). Dependencies not given
 * are built here, at the edge, from the arguments and the user's git
 * config, and what is built here is closed here; nothing starts a socket
 * at import time. The command-line tools are thin wrappers of the same
 * pipelines (src/cli/).
 */
import { clone as runClone, type CloneArgs, type CloneDeps, type CloneReport } from './clone/clone.js'
import { resolveNetworkOptions, type NetworkFlags, type NetworkOptions } from './core/network-options.js'
import type { OnProgress } from './core/progress.js'
import { fetch as runFetch, type FetchArgs, type FetchDeps as RunFetchDeps, type FetchReport } from './fetch/fetch.js'
import { openRepository, readMirrorConfig } from './io/git/repository.js'
import { Git } from './io/git/run-git.js'
import { defaultCacheDir } from './io/store/cache-dir.js'
import { PushObjectStore } from './io/store/push-objects.js'
import { Store } from './io/store/store.js'
import { Swarm } from './io/torrent/swarm.js'
import { publish as runPublish, type PublishOptions, type PublishResult } from './publish/publish.js'
import { Seeder, type TorrentStatus } from './seed/seeder.js'
import { startSeeding, type StartSeedingArgs, type StartSeedingDeps } from './seed/start-seeding.js'
import { verify as runVerify, type VerifyArgs, type VerifyReport } from './verify/verify.js'

export type { CloneArgs, CloneReport } from './clone/clone.js'
export type { AttemptReport } from './clone/report.js'
export { isMirrorError, MirrorError, ERROR_CODES, exitStatusOf, type ErrorCode } from './core/errors.js'
export type { NetworkFlags, NetworkOptions } from './core/network-options.js'
export type { Progress, OnProgress } from './core/progress.js'
export { SOURCE_KINDS, type SourceKind, type Outcome } from './core/sources.js'
export type { PublishResult } from './publish/publish.js'
export type { FetchArgs, FetchReport } from './fetch/fetch.js'
export type { IncrementOutcome } from './source/apply-increments.js'
export type { TorrentStatus } from './seed/seeder.js'
export type { SeedRemoteResult } from './seed/seed-remote.js'
export type { VerifyArgs, VerifyReport } from './verify/verify.js'
export { Swarm, type SwarmOptions } from './io/torrent/swarm.js'

/** Where a call runs and how it meets the swarm, when the caller does not pass its own objects. */
export interface Edge {
  /** The directory it runs in (default: the process's). */
  cwd?: string
  /** The environment git runs with (default: the process's). */
  env?: NodeJS.ProcessEnv
  /** Network options over git config's mirror.* (default: what git config says, else the public defaults). */
  network?: NetworkFlags
  onProgress?: OnProgress
}

export type PublishDeps = Pick<Edge, 'env' | 'onProgress'> & { now?: number }
export type PublishArgs = Omit<PublishOptions, 'env' | 'onProgress' | 'now'>

/** mirror-publish: bundle, torrent, records under refs/mirrors/*, pushed. */
export async function publish (deps: PublishDeps, args: PublishArgs): Promise<PublishResult> {
  return await runPublish({ ...args, ...deps })
}

/** mirror-clone: what `git clone` makes, the bulk of it from the sources the origin publishes. */
export async function clone (deps: Partial<CloneDeps> & Edge, args: CloneArgs & { cache?: string }): Promise<CloneReport> {
  const git = deps.git ?? new Git(deps.cwd ?? process.cwd(), deps.env)
  const store = deps.store ?? await Store.open(args.cache ?? defaultCacheDir())
  const swarm = deps.swarm ?? new Swarm({ net: await networkOf(git, deps.network) })
  try {
    return await runClone({ ...deps, git, store, swarm, ...(deps.onProgress === undefined ? {} : { onProgress: deps.onProgress }) }, args)
  } finally {
    if (deps.swarm === undefined) await swarm.close()
  }
}

export type FetchDeps = Partial<Pick<RunFetchDeps, 'swarm' | 'onNotice'>> & Edge
export type FetchApiArgs = FetchArgs & {
  /** Where partial downloads live (default: the user's cache, $XDG_CACHE_HOME/git-torrent-mirror). */
  cache?: string
}

/**
 * mirror-fetch: in the repository at `cwd`, the increments of the remote's
 * bundle list published since it was last updated, from the swarm, then
 * `git fetch <remote>`; resolves with the report.
 */
export async function fetch (deps: FetchDeps, args: FetchApiArgs): Promise<FetchReport> {
  const repo = await openRepository(deps.cwd ?? process.cwd(), deps.env)
  const store = await Store.open(args.cache ?? defaultCacheDir())
  const swarm = deps.swarm ?? new Swarm({ net: await networkOf(repo.git, deps.network) })
  try {
    return await runFetch({ repo: repo.git, store, swarm, ...(deps.onProgress === undefined ? {} : { onProgress: deps.onProgress }), ...(deps.onNotice === undefined ? {} : { onNotice: deps.onNotice }) }, args)
  } finally {
    if (deps.swarm === undefined) await swarm.close()
  }
}

export type SeedDeps = Partial<StartSeedingDeps> & Edge & { swarm?: Swarm }
export type SeedArgs = StartSeedingArgs & {
  /** The store directory to seed from and download into (default: the user's cache, $XDG_CACHE_HOME/git-torrent-mirror; a publisher passes <git-dir>/mirror). */
  store?: string
  /** Seeding ends when this aborts. */
  signal: AbortSignal
}

/**
 * mirror-seed: seeds every bundle of the store, or each remote's published
 * one (downloaded and checked first), until `signal` aborts; resolves then
 * with what each torrent did and how many could not be seeded.
 */
export async function seed (deps: SeedDeps, args: SeedArgs): Promise<{ torrents: TorrentStatus[], failures: number }> {
  const git = deps.git ?? new Git(deps.cwd ?? process.cwd(), deps.env)
  const store = deps.store ?? await Store.open(args.store ?? defaultCacheDir())
  const swarm = deps.swarm ?? deps.seeder?.swarm ?? new Swarm({ net: await networkOf(git, deps.network) })
  const seeder = deps.seeder ?? new Seeder({ store, swarm })
  try {
    const { failures } = await startSeeding({ ...deps, git, store, seeder }, args)
    if (!args.signal.aborted) await new Promise(resolve => args.signal.addEventListener('abort', resolve, { once: true }))
    return { torrents: seeder.status(), failures }
  } finally {
    if (deps.swarm === undefined && deps.seeder === undefined) await swarm.close()
  }
}

/** mirror-verify: a push object (and a bundle) checked as a clone checks it; read-only. */
export async function verify (deps: { git?: Git, accepted?: PushObjectStore, now?: () => number } & Pick<Edge, 'cwd' | 'env'>, args: VerifyArgs): Promise<VerifyReport> {
  return await runVerify({
    git: deps.git ?? new Git(deps.cwd ?? process.cwd(), deps.env),
    accepted: deps.accepted ?? PushObjectStore.forUser(),
    now: deps.now ?? (() => Math.floor(Date.now() / 1000))
  }, args)
}

async function networkOf (git: Git, flags: NetworkFlags = {}): Promise<NetworkOptions> {
  return resolveNetworkOptions(flags, await readMirrorConfig(git))
}
