import createDebug from 'debug'
import type { Torrent } from 'webtorrent'
import { localFailure, MirrorError } from '../../core/errors.js'
import { formatBytes, formatRate } from '../../core/format.js'
import { RateWatch } from '../../core/rate-watch.js'
import type { OnProgress } from '../../core/progress.js'
import { addTorrent, type TorrentClient } from './client.js'
import type { MagnetSource, ParsedTorrent } from './torrent-file.js'
import { readInOrder } from './read-in-order.js'
import { windowRarest, WINDOWED_STRATEGY } from './piece-window.js'
import { guardPeers } from './peer-guard.js'
import { trackTransfers, type TransferStats } from './transfer-stats.js'

const debug = createDebug('mirror:download')

export interface DownloadOptions {
  /** Directory the torrent's file is written into (kept on failure: a rerun resumes). */
  path: string
  announce: string[]
  /**
   * BEP 27: the torrent is private (a .torrent whose info says so; a
   * magnet's flag is unknown until its metadata came): found through
   * `announce` only, never the DHT, PEX or LSD.
   */
  private?: boolean
  /**
   * Give up when no byte arrives for this long (web seeds count), counted
   * from the start too: a magnet whose metadata never comes stalls as well.
   */
  stallTimeoutMs: number
  /**
   * A trickle is a stall: over every window of `stallTimeoutMs` the
   * download must average at least this rate (core/rate-watch.ts); 0 means
   * any byte will do.
   */
  minBytesPerSecond?: number
  /**
   * For a magnet: called with the info dictionary when it arrives from the
   * swarm, before anything is written; throwing rejects the download.
   */
  checkMetadata?: (info: unknown) => void
  /**
   * Called once the torrent is ready (metadata checked, pieces on disk
   * verified) with a reader of any of its files' bytes in order as pieces
   * verify: a consumer can start before the download ends.
   */
  onReady?: (read: (filePath: string, signal: AbortSignal) => AsyncGenerator<Buffer>) => void
  signal?: AbortSignal
  onProgress?: OnProgress
  /** The caller's tally of bytes by source, kept up to date as data arrives (also when the download fails). */
  stats?: TransferStats
  /** A line for the user: a peer banned, a web seed not answering. */
  onNotice?: (line: string) => void
}

export interface Downloaded {
  torrent: Torrent
  stats: TransferStats
  /** The .torrent bytes (for a magnet: as the swarm sent its metadata). */
  torrentFile: Buffer
}

/**
 * Downloads a torrent (or a magnet's) into `o.path` and resolves once every
 * piece verified. Pieces already on disk are verified and kept, so an
 * interrupted download resumes. On failure the torrent leaves the client and
 * its data stays.
 */
export async function downloadTorrent (client: TorrentClient, source: ParsedTorrent | MagnetSource, o: DownloadOptions): Promise<Downloaded> {
  const torrent = addTorrent(client, { ...source, announce: o.announce }, { path: o.path, ...WINDOWED_STRATEGY, private: o.private === true })
  windowRarest(torrent)   // pieces at most PIECE_WINDOW_BYTES out of file order, spread over the swarm
  const stats = trackTransfers(torrent, o.stats)
  const guard = guardPeers(torrent, { limitMs: o.stallTimeoutMs, onNotice: o.onNotice })
  const what = source.infoHash
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  try {
    await new Promise<void>((resolve, reject) => {
      const watch = new RateWatch({ windowMs: o.stallTimeoutMs, minBytesPerSecond: o.minBytesPerSecond ?? 0, now: Date.now() })
      let wasReady = false
      const detail = (): string => `peers ${torrent.numPeers}`
      if (o.checkMetadata !== undefined) {
        const check = o.checkMetadata
        torrent.once('metadata', () => {
          try {
            check(torrent.info)
          } catch (err) {
            torrent.destroy({ destroyStore: false })   // synchronously: webtorrent checks this before touching the disk
            reject(err)
          }
        })
      }
      if (o.onReady !== undefined) {
        const onReady = o.onReady
        const ready = (): void => { try { onReady((filePath, signal) => readInOrder(torrent, filePath, signal)) } catch (err) { reject(err) } }
        if (torrent.ready) ready()
        else torrent.once('ready', ready)
      }
      torrent.once('done', () => {
        o.onProgress?.({ phase: 'download', loaded: torrent.length, total: torrent.length, detail: detail() })
        resolve()
      })
      torrent.once('error', (err: Error) => {
        const local = localFailure({ errno: (err as NodeJS.ErrnoException).code })   // a full disk is this machine's trouble, not the torrent's
        reject(new MirrorError(local ?? 'TORRENT_FAILED', `torrent ${what}: ${err.message}`, { infoHash: what }))
      })
      torrent.on('warning', (err: Error) => debug('warning %s: %s', what, err.message))
      onAbort = () => reject(new MirrorError('ABORTED', 'download interrupted; the partial download is kept and a rerun resumes it'))
      if (o.signal?.aborted === true) onAbort()
      o.signal?.addEventListener('abort', onAbort)
      timer = setInterval(() => {
        guard.tick()
        const now = Date.now()
        if (torrent.metadata !== null && !torrent.ready) { watch.restart(now, 0); return }   // hashing what is on disk: not a stall
        if (torrent.ready && !wasReady) { wasReady = true; watch.restart(now, torrent.downloaded) }   // resumed bytes are not this run's rate
        const got = torrent.ready ? torrent.downloaded : 0
        if (torrent.ready) o.onProgress?.({ phase: 'download', loaded: got, total: torrent.length, detail: detail() })
        const stalled = watch.sample(now, got)
        if (stalled === null) return
        const seconds = Math.round(o.stallTimeoutMs / 1000)
        const kept = torrent.progress > 0 ? '; the partial download is kept' : ''   // nothing verified, nothing to resume: its directory goes
        reject(new MirrorError('DOWNLOAD_STALLED',
          !torrent.ready
            ? `no peer sent the torrent's metadata within ${seconds} s`
            : stalled.got === 0
              ? `no data for ${seconds} s from any peer or web seed (${torrent.numPeers} peers)${kept}`
              : `too slow: ${formatBytes(stalled.got)} in ${seconds} s from ${torrent.numPeers} peers and web seeds, under the minimum of ${formatRate(stalled.needed / (stalled.windowMs / 1000))}; the partial download is kept`,
          { infoHash: what, downloaded: got }))
      }, 500)
    })
  } catch (err) {
    await removeTorrent(client, torrent)
    throw err
  } finally {
    guard.stop()
    clearInterval(timer)
    if (onAbort !== undefined) o.signal?.removeEventListener('abort', onAbort)
  }
  return { torrent, stats, torrentFile: Buffer.from(torrent.torrentFile) }
}

/** Takes a torrent out of the client, closing its files, never deleting them. */
export async function removeTorrent (client: TorrentClient, torrent: Torrent): Promise<void> {
  if (torrent.destroyed || client.destroyed) return
  await new Promise<void>(resolve => {
    const timer = setTimeout(resolve, 5000)
    timer.unref()
    client.remove(torrent, { destroyStore: false }, () => { clearTimeout(timer); resolve() }).catch(() => resolve())
  })
}
