import type { PointerDht } from '../io/dht/pointer-dht.js'
import type { Git } from '../io/git/run-git.js'
import type { Store } from '../io/store/store.js'
import { Follower, type FollowOptions } from '../seed/follow.js'
import type { SeedRemoteResult } from '../seed/seed-remote.js'
import type { Seeder } from '../seed/seeder.js'
import type { Reporter } from './reporter.js'

/**
 * mirror-seed --follow: the origins it reseeds (`ready`) and the DHT pointers
 * of what it seeds are followed; what changes is told as it happens.
 */
export async function startFollowing (
  reporter: Reporter, deps: { git: Git, store: Store, seeder: Seeder, pointers: PointerDht | null, joined?: Promise<void> }, ready: SeedRemoteResult[], o: FollowOptions
): Promise<Follower> {
  const follower = new Follower(deps, o)
  follower.on('changed', (e: { what: string, infoHash: string, file: string }) => reporter.event({ event: 'changed', ...e },
    `${e.what}: a new publish, ${e.file} (${e.infoHash}), seeding it; the one it replaces is seeded ${Math.round(o.graceMs / 1000)} s more`))
  follower.on('dropped', (e: { file: string }) => reporter.event({ event: 'dropped', ...e }, `${e.file}: replaced, no longer seeded`))
  follower.on('warning', (err: Error) => reporter.event({ event: 'warning', message: err.message }, `warning: following: ${err.message}`))
  for (const r of ready) follower.followOrigin(r.url, r.entry, r.increments)
  const reseeded = new Set(ready.map(r => r.entry.dir))
  for (const entry of await deps.store.list()) {
    if (entry.meta.pointer !== null && entry.meta.pointer.infoHash === entry.meta.infoHash && (ready.length === 0 || reseeded.has(entry.dir))) follower.followPointer(entry)
  }
  reporter.info(`following ${ready.length} origin(s)${deps.pointers === null ? '' : ' and the DHT pointers of what is seeded'}, every ${Math.round(o.intervalMs / 1000)} s (new publishes are downloaded and seeded)`)
  return follower
}
