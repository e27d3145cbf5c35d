import type { OnProgress } from '../../core/progress.js'
import type { Git } from './run-git.js'

/**
 * Drops from a repository every object no ref, reflog or index reaches: a
 * repack of everything reachable into one pack (deltas and compressed data
 * reused, so it costs about a copy of the pack) replacing the old packs,
 * then a prune of unreachable loose objects. For a clone whose staged refs
 * were discarded (a bundle or mirror the origin disagreed with): their
 * objects came in with the pack and would otherwise stay, unreachable, in
 * the user's repository (2 MB, 1,085 objects in a probe) until a gc.
 */
export async function dropUnreachable (repo: Git, o: { onProgress?: OnProgress | undefined, signal?: AbortSignal | undefined } = {}): Promise<void> {
  o.onProgress?.({ phase: 'repack', detail: 'dropping the objects only discarded refs reached' })
  const stop = o.signal === undefined ? {} : { signal: o.signal }
  await repo.run(['repack', '-a', '-d', '-q', '--no-write-bitmap-index'], stop)
  await repo.run(['prune', '--expire=now'], stop)
}
