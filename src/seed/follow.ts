import { rm } from 'node:fs/promises'
import { EventEmitter } from 'node:events'
import { isMirrorError, MirrorError } from '../core/errors.js'
import { parsePublicKey } from '../core/public-key.js'
import type { PointerDht } from '../io/dht/pointer-dht.js'
import type { Git } from '../io/git/run-git.js'
import { canPollRecords, pollRecords } from '../io/http/poll-records.js'
import { PushObjectStore } from '../io/store/push-objects.js'
import type { Store, StoredBundle } from '../io/store/store.js'
import { discoverPointer } from '../source/discover-pointer.js'
import { storeDownload } from '../source/store-download.js'
import { seedRemote } from './seed-remote.js'
import type { Seeder } from './seeder.js'

export interface FollowOptions {
  /** Between two looks at one origin or pointer: jittered by ±10%. */
  intervalMs: number
  /** How long a replaced bundle is still seeded (peers mid-download finish), then dropped. */
  graceMs: number
  maxSize: number
  stallTimeoutMs: number
  trust?: string[]
  project?: string
  /** Delete a dropped bundle's files too (a reseeder's cache), not only stop seeding it (a publisher's store). */
  deleteDropped: boolean
  signal: AbortSignal
}

/**
 * mirror-seed --follow: picks up new publishes without a restart. Each
 * followed origin's records are looked at on a jittered timer (a cheap
 * anonymous protocol v2 listing of refs/mirrors/* for http(s), git
 * ls-remote otherwise); a change re-reads them, downloads and seeds the new
 * bundle as mirror-seed <url> does. Each followed pointer (a seeded entry's
 * key and project) is got from the DHT; a higher sequence is downloaded,
 * checked against that key, stored with its pointer (kept alive from then
 * on) and seeded. A replaced bundle is seeded for `graceMs` more, then
 * dropped. One slow origin never delays the others. Emits 'changed'
 * ({ what, infoHash, file }), 'dropped' ({ file }) and 'warning' (Error).
 */
export class Follower extends EventEmitter {
  private readonly timers = new Set<NodeJS.Timeout>()
  private closed = false

  /** `deps.joined`: the DHT node has joined (pointers are looked at once it has). */
  constructor (private readonly deps: { git: Git, store: Store, seeder: Seeder, pointers: PointerDht | null, joined?: Promise<void> }, private readonly o: FollowOptions) {
    super()
    o.signal.addEventListener('abort', () => this.close(), { once: true })
  }

  /** Follows an origin whose bundle `current` (and the increments of its list, `increments`) is seeded. */
  followOrigin (url: string, current: StoredBundle, increments: StoredBundle[] = []): void {
    let seen: string | null = null
    let seeded = [current, ...increments]
    this.every(async () => {
      const state = canPollRecords(url)
        ? (await pollRecords(url, { timeoutMs: this.o.stallTimeoutMs, signal: this.o.signal })).state
        : (await this.deps.git.run(['ls-remote', '--', url, 'refs/mirrors/*'], { timeoutMs: this.o.stallTimeoutMs, signal: this.o.signal })).stdout
      if (seen === null || state === seen) { seen = state; return }
      seen = state
      const r = await seedRemote(this.deps, url, { maxSize: this.o.maxSize, stallTimeoutMs: this.o.stallTimeoutMs, trust: this.o.trust ?? [], ...(this.o.project === undefined ? {} : { project: this.o.project }), signal: this.o.signal })
      // the base and the increments of its list: a new increment, or a new base (a collapse) whose predecessors go
      const now = [r.entry, ...r.increments]
      const has = (list: StoredBundle[], e: StoredBundle): boolean => list.some(x => x.meta.infoHash === e.meta.infoHash)
      if (now.every(e => has(seeded, e))) return
      this.replaced(seeded.filter(e => !has(now, e)), now.at(-1)!, url)
      seeded = now
    })
  }

  /** Follows the pointer `current` was published with: a higher sequence on the DHT is the next publish. */
  followPointer (current: StoredBundle): void {
    const pointers = this.deps.pointers
    const stored = current.meta.pointer
    if (pointers === null || stored === null) return
    const name = { key: parsePublicKey(stored.key, 'a stored pointer\'s key'), project: stored.project }
    let entry = current
    let seq = stored.seq
    const joined = (this.deps.joined ?? Promise.resolve()).catch(() => {})
    this.every(async () => {
      await joined
      const found = await discoverPointer({ ...this.deps, swarm: this.deps.seeder.swarm, pointers, accepted: PushObjectStore.forUser(), now: () => Math.floor(Date.now() / 1000) }, name, {
        maxSize: this.o.maxSize, stallTimeoutMs: this.o.stallTimeoutMs, dhtTimeoutMs: this.o.stallTimeoutMs, origin: null, minSeq: seq + 1, signal: this.o.signal
      }).catch((err: unknown) => {
        if (isMirrorError(err, 'REMOTE_UNREACHABLE')) return null   // no node has it right now: the next round asks again
        throw err
      })
      if (found === null || found.unchanged) return
      const kept = await storeDownload(this.deps.store, found.bundle, found.verified)
      if (kept === null) throw new MirrorError('STORE_CORRUPT', 'a pointer\'s bundle came without its torrent')
      const next = await this.deps.store.update(kept, { ...kept.meta, pointer: { key: stored.key, project: stored.project, seq: found.item.seq, infoHash: found.item.infoHash, sig: found.item.sig } })
      await this.deps.seeder.seed(next)
      seq = found.item.seq
      this.replaced([entry], next, `the DHT pointer of ${stored.project}`)
      entry = next
    })
  }

  close (): void {
    this.closed = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }

  /** `next` is the newest bundle seeded now; `gone` left what is published, and is dropped after the grace. */
  private replaced (gone: StoredBundle[], next: StoredBundle, what: string): void {
    this.emit('changed', { what, infoHash: next.meta.infoHash, file: next.meta.file })
    for (const old of gone) this.dropLater(old)
  }

  private dropLater (old: StoredBundle): void {
    this.later(this.o.graceMs, async () => {
      await this.deps.seeder.drop(old)
      if (this.o.deleteDropped) await rm(old.dir, { recursive: true, force: true })
      this.emit('dropped', { file: old.meta.file })
    })
  }

  /** `round` at once, then every interval ±10%; a failure is a warning and the next round tries again. */
  private every (round: () => Promise<void>): void {
    const next = (): void => {
      this.later(this.o.intervalMs * (0.9 + Math.random() * 0.2), async () => {
        await round().catch((err: unknown) => { if (!this.closed) this.emit('warning', err) })
        next()
      })
    }
    this.later(0, async () => { await round().catch((err: unknown) => { if (!this.closed) this.emit('warning', err) }); next() })
  }

  private later (ms: number, fn: () => Promise<void>): void {
    if (this.closed) return
    const t = setTimeout(() => { this.timers.delete(t); void fn().catch((err: unknown) => this.emit('warning', err)) }, ms)
    this.timers.add(t)
  }
}
