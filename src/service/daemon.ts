import createDebug from 'debug'
import type { Message } from '../core/daemon-protocol.js'
import { isMirrorError } from '../core/errors.js'
import { RECORD_REFS, RECORDS_PREFIX, type RecordName } from '../core/refs.js'
import type { BundleListEntry } from '../core/bundle-list.js'
import { readBundleList } from '../io/git/read-bundle-list.js'
import type { DaemonAction } from '../io/git/daemon-config.js'
import type { PointerDht } from '../io/dht/pointer-dht.js'
import type { Git } from '../io/git/run-git.js'
import { canPollRecords, pollRecords } from '../io/http/poll-records.js'
import type { Store, StoredBundle } from '../io/store/store.js'
import { fetch } from '../fetch/fetch.js'
import { seedRemote } from '../seed/seed-remote.js'
import type { Seeder } from '../seed/seeder.js'

const debug = createDebug('mirror:daemon')

export interface DaemonOptions {
  /** Between two looks at one remote, jittered ±10%. */
  intervalMs: number
  /** Bounds one look (the listing) and stalls of a download. */
  timeoutMs: number
  maxSize: number
  /** What to do in this repository when a remote publishes anew, besides seeding it. */
  action: DaemonAction
  /** How long a bundle that left a remote's list (a collapse) is still seeded, for peers mid-download; default an hour. */
  graceMs?: number
  /** Every message, in order: the caller prints it (the stdio protocol, or a log). */
  onMessage: (m: Message) => void
  /** Each look at a remote that ended, answered or failed (a stopped one is not): what /metrics counts. */
  onLook?: (remote: string) => void
}

/** A watched remote's records (their bytes) and its bundle list's entries, when it publishes one that reads. */
export interface WatchedRecords {
  name: string
  url: string
  records: Partial<Record<RecordName, Buffer>>
  list: BundleListEntry[] | null
}

/** What the daemon knows of one watched remote (the status page's row). */
export interface RemoteStatus {
  name: string
  url: string
  /** When a look last ended, and how (ISO times; null: not yet). */
  lastCheck: string | null
  lastChange: string | null
  lastError: { at: string, message: string } | null
  /** The infohashes seeded for it: the list's base, then its increments. */
  bundles: string[]
  /** A look is running now. */
  checking: boolean
}

interface Watched extends Omit<RemoteStatus, 'bundles' | 'checking'> {
  /** The store entries seeded for it (the status's `bundles` are their infohashes). */
  entries: StoredBundle[]
  /** The listing whose bundles are seeded (and fetched), once they are: until then every look tries again. */
  done: string | null
  /** The records of the listing seeded last (their bytes), for the browser clone page; null before. */
  records: Partial<Record<RecordName, Buffer>> | null
  /** The records the last look saw (ref -> oid); null before the first. */
  seen: Map<string, string> | null
  timer: NodeJS.Timeout | null
  /** The look running now, if any: one at a time per remote. */
  running: Promise<void> | null
  /** Asked again (PUSH) while a look ran or while paused. */
  again: boolean
  stop: AbortController
}

/**
 * mirror-daemon's engine: each watched remote is looked at on its own timer
 * (a cheap listing of refs/mirrors/*: isomorphic-git for http(s), git
 * ls-remote otherwise), so that one slow or dead remote never delays
 * another. A changed listing is told (CHANGED with the refs), its bundles
 * (the list's base and increments) are downloaded into the store and
 * seeded, and with action `fetch` the remote is fetched into this
 * repository the way mirror-fetch does. Progress is STATUS, failures
 * ERROR; the daemon goes on. PAUSE stops every look and download until
 * RESUME (a PUSH meanwhile waits for it); RELOAD takes a new set of
 * remotes (those added are looked at at once, those gone are stopped).
 */
export class Daemon {
  private readonly watched = new Map<string, Watched>()
  private paused = false
  private closed = false
  /**
   * Downloads run one at a time: two remotes publishing the same bundles (a
   * fork and its upstream, one URL under two names) would otherwise add the
   * same torrent to the client twice. Looks stay independent.
   */
  private downloads: Promise<unknown> = Promise.resolve()
  private readonly drops = new Set<NodeJS.Timeout>()

  constructor (private readonly deps: { git: Git, store: Store, seeder: Seeder, pointers?: PointerDht | null }, private readonly o: DaemonOptions) {
    deps.seeder.on('verified', this.onVerified)
  }

  /** A stored bundle re-hashed before seeding (its size or mtime differ from meta.json): told, as mirror-seed tells it. */
  private readonly onVerified = (e: StoredBundle): void => {
    this.say({ kind: 'STATUS', remote: '-', text: `${e.meta.file}: changed on disk since it was last verified; every piece verifies` })
  }

