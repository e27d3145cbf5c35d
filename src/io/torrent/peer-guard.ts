import createDebug from 'debug'
import type { EventEmitter } from 'node:events'
import type { Torrent, TorrentClient } from './client.js'
import { Strikes, webSeedBackoffMs, webSeedPatienceMs, webSeedsToReclaim, type PendingRequest } from '../../core/peer-policy.js'

const debug = createDebug('mirror:peer-guard')

/**
 * The peers' IP addresses banned for sending bad pieces, for the whole
 * client: webtorrent consults `client.blocked.contains(ip)` before it
 * connects to a peer (the interface of the ip-set its `blocklist` option
 * loads); incoming wires from a banned address are closed by the guard.
 */
export class PeerBans {
  private readonly ips = new Set<string>()
  contains (ip: string): boolean { return this.ips.has(canonicalIp(ip)) }
  add (ip: string): void { this.ips.add(canonicalIp(ip)) }
  get size (): number { return this.ips.size }
}

/** An IPv4 peer reads as ::ffff:a.b.c.d on a dual-stack socket (incoming) and a.b.c.d otherwise: one address. */
export function canonicalIp (ip: string): string {
  return ip.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1')
}

/** Installs a client's ban list (once) and returns it. */
export function peerBansOf (client: TorrentClient): PeerBans {
  const c = client as unknown as { blocked?: unknown }
  if (!(c.blocked instanceof PeerBans)) c.blocked = new PeerBans()
  return c.blocked as PeerBans
}

/**
 * webtorrent 2.8.5 (pinned) says a piece failed its hash only in this
 * warning; the lying-peer tests of test/e2e/clone-hostile-peers.test.ts
 * fail if that changes.
 */
const FAILED_PIECE = /^Piece (\d+) failed verification$/

/** The parts of webtorrent 2.8.5's wire (bittorrent-protocol) the guard uses, beyond its typings. */
interface Wire extends EventEmitter {
  type: 'webrtc' | 'tcpIncoming' | 'tcpOutgoing' | 'utpIncoming' | 'utpOutgoing' | 'webSeed'
  remoteAddress?: string
  destroyed: boolean
  peerChoking: boolean
  requests: Array<{ piece: number }>
  peerPieces: { get: (index: number) => boolean }
  destroy: () => void
}

/** And of its torrent. */
interface GuardedTorrent extends EventEmitter {
  client: { torrents: GuardedTorrent[] }
  _peers: Map<string, { wire?: unknown }>
  wires: Wire[]
  pieceLength: number
  ready: boolean
  done: boolean
  destroyed: boolean
  removePeer: (id: string) => void
  addWebSeed: (url: string) => void
}

export interface PeerGuardOptions {
  /** No web seed request waits longer than this (the download's stall window). */
  limitMs: number
  /** A line for the user: a source banned, a web seed not answering. */
  onNotice?: ((line: string) => void) | undefined
}

export interface PeerGuard {
  /** Looks at the web seeds' requests; call it every half second or so. */
  tick (): void
  stop (): void
}

/**
 * Watches a downloading torrent's wires for the two ways a source wastes
 * it, which webtorrent leaves alone:
 * - a peer or web seed whose pieces fail verification: every failed piece
 *   strikes the sources that sent its blocks (core/peer-policy.ts), and a
 *   banned peer's address is closed and never dialled again by this client;
 *   a banned web seed leaves the torrent;
 * - a web seed that holds pieces and does not answer: its requests are
 *   taken back when a connected source that has the piece sits idle (or
 *   at `limitMs`), and it is asked again after a growing pause.
 */
