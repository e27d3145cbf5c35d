import { readFile, stat } from 'node:fs/promises'
import { EventEmitter } from 'node:events'
import type { Torrent } from 'webtorrent'
import { MirrorError } from '../core/errors.js'
import type { NetworkOptions } from '../core/network-options.js'
import type { Store, StoredBundle } from '../io/store/store.js'
import { announceFor, closeTorrentClient, createTorrentClient, type TorrentClient } from '../io/torrent/client.js'
import { readTorrent } from '../io/torrent/torrent-file.js'
import { trackTransfers, type TransferStats } from '../io/torrent/transfer-stats.js'

export interface TorrentStatus {
  name: string
  infoHash: string
  peers: number
  uploadRate: number
  uploaded: number
  peersServed: number
}

interface Seeding { entry: StoredBundle, torrent: Torrent, stats: TransferStats }

/**
 * Seeds store entries. A bundle whose size and mtime match its meta.json is
 * trusted as verified (no re-hash on restart); any other is verified piece by
 * piece first and seeded only if complete. Emits 'verified' (entry) after such
 * a check, and 'warning' for what webtorrent reports as recoverable.
 */
export class Seeder extends EventEmitter {
  readonly client: TorrentClient
  private readonly store: Store
  private readonly net: NetworkOptions
  private readonly seeding = new Map<string, Seeding>()
  private closing: Promise<void> | null = null

  /** A seeder with a torrent client of its own, configured by `net`. */
  static async open (deps: { store: Store, net: NetworkOptions }): Promise<Seeder> {
    return new Seeder({ ...deps, client: await createTorrentClient(deps.net) })
  }

  constructor (deps: { store: Store, net: NetworkOptions, client: TorrentClient }) {
    super()
    this.store = deps.store
    this.net = deps.net
    this.client = deps.client
    this.client.on('error', (err: Error) => this.emit('warning', new MirrorError('TORRENT_FAILED', `torrent client: ${err.message}`)))
  }

  /** Starts seeding one entry; resolves once it is verified and announced. */
  async seed (entry: StoredBundle): Promise<void> {
    if (this.closing !== null) throw new MirrorError('ABORTED', 'the seeder is closing')
    if (this.seeding.has(entry.meta.infoHash)) return
    const parsed = await readTorrent(await readFile(entry.torrentPath), entry.torrentPath)
    if (parsed.infoHash !== entry.meta.infoHash) {
      throw new MirrorError('STORE_CORRUPT', `${entry.torrentPath} does not match meta.json's infohash`, { dir: entry.dir })
    }
    const skipVerify = await this.store.isUnchanged(entry)
    const torrent = this.client.add({ ...parsed, announce: announceFor(this.net, parsed.announce) }, { path: entry.dir, skipVerify })
    const stats = trackTransfers(torrent)
    torrent.on('warning', (err: Error) => this.emit('warning', err))
    await new Promise<void>((resolve, reject) => {
      torrent.once('ready', () => resolve())
      torrent.once('error', (err: Error) => reject(new MirrorError('TORRENT_FAILED', `${entry.meta.file}: ${err.message}`)))
    })
    if (!skipVerify) {
      if (torrent.progress < 1) {
        const pct = Math.floor(torrent.progress * 100)
        torrent.destroy({ destroyStore: false })
        throw new MirrorError('STORE_CORRUPT', `${entry.bundlePath} changed on disk and only ${pct}% of it verifies; not seeding it`, { dir: entry.dir })
      }
      const st = await stat(entry.bundlePath)   // verified: remember the file as it is now
      entry = await this.store.update(entry, { ...entry.meta, mtimeMs: st.mtimeMs })
      this.emit('verified', entry)
    }
    this.seeding.set(entry.meta.infoHash, { entry, torrent, stats })
  }

  status (): TorrentStatus[] {
    return [...this.seeding.values()].map(({ entry, torrent, stats }) => ({
      name: entry.meta.file,
      infoHash: entry.meta.infoHash,
      peers: torrent.numPeers,
      uploadRate: torrent.uploadSpeed,
      uploaded: stats.uploaded,
      peersServed: stats.peersServed.size
    }))
  }

  /** Idempotent; resolves within a bounded time. */
  async close (): Promise<void> {
    this.closing ??= closeTorrentClient(this.client)
    await this.closing
  }
}
