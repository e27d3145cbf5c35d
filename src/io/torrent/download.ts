import createDebug from 'debug'
import type { Torrent } from 'webtorrent'
import { MirrorError } from '../../core/errors.js'
import type { OnProgress } from '../../core/progress.js'
import type { TorrentClient } from './client.js'
import type { ParsedTorrent } from './torrent-file.js'
import { trackTransfers, type TransferStats } from './transfer-stats.js'

const debug = createDebug('mirror:download')

export interface DownloadOptions {
  /** Directory the torrent's file is written into (kept on failure: a rerun resumes). */
  path: string
  announce: string[]
  /** Give up when no byte arrives for this long (web seeds count). */
  stallTimeoutMs: number
  signal?: AbortSignal
  onProgress?: OnProgress
}

/**
 * Downloads a torrent into `o.path` and resolves once every piece verified.
 * Pieces already on disk are verified and kept, so an interrupted download
 * resumes. On failure the torrent leaves the client and its data stays.
 */
export async function downloadTorrent (client: TorrentClient, parsed: ParsedTorrent, o: DownloadOptions): Promise<{ torrent: Torrent, stats: TransferStats }> {
  const torrent = client.add({ ...parsed, announce: o.announce }, { path: o.path })
  const stats = trackTransfers(torrent)
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  try {
    await new Promise<void>((resolve, reject) => {
      let last = -1
      let lastChange = Date.now()
      torrent.once('done', () => {
        o.onProgress?.({ phase: 'download', loaded: parsed.length, total: parsed.length, detail: `peers ${torrent.numPeers}` })
        resolve()
      })
      torrent.once('error', (err: Error) => reject(new MirrorError('TORRENT_FAILED', `torrent ${parsed.infoHash}: ${err.message}`, { infoHash: parsed.infoHash })))
      torrent.on('warning', (err: Error) => debug('warning %s: %s', parsed.infoHash, err.message))
      onAbort = () => reject(new MirrorError('ABORTED', 'download interrupted; the partial download is kept and a rerun resumes it'))
      if (o.signal?.aborted === true) onAbort()
      o.signal?.addEventListener('abort', onAbort)
      timer = setInterval(() => {
        const got = torrent.ready ? torrent.downloaded : -1
        if (got !== last) { last = got; lastChange = Date.now() }
        if (torrent.ready) {
          o.onProgress?.({ phase: 'download', loaded: got, total: parsed.length, detail: `peers ${torrent.numPeers}` })
        }
        if (torrent.ready && Date.now() - lastChange > o.stallTimeoutMs) {
          reject(new MirrorError('DOWNLOAD_STALLED',
            `no data for ${Math.round(o.stallTimeoutMs / 1000)} s from any peer or web seed (${torrent.numPeers} peers); the partial download is kept`,
            { infoHash: parsed.infoHash, downloaded: got }))
        }
      }, 500)
    })
  } catch (err) {
    await removeTorrent(client, torrent)
    throw err
  } finally {
    clearInterval(timer)
    if (onAbort !== undefined) o.signal?.removeEventListener('abort', onAbort)
  }
  return { torrent, stats }
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
