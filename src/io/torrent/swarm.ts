import { EventEmitter } from 'node:events'
import createDebug from 'debug'
import { MirrorError } from '../../core/errors.js'
import type { NetworkOptions } from '../../core/network-options.js'
import { addTorrent, announceFor, closeTorrentClient, createTorrentClient, type Torrent, type TorrentClient } from './client.js'
import { downloadTorrent, removeTorrent, type Downloaded, type DownloadOptions } from './download.js'
import type { MagnetSource, ParsedTorrent } from './torrent-file.js'
import { trackTransfers, type TransferStats } from './transfer-stats.js'

export type { Downloaded, DownloadOptions } from './download.js'

const debug = createDebug('mirror:swarm')

/** A BEP 5 DHT node its owner started (bittorrent-dht's Client): the swarm finds peers through it and never closes it. */
export interface SharedDht extends EventEmitter {
  destroy: (cb?: () => void) => void
}

export interface SwarmOptions {
  net: NetworkOptions
  /**
   * A DHT node to find peers with instead of one of the swarm's own (which
   * `net.dht` and `net.dhtBootstrap` configure): one node, one port, for
   * peers and for BEP 44 pointers alike. Its owner closes it.
   */
  dht?: SharedDht
  /**
   * Also meet WebRTC peers (browsers) through the WebSocket trackers
   * announced to, answering their offers (io/torrent/webrtc.ts). Off by
   * default: a node-datachannel connection per peer.
   */
  webrtc?: boolean
}

/** What one seeded torrent has done so far. */
export interface SeedStatus {
  infoHash: string
  peers: number
  uploadRate: number
  uploaded: number
  peersServed: number
}

interface Seeding { torrent: Torrent, stats: TransferStats }

/**
 * The one owner of the WebTorrent client: everything that meets the swarm
 * (a clone's download, a seeder's uploads) goes through it. The client is
 * made on first use, so a command that never meets the swarm never loads
 * webtorrent (0.26 s of a start-up). Emits 'warning' for what webtorrent
 * reports as recoverable; `close()` is idempotent and bounded.
 */
export class Swarm extends EventEmitter {
  readonly net: NetworkOptions
  private readonly dht: SharedDht | undefined
  private client: Promise<TorrentClient> | null = null
  private closing: Promise<void> | null = null
  private readonly seeding = new Map<string, Seeding>()
  readonly webrtc: boolean
  private extraTrackers: string[] = []

  constructor (o: SwarmOptions) {
    super()
    this.net = o.net
    this.dht = o.dht
    this.webrtc = o.webrtc === true
  }

  /**
   * Trackers every public torrent seeded from now on is also announced to
   * (mirror-daemon --webrtc: its own `ws://HOST:PORT/announce`, where the
   * browsers it serves its page to look for peers). A private torrent
   * (BEP 27) keeps to its own.
   */
  announceAlso (urls: string[]): void {
    this.extraTrackers = [...new Set([...this.extraTrackers, ...urls])]
  }

  /** Starts the client (and its listening socket) if it has not started yet. */
  async ready (): Promise<void> {
    await this.started()
  }

  /** The peer port it listens on, once ready. */
  async port (): Promise<number | null> {
    return (await this.started()).address()?.port ?? null
  }

  /** The peer id (hex) it gives in handshakes, once ready. */
  async peerId (): Promise<string> {
    return (await this.started()).peerId
  }

  /**
   * Downloads a torrent (or a magnet's) into `o.path`: resolves once every
   * piece verified, then the torrent leaves the client (its files stay). A
   * rerun resumes from the pieces on disk. Trackers are the user's when
   * configured, else the torrent's; a private torrent (BEP 27) keeps to its
   * own trackers, off the DHT, PEX and LSD (addTorrent).
   */
  async download (source: ParsedTorrent | MagnetSource, o: Omit<DownloadOptions, 'announce' | 'private'>): Promise<Downloaded> {
    const client = await this.started()
    const isPrivate = 'private' in source && source.private === true
    const done = await downloadTorrent(client, source, { ...o, announce: announceFor(this.net, { announce: source.announce, private: isPrivate }), private: isPrivate })
    await removeTorrent(client, done.torrent)
    return done
  }

  /**
   * Seeds a torrent whose data is in `path`. With `skipVerify` the data is
   * trusted as complete (the caller checked it, e.g. by size and mtime);
   * otherwise every piece is verified first. Resolves once it is ready, with
   * how much of it verified: anything short of complete is not seeded. A
   * private torrent (BEP 27) is announced to its own trackers only.
   */
  async seed (torrent: ParsedTorrent, o: { path: string, skipVerify: boolean }): Promise<{ progress: number }> {
    const client = await this.started()
    if (this.seeding.has(torrent.infoHash)) return { progress: 1 }
    const isPrivate = torrent.private === true
    const announce = isPrivate ? announceFor(this.net, torrent) : [...new Set([...announceFor(this.net, torrent), ...this.extraTrackers])]
    const added = addTorrent(client, { ...torrent, announce }, { path: o.path, skipVerify: o.skipVerify, private: isPrivate })
    const stats = trackTransfers(added)
    added.on('warning', (err: Error) => this.emit('warning', err))
    await new Promise<void>((resolve, reject) => {
      added.once('ready', () => resolve())
      added.once('error', (err: Error) => reject(new MirrorError('TORRENT_FAILED', `${torrent.name ?? torrent.infoHash}: ${err.message}`, { infoHash: torrent.infoHash })))
    })
    if (added.progress < 1) {
      const progress = added.progress
      await removeTorrent(client, added)
      return { progress }
    }
    this.seeding.set(torrent.infoHash, { torrent: added, stats })
    return { progress: 1 }
  }

  /** Stops seeding a torrent (its files stay); nothing when it is not seeded. */
  async unseed (infoHash: string): Promise<void> {
    const s = this.seeding.get(infoHash)
    if (s === undefined || this.client === null) return
    this.seeding.delete(infoHash)
    await removeTorrent(await this.client, s.torrent)
  }

  /** Every seeded torrent's figures, in the order they were added. */
  status (): SeedStatus[] {
    return [...this.seeding.entries()].map(([infoHash, { torrent, stats }]) => ({
      infoHash,
      peers: torrent.numPeers,
      uploadRate: torrent.uploadSpeed,
      uploaded: stats.uploaded,
      peersServed: stats.peersServed.size
    }))
  }

  /** Idempotent; resolves within a bounded time. The shared DHT, if any, stays open: its owner closes it. */
  async close (): Promise<void> {
    this.closing ??= (async () => {
      if (this.client === null) return
      const client = await this.client.catch(() => null)
      if (client === null) return
      if (this.dht !== undefined) (client as unknown as { dht: unknown }).dht = false   // webtorrent destroys its own DHT, not ours
      await closeTorrentClient(client)
    })()
    await this.closing
  }

  private async started (): Promise<TorrentClient> {
    if (this.closing !== null) throw new MirrorError('ABORTED', 'the torrent client is closing')
    this.client ??= (async () => {
      const client = await createTorrentClient(this.dht === undefined ? this.net : { ...this.net, dht: false }, { webrtc: this.webrtc })
      if (this.dht !== undefined) (client as unknown as { dht: unknown }).dht = this.dht   // torrents' discovery reads client.dht
      client.on('error', (err: Error) => {
        debug('client error: %s', err.message)
        this.emit('warning', new MirrorError('TORRENT_FAILED', `torrent client: ${err.message}`))
      })
      return client
    })()
    return await this.client
  }
}