  /** Watches exactly these remotes: new ones are looked at now, gone ones are stopped, changed URLs start afresh. */
  watch (remotes: Array<{ name: string, url: string }>): void {
    const wanted = new Map(remotes.map(r => [r.name, r.url]))
    for (const [name, w] of this.watched) {
      if (wanted.get(name) === w.url) continue
      this.unwatch(w)
      this.say({ kind: 'STATUS', remote: name, text: 'no longer watched' })
    }
    for (const [name, url] of wanted) {
      if (this.watched.has(name)) continue
      const w: Watched = { name, url, lastCheck: null, lastChange: null, lastError: null, entries: [], records: null, done: null, seen: null, timer: null, running: null, again: false, stop: new AbortController() }
      this.watched.set(name, w)
      this.look(w)
    }
  }

  /** The names watched now. */
  get remotes (): string[] {
    return [...this.watched.keys()]
  }

  /** Each watched remote as the daemon knows it now, and whether it is paused: what the status page and /status.json show. */
  status (): { paused: boolean, remotes: RemoteStatus[] } {
    return {
      paused: this.paused,
      remotes: [...this.watched.values()].map(w => ({ name: w.name, url: w.url, lastCheck: w.lastCheck, lastChange: w.lastChange, lastError: w.lastError, bundles: w.entries.map(e => e.meta.infoHash), checking: w.running !== null }))
    }
  }

  /**
   * The records of a watched remote, named by its name or URL, as read when
   * its bundles were last seeded, and its bundle list's entries (read with
   * git, as seeding read them): what the browser clone page reads instead
   * of the origin (a browser cannot fetch them from a git server). null
   * when it is not watched, or nothing of it was seeded yet.
   */
  async records (remote: string): Promise<WatchedRecords | null> {
    const w = this.watched.get(remote) ?? [...this.watched.values()].find(w => w.url === remote)
    if (w?.records == null) return null
    const blob = w.records.list
    const list = blob === undefined ? null : await readBundleList(this.deps.git, blob, `${RECORD_REFS.list} on ${w.url}`).then(l => l.entries, () => null)
    return { name: w.name, url: w.url, records: w.records, list }
  }

  pause (): void {
    if (this.paused) return
    this.paused = true
    for (const w of this.watched.values()) {
      // a look in flight is stopped: no more requests; what it downloaded so far stays to resume
      w.stop.abort()
      w.stop = new AbortController()
    }
    this.say({ kind: 'STATUS', remote: '-', text: 'paused: no network activity until RESUME' })
  }

  resume (): void {
    if (!this.paused) return
    this.paused = false
    this.say({ kind: 'STATUS', remote: '-', text: 'resumed' })
    for (const w of this.watched.values()) {
      if (w.again || w.seen === null) this.look(w)
      else this.schedule(w)
    }
  }

  /** PUSH <remote>: look at it now (once RESUMEd, when paused). */
  push (name: string): void {
    const w = this.watched.get(name)
    if (w === undefined) {
      this.say({ kind: 'ERROR', remote: name, text: `not a watched remote (watching: ${this.remotes.join(', ') || 'none'})` })
      return
    }
    if (this.paused) {
      w.again = true
      this.say({ kind: 'STATUS', remote: name, text: 'checked once RESUMEd' })
      return
    }
    this.look(w)
  }

  /** Stops every timer and look; resolves when the looks in flight have ended. */
  async close (): Promise<void> {
    this.closed = true
    for (const t of this.drops) clearTimeout(t)
    this.drops.clear()
    this.deps.seeder.off('verified', this.onVerified)
    const running = [...this.watched.values()].map(w => { this.unwatch(w); return w.running })
    await Promise.allSettled(running)
  }

  private unwatch (w: Watched): void {
    if (w.timer !== null) clearTimeout(w.timer)
    w.timer = null
    w.stop.abort()
    this.watched.delete(w.name)
  }

  private schedule (w: Watched): void {
    if (this.closed || this.paused || this.watched.get(w.name) !== w) return
    if (w.timer !== null) clearTimeout(w.timer)
    w.timer = setTimeout(() => { w.timer = null; this.look(w) }, this.o.intervalMs * (0.9 + Math.random() * 0.2))
    w.timer.unref()
  }

  /** One look at `w` now, unless one runs (then it runs again after) or the daemon is paused. */
  private look (w: Watched): void {
    if (this.closed || this.watched.get(w.name) !== w) return
    if (this.paused) { w.again = true; return }
    if (w.running !== null) { w.again = true; return }
    w.again = false
    if (w.timer !== null) clearTimeout(w.timer)
    w.timer = null
    w.running = this.round(w, w.stop.signal).finally(() => {
      w.running = null
      if (w.again) this.look(w)
      else this.schedule(w)
    })
  }