export function guardPeers (webtorrent: Torrent, o: PeerGuardOptions): PeerGuard {
  const torrent = webtorrent as unknown as GuardedTorrent
  const client = torrent.client
  const bans = peerBansOf(client as unknown as TorrentClient)
  const strikes = new Strikes()
  /** who sent blocks of each piece not yet verified */
  const senders = new Map<number, Set<string>>()
  /** a web seed wire's URL */
  const seedOf = new WeakMap<Wire, string>()
  const firstSeen = new WeakMap<object, number>()
  const reclaims = new Map<string, number>()
  const timers = new Set<NodeJS.Timeout>()
  const bannedSeeds = new Set<string>()
  let stopped = false

  const sourceOf = (wire: Wire): string | undefined => wire.type === 'webSeed' ? seedOf.get(wire) : wire.remoteAddress === undefined ? undefined : canonicalIp(wire.remoteAddress)

  const onWire = (wire: Wire): void => {
    if (wire.type === 'webSeed') {
      for (const [id, peer] of torrent._peers) if (peer.wire === wire) seedOf.set(wire, id)
    } else if (wire.remoteAddress !== undefined && bans.contains(wire.remoteAddress)) {
      debug('closing a wire from banned %s', wire.remoteAddress)
      wire.destroy()
      return
    }
    wire.on('piece', (index: number) => {
      const who = sourceOf(wire)
      if (who === undefined) return
      let set = senders.get(index)
      if (set === undefined) senders.set(index, set = new Set())
      set.add(who)
    })
  }
  const onVerified = (index: number): void => { senders.delete(index) }
  const onWarning = (err: Error): void => {
    const m = FAILED_PIECE.exec(err.message)
    if (m === null) return
    const index = Number(m[1])
    const who = senders.get(index) ?? new Set<string>()
    senders.delete(index)
    for (const source of strikes.failedPiece(who)) ban(source)
  }

  function ban (source: string): void {
    if (/^https?:\/\//.test(source)) {
      bannedSeeds.add(source)
      torrent.removePeer(source)
      o.onNotice?.(`not using web seed ${source} any more: it sent data that failed verification`)
      return
    }
    bans.add(source)
    for (const t of client.torrents) {
      for (const wire of [...t.wires]) if (wire.type !== 'webSeed' && wire.remoteAddress !== undefined && canonicalIp(wire.remoteAddress) === source) wire.destroy()
    }
    o.onNotice?.(`banned peer ${source}: it sent data that failed verification`)
  }

  function reclaim (url: string): void {
    const n = (reclaims.get(url) ?? 0) + 1
    reclaims.set(url, n)
    const wait = webSeedBackoffMs(n)
    debug('taking back web seed %s requests (%d), asking it again in %d ms', url, n, wait)
    if (n === 1) o.onNotice?.(`web seed ${url} is not answering; asking other sources, and it again in ${Math.round(wait / 1000)} s`)
    torrent.removePeer(url)   // its wire closes: webtorrent frees what it had reserved
    const timer = setTimeout(() => {
      timers.delete(timer)
      if (stopped || torrent.destroyed || torrent.done || bannedSeeds.has(url)) return
      torrent.addWebSeed(url)
    }, wait)
    timer.unref()
    timers.add(timer)
  }

  torrent.on('wire', onWire)
  torrent.on('verified', onVerified)
  torrent.on('warning', onWarning)

  return {
    tick () {
      if (stopped || torrent.destroyed || !torrent.ready || torrent.done) return
      const t = Date.now()
      const pending: PendingRequest[] = []
      for (const wire of torrent.wires) {
        const seed = wire.type === 'webSeed' ? seedOf.get(wire) : undefined
        if (seed === undefined) continue
        for (const r of wire.requests) {
          let since = firstSeen.get(r)
          if (since === undefined) firstSeen.set(r, since = t)
          pending.push({ seed, piece: r.piece, ageMs: t - since })
        }
      }
      if (pending.length === 0) return
      const idleFor = (piece: number): boolean => torrent.wires.some(w =>
        !w.destroyed && !w.peerChoking && w.requests.length === 0 && w.peerPieces.get(piece))
      const limits = { patienceMs: webSeedPatienceMs(torrent.pieceLength), limitMs: o.limitMs }
      for (const url of webSeedsToReclaim(pending, idleFor, limits)) reclaim(url)
    },
    stop () {
      stopped = true
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      torrent.removeListener('wire', onWire)
      torrent.removeListener('verified', onVerified)
      torrent.removeListener('warning', onWarning)
    }
  }
}
