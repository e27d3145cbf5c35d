import { EventEmitter } from 'node:events'
import type { StoredPointer } from '../core/bundle-meta.js'
import { parsePublicKey } from '../core/public-key.js'
import type { PointerDht } from '../io/dht/pointer-dht.js'

/** BEP 44 items live about two hours on a node: re-put well before, every hour, give or take `JITTER`. */
export const KEEP_ALIVE_MS = 60 * 60 * 1000
const JITTER = 0.1

/**
 * Keeps the DHT pointers of what is seeded alive: each is re-put at once
 * and then about hourly (jittered, so many seeders of one project do not
 * put in step), with the signature stored when it was published: a CI
 * reseeder needs no private key. Emits 'put' ({ project, seq, nodes }) and
 * 'warning' (Error) for a put that failed; the next round tries again.
 * `close()` stops the timers; it never closes the DHT (its owner does).
 */
export class PointerKeeper extends EventEmitter {
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private readonly kept = new Set<string>()
  private closed = false

  private readonly ready: Promise<void>
  private readonly intervalMs: number

  /** `ready`: the DHT node has joined (its bootstrap); the first puts wait for it, or go ahead when it failed. */
  constructor (private readonly dht: PointerDht, o: { intervalMs?: number, ready?: Promise<void> } = {}) {
    super()
    this.intervalMs = o.intervalMs ?? KEEP_ALIVE_MS
    this.ready = (o.ready ?? Promise.resolve()).catch(() => {})
  }

  /** Starts keeping `p` alive (once per key, project and seq). */
  keep (p: StoredPointer): void {
    const id = `${p.key} ${p.project} ${p.seq}`
    if (this.closed || this.kept.has(id)) return
    this.kept.add(id)
    const name = { key: parsePublicKey(p.key, 'a stored pointer\'s key'), project: p.project }
    const round = async (): Promise<void> => {
      try {
        const nodes = await this.dht.put(name, { infoHash: p.infoHash, seq: p.seq, sig: p.sig })
        this.emit('put', { project: p.project, seq: p.seq, nodes })
      } catch (err) {
        this.emit('warning', err)
      }
      if (this.closed) return
      const next = this.intervalMs * (1 - JITTER + Math.random() * 2 * JITTER)
      this.timers.set(id, setTimeout(() => { void round() }, next).unref())
    }
    void this.ready.then(() => { if (!this.closed) this.timers.set(id, setTimeout(() => { void round() }, 0).unref()) })
  }

  close (): void {
    this.closed = true
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
  }
}