  private async round (w: Watched, signal: AbortSignal): Promise<void> {
    let listed = false
    try {
      const refs = await this.listing(w, signal)
      if (signal.aborted) return
      listed = true
      const first = w.seen === null
      const changed = first ? [] : changedRefs(w.seen!, refs)
      w.seen = refs
      w.lastCheck = new Date().toISOString()
      this.o.onLook?.(w.name)
      if (changed.length > 0) w.lastChange = w.lastCheck
      if (refs.size === 0) {
        if (first) this.say({ kind: 'STATUS', remote: w.name, text: `${w.url} publishes no records (refs/mirrors/*); looking again every ${Math.round(this.o.intervalMs / 1000)} s` })
        return
      }
      if (changed.length > 0) this.say({ kind: 'CHANGED', remote: w.name, refs: changed })
      // what the listing publishes is taken until it is: a download that failed is tried again at the next look
      const state = listingState(refs)
      if (w.done === state) return
      await this.seed(w, signal)
      // the first look fetches too: a publish made while the daemon was down is not missed
      if (this.o.action === 'fetch') await this.fetchInto(w, signal)
      w.done = state
    } catch (err) {
      if (signal.aborted || this.closed) return   // paused, reloaded away or closing: not a failure of the remote
      if (!isMirrorError(err)) throw err
      debug('%s: %s', w.name, err.message)
      w.lastCheck = new Date().toISOString()
      w.lastError = { at: w.lastCheck, message: err.message }
      if (!listed) this.o.onLook?.(w.name)
      this.say({ kind: 'ERROR', remote: w.name, text: err.message })
    }
  }

  /** refs/mirrors/* of the remote, ref -> oid. */
  private async listing (w: Watched, signal: AbortSignal): Promise<Map<string, string>> {
    if (canPollRecords(w.url)) return new Map((await pollRecords(w.url, { timeoutMs: this.o.timeoutMs, signal })).refs)
    const r = await this.deps.git.run(['ls-remote', '--', w.url, `${RECORDS_PREFIX}*`], { timeoutMs: this.o.timeoutMs, signal })
    const refs = new Map<string, string>()
    for (const line of r.stdout.split('\n')) {
      const [oid, name] = line.split('\t')
      if (oid !== undefined && name?.startsWith(RECORDS_PREFIX) === true) refs.set(name, oid)
    }
    return refs
  }

  private async seed (w: Watched, signal: AbortSignal): Promise<void> {
    this.say({ kind: 'STATUS', remote: w.name, text: 'downloading what it publishes' })
    const run = this.downloads.then(async () => await seedRemote(this.deps, w.url, { maxSize: this.o.maxSize, stallTimeoutMs: this.o.timeoutMs, signal }))
    this.downloads = run.catch(() => {})
    const r = await run
    const bundles = [r.entry, ...r.increments]
    const gone = w.entries.filter(e => !bundles.some(b => b.meta.infoHash === e.meta.infoHash))
    w.entries = bundles
    w.records = r.records
    for (const e of gone) this.dropLater(e)
    w.lastError = null
    this.say({ kind: 'STATUS', remote: w.name, text: `seeding ${bundles.length} bundle(s): ${bundles.map(e => e.meta.infoHash).join(' ')}` })
  }

  /** A bundle that left a remote's list: seeded `graceMs` more, then dropped, unless another watched remote still lists it. */
  private dropLater (e: StoredBundle): void {
    const timer = setTimeout(() => {
      this.drops.delete(timer)
      if ([...this.watched.values()].some(w => w.entries.some(x => x.meta.infoHash === e.meta.infoHash))) return
      this.deps.seeder.drop(e).then(() => this.say({ kind: 'STATUS', remote: '-', text: `no longer seeding ${e.meta.file}: it left every watched list` }), () => {})
    }, this.o.graceMs ?? 3600_000)
    timer.unref()
    this.drops.add(timer)
  }

  private async fetchInto (w: Watched, signal: AbortSignal): Promise<void> {
    const report = await fetch({ repo: this.deps.git, store: this.deps.store, swarm: this.deps.seeder.swarm }, {
      remote: w.name, prune: false, maxSize: this.o.maxSize, timeoutMs: this.o.timeoutMs, minBytesPerSecond: 0, signal
    })
    this.say({ kind: 'STATUS', remote: w.name, text: `fetched: ${report.method === 'increments' ? `${report.bundles.filter(b => b.outcome === 'used').length} increment(s) from the swarm` : `from ${report.url} alone (${report.reason ?? ''})`}` })
  }

  private say (m: Message): void {
    if (!this.closed || m.kind !== 'STATUS') this.o.onMessage(m)
  }
}

/** A listing as one string, to compare. */
function listingState (refs: ReadonlyMap<string, string>): string {
  return [...refs].map(([name, oid]) => `${oid} ${name}`).sort().join('\n')
}

/** The refs whose oid differs between two listings, added and removed ones included, sorted. */
export function changedRefs (before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  const names = new Set([...before.keys(), ...after.keys()])
  return [...names].filter(n => before.get(n) !== after.get(n)).sort()
}
