import WebTorrent, { type BrowserTorrent, type BrowserWire } from 'webtorrent/dist/webtorrent.min.js'
import { MirrorError } from '../core/errors.js'

export interface BrowserDownload {
  /** The files asked for (`read`), by their path in the torrent. */
  files: Map<string, Uint8Array>
  fromPeers: number
  fromWebSeeds: number
  peers: number
}

export interface BrowserDownloadOptions {
  /** The torrent as webtorrent takes it (read-records.ts torrentFor): its trackers and web seeds are the page's choice. */
  torrent: Uint8Array
  infoHash: string
  /** The files to read into memory once complete, by path in the torrent (the bundle, its push object; not a pack index the page has no use for). */
  read: string[]
  /** Meet WebRTC peers through the torrent's WebSocket trackers. */
  peers: boolean
  /** A download that gets no byte for this long fails (DOWNLOAD_STALLED). */
  stallMs: number
  signal: AbortSignal
  onProgress: (loaded: number, total: number) => void
}

/**
 * Downloads a torrent in the page with webtorrent's browser build: WebRTC
 * peers found through WebSocket trackers, and web seeds (BEP 19, HTTP
 * Range; cross-origin ones only where they allow it with CORS). Every
 * piece is checked against the torrent's SHA-1 piece table as it arrives.
 * The pieces are kept in webtorrent's browser store, removed when the
 * download ends; the files in `read` are read into memory once complete. Fails with
 * DOWNLOAD_STALLED when nothing arrives for `stallMs`, ABORTED on `signal`.
 */
export async function downloadInBrowser (o: BrowserDownloadOptions): Promise<BrowserDownload> {
  const client = new WebTorrent({ dht: false, lsd: false, utp: false, natUpnp: false, natPmp: false, tracker: o.peers ? {} : false })
  const wires = new Set<BrowserWire>()
  try {
    const torrent = await new Promise<BrowserTorrent>((resolve, reject) => {
      client.on('error', (err: Error) => reject(new MirrorError('TORRENT_FAILED', `the torrent client: ${err.message}`)))
      const t = client.add(o.torrent, { destroyStoreOnDestroy: true })
      t.on('error', (err: Error) => reject(new MirrorError('TORRENT_FAILED', `torrent ${o.infoHash}: ${err.message}`)))
      t.on('wire', (w: BrowserWire) => wires.add(w))
      let last = 0
      let lastAt = Date.now()
      const timer = setInterval(() => {
        if (t.downloaded > last) { last = t.downloaded; lastAt = Date.now() }
        o.onProgress(t.downloaded, t.length)
        if (Date.now() - lastAt > o.stallMs) finish(new MirrorError('DOWNLOAD_STALLED', `no peer or web seed sent anything for ${Math.round(o.stallMs / 1000)} s (${t.wires.length} connected)`))
      }, 250)
      const onAbort = (): void => finish(new MirrorError('ABORTED', 'the clone was stopped'))
      o.signal.addEventListener('abort', onAbort)
      const finish = (err: Error | null): void => {
        clearInterval(timer)
        o.signal.removeEventListener('abort', onAbort)
        if (err === null) resolve(t)
        else reject(err)
      }
      t.once('done', () => { o.onProgress(t.length, t.length); finish(null) })
    })
    const files = new Map<string, Uint8Array>()
    for (const f of torrent.files) if (o.read.includes(f.path)) files.set(f.path, new Uint8Array(await f.arrayBuffer()))
    const sum = (type: (t: string) => boolean): number => [...wires].filter(w => type(w.type)).reduce((n, w) => n + w.downloaded, 0)
    return {
      files,
      fromPeers: sum(t => t !== 'webSeed'),
      fromWebSeeds: sum(t => t === 'webSeed'),
      peers: [...wires].filter(w => w.type !== 'webSeed').length
    }
  } finally {
    await new Promise<void>(resolve => client.destroy(() => resolve()))
  }
}
