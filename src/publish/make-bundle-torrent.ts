import { choosePieceLength } from '../core/piece-length.js'
import type { OnProgress } from '../core/progress.js'
import { makeTorrent, readTorrent, type ParsedTorrent } from '../io/torrent/torrent-file.js'

/** The bundle's torrent: piece length from the size, exactly the configured trackers. */
export async function makeBundleTorrent (
  bundle: { path: string, size: number, fileName: string },
  o: { trackers: string[], webSeeds: string[], onProgress?: OnProgress }
): Promise<{ torrent: Buffer, parsed: ParsedTorrent }> {
  const torrent = await makeTorrent(bundle.path, {
    name: bundle.fileName,
    pieceLength: choosePieceLength(bundle.size),
    trackers: o.trackers,
    webSeeds: o.webSeeds,
    onProgress: (hashed, total) => o.onProgress?.({ phase: 'torrent', loaded: hashed, total })
  })
  return { torrent, parsed: await readTorrent(torrent, 'the new torrent') }
}
