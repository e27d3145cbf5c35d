import createDebug from 'debug'
import { checkPointerItem, pointerTarget, pointerValue, type PointerItem, type PointerName } from '../../core/pointer.js'
import { MirrorError } from '../../core/errors.js'
import { publicKeyFromRaw, verifySignature } from '../../core/public-key.js'

const debug = createDebug('mirror:dht')

/** The part of bittorrent-dht's (untyped) Client that pointers use. */
export interface DhtClient {
  get: (target: Buffer, opts: { salt: Buffer, cache: boolean }, cb: (err: Error | null, item: Record<string, unknown> | null) => void) => void
  put: (item: Record<string, unknown>, cb: (err: Error | null, target: Buffer, nodes: number) => void) => void
  destroy: (cb?: () => void) => void
  destroyed?: boolean
}

/**
 * BEP 44's verify, as bittorrent-dht calls it (signature, message, public
 * key): synchronous and a boolean. An async verify returns a Promise,
 * which is truthy: every signature would pass.
 */
export function ed25519Verify (sig: Uint8Array, message: Uint8Array, key: Uint8Array): boolean {
  try {
    return key.length === 32 && verifySignature(publicKeyFromRaw(key), message, sig)
  } catch {
    return false
  }
}

/** The DHT options of a node that stores and checks pointers: the bootstrap list (never the public routers by accident) and the verify above. */
export function dhtNodeOptions (bootstrap: string[] | null): Record<string, unknown> {
  return { verify: ed25519Verify, ...(bootstrap === null ? {} : { bootstrap }) }
}

/** Default bound of one get or put: a DHT that answers nothing must not hang a command (GitTorrent's hangs). */
export const DHT_TIMEOUT_MS = 20_000

/**
 * Pointers over one DHT node (the torrent client's, so peers and pointers
 * share a node and a port, or one of its own for a publish that does not
 * seed). Every call is bounded; `get` returns the highest valid seq the
 * traversal met (bittorrent-dht keeps the highest it verified), checked
 * again here against exactly the key and project asked.
 */
export class PointerDht {
  constructor (private readonly dht: DhtClient) {}

  /** The item, or null when no node has it within `timeoutMs`; BAD_RECORD when what came back is not a pointer. */
  async get (name: PointerName, o: { timeoutMs?: number } = {}): Promise<PointerItem | null> {
    const salt = Buffer.from(name.project, 'utf8')
    const got = await bounded<Record<string, unknown> | null>(o.timeoutMs, `the DHT pointer for ${name.project}`, cb => this.dht.get(pointerTarget(name), { salt, cache: false }, cb))
    if (got === null || got === undefined) return null
    debug('got %s seq %s', name.project, String(got.seq))
    return checkPointerItem({ ...got, salt }, name, `the DHT pointer for ${name.project}`)
  }

  /**
   * Puts the item: signed now (`sign`, the publisher's key) or re-put with
   * its stored signature (a seeder keeping it alive). Resolves with how
   * many nodes took it; 0 when every node that answered holds this seq or
   * a higher one already (bittorrent-dht answers an equal seq with 302
   * rather than refreshing it, as BEP 44 would). Rejects (TORRENT_FAILED)
   * when no node answered in time, or every one refused it (a forged
   * signature is refused silently, so that looks the same).
   */
  async put (name: PointerName, item: { infoHash: string, seq: number } & ({ sign: (message: Buffer) => Buffer } | { sig: string }), o: { timeoutMs?: number } = {}): Promise<number> {
    const opts: Record<string, unknown> = {
      k: name.key.raw,
      salt: Buffer.from(name.project, 'utf8'),
      seq: item.seq,
      v: pointerValue(item.infoHash),
      ...('sign' in item ? { sign: item.sign } : { sig: Buffer.from(item.sig, 'hex') })
    }
    const what = `putting the DHT pointer for ${name.project}`
    const nodes = await bounded<number>(o.timeoutMs, what, cb => this.dht.put(opts, (err, _target, n) => {
      if (err !== null && (err as Error & { code?: number }).code === 302) cb(null, 0)   // held there already, at this seq or newer
      else if (err !== null && /All queries failed|No nodes to query/.test(err.message)) cb(new Error('no DHT node took it'), 0)
      else cb(err, n)
    }))
    debug('put %s seq %d on %d nodes', name.project, item.seq, nodes)
    return nodes
  }
}

async function bounded<T> (timeoutMs: number | undefined, what: string, start: (cb: (err: Error | null, value: T) => void) => void): Promise<T> {
  const ms = timeoutMs ?? DHT_TIMEOUT_MS
  return await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new MirrorError('DOWNLOAD_STALLED', `${what}: no answer from the DHT within ${Math.round(ms / 1000)} s`)), ms)
    start((err, value) => {
      clearTimeout(timer)
      if (err !== null) reject(new MirrorError('TORRENT_FAILED', `${what}: ${err.message}`))
      else resolve(value)
    })
  })
}
