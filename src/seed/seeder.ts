import { readFile, stat } from 'node:fs/promises'
import { EventEmitter } from 'node:events'
import { MirrorError } from '../core/errors.js'
import type { Store, StoredBundle } from '../io/store/store.js'
import type { Swarm } from '../io/torrent/swarm.js'
import { readTorrent } from '../io/torrent/torrent-file.js'
import type { PointerKeeper } from './pointer-keeper.js'

export interface TorrentStatus {
  name: string
  infoHash: string
  peers: number
  uploadRate: number
  uploaded: number
  peersServed: number
}

/**
 * Seeds store entries through a Swarm. A bundle whose size and mtime match
 * its meta.json is trusted as verified (no re-hash on restart); any other
 * is verified piece by piece first and seeded only if complete. Emits
 * 'verified' (entry) after such a check, and 'warning' for what the swarm
 * reports as recoverable. The swarm is its owner's to close.
 */
export class Seeder extends EventEmitter {
  readonly swarm: Swarm
  private readonly store: Store
  private readonly names = new Map<string, string>()

  private readonly keeper: PointerKeeper | null

  /** `keeper`: keeps the DHT pointers of what is seeded alive (when the swarm's DHT is on). */
  constructor (deps: { store: Store, swarm: Swarm, keeper?: PointerKeeper | null }) {
    super()
    this.store = deps.store
    this.swarm = deps.swarm
    this.keeper = deps.keeper ?? null
    this.swarm.on('warning', (err: Error) => this.emit('warning', err))
  }

  /** Starts seeding one entry; resolves once it is verified and announced. */
  async seed (entry: StoredBundle): Promise<void> {
    if (this.names.has(entry.meta.infoHash)) return
    const parsed = await readTorrent(await readFile(entry.torrentPath), entry.torrentPath)
    if (parsed.infoHash !== entry.meta.infoHash) {
      throw new MirrorError('STORE_CORRUPT', `${entry.torrentPath} does not match meta.json's infohash`, { dir: entry.dir })
    }
    const skipVerify = await this.store.isUnchanged(entry)
    const { progress } = await this.swarm.seed(parsed, { path: entry.dir, skipVerify })
    if (progress < 1) {
      throw new MirrorError('STORE_CORRUPT', `${entry.bundlePath} changed on disk and only ${Math.floor(progress * 100)}% of it verifies; not seeding it`, { dir: entry.dir })
    }
    if (!skipVerify) {
      const st = await stat(entry.bundlePath)   // verified: remember the file as it is now
      entry = await this.store.update(entry, { ...entry.meta, mtimeMs: st.mtimeMs })
      this.emit('verified', entry)
    }
    this.names.set(entry.meta.infoHash, entry.meta.file)
    // the pointer the publish made for exactly this torrent (a private one never has one)
    const pointer = entry.meta.pointer
    if (pointer !== null && pointer.infoHash === entry.meta.infoHash && parsed.private !== true) this.keeper?.keep(pointer)
  }

  /** Keeps the entry's DHT pointer alive, when it has one for its torrent (taken over after it was seeded: seed/adopt-pointer.ts). */
  keepPointer (entry: StoredBundle): void {
    const pointer = entry.meta.pointer
    if (pointer !== null && pointer.infoHash === entry.meta.infoHash && this.names.has(entry.meta.infoHash)) this.keeper?.keep(pointer)
  }

  /** Stops seeding an entry (a newer publish replaced it); its files stay. */
  async drop (entry: StoredBundle): Promise<void> {
    this.names.delete(entry.meta.infoHash)
    await this.swarm.unseed(entry.meta.infoHash)
  }

  status (): TorrentStatus[] {
    return this.swarm.status().filter(s => this.names.has(s.infoHash)).map(s => ({ name: this.names.get(s.infoHash)!, ...s }))
  }
}
