import { isMirrorError, MirrorError } from '../core/errors.js'
import type { OnProgress } from '../core/progress.js'
import type { Git } from '../io/git/run-git.js'
import type { Store } from '../io/store/store.js'
import { seedRemote, type SeedRemoteResult } from './seed-remote.js'
import type { PointerDht } from '../io/dht/pointer-dht.js'
import type { Seeder } from './seeder.js'

export interface StartSeedingArgs {
  /** Remotes whose published bundle is downloaded into the store and seeded; none: every bundle in the store. */
  urls: string[]
  maxSize: number
  stallTimeoutMs: number
  /** Public keys trusted for these remotes (--trust), besides git config's. */
  trust?: string[]
  project?: string
  signal?: AbortSignal
}

export interface StartSeedingDeps {
  git: Git
  store: Store
  seeder: Seeder
  /** The DHT's pointers: a reseeded signed bundle's pointer is taken over and kept alive (seed/adopt-pointer.ts). */
  pointers?: PointerDht | null
  onProgress?: (url: string, p: Parameters<OnProgress>[0]) => void
  /** A remote's bundle is in the store and seeding. */
  onReady?: (r: SeedRemoteResult) => void
  /** Something asked for cannot be seeded; the others go on. */
  onFailure?: (what: string, err: MirrorError) => void
}

/**
 * mirror-seed's start: every bundle of the store, or each remote's published
 * bundle (downloaded and checked first, all remotes at once), handed to the
 * seeder. Resolves once each is seeding or has failed, with the number of
 * failures; NO_RECORDS when the store has nothing and no remote is named.
 */
export async function startSeeding (deps: StartSeedingDeps, a: StartSeedingArgs): Promise<{ failures: number }> {
  let failures = 0
  const fail = (what: string, err: unknown): void => {
    if (!isMirrorError(err)) throw err
    failures++
    deps.onFailure?.(what, err)
  }
  if (a.urls.length === 0) {
    const entries = await deps.store.list()
    if (entries.length === 0) throw new MirrorError('NO_RECORDS', `nothing to seed in ${deps.store.root}: run mirror-publish first, or name remotes to reseed`)
    for (const entry of entries) await deps.seeder.seed(entry).catch(err => fail(entry.meta.file, err))
    return { failures }
  }
  const settled = await Promise.allSettled(a.urls.map(async url => await seedRemote(deps, url, {
    maxSize: a.maxSize,
    stallTimeoutMs: a.stallTimeoutMs,
    trust: a.trust ?? [],
    ...(a.project === undefined ? {} : { project: a.project }),
    ...(a.signal === undefined ? {} : { signal: a.signal }),
    ...(deps.onProgress === undefined ? {} : { onProgress: (p: Parameters<OnProgress>[0]) => deps.onProgress!(url, p) })
  })))
  settled.forEach((s, i) => s.status === 'fulfilled' ? deps.onReady?.(s.value) : fail(a.urls[i]!, s.reason))
  return { failures }
}
