import createDebug from 'debug'
import type { Torrent } from 'webtorrent'

const debug = createDebug('mirror:piece-window')

/**
 * How far ahead of the pieces already requested a download may pick pieces. Large
 * enough that N clients of one upload-limited seeder, each picking at random
 * among the pieces nobody has yet, rarely ask it for the same piece; small
 * enough that a reader in file order (git index-pack) stays about this (plus
 * what is in flight) behind the download.
 */
export const PIECE_WINDOW_BYTES = 8 * 2 ** 20

/**
 * Add options for a download read in order while it runs: webtorrent's
 * rarest-first strategy, which `windowRarest` bounds to a window.
 */
export const WINDOWED_STRATEGY = { strategy: 'rarest' } as const

/** The parts of webtorrent 2.8.5's Torrent this module touches (lib/torrent.js, lib/rarity-map.js). */
interface TorrentInternals {
  _rarityMap?: null | {
    /** availability of each piece: how many wires' peers have it */
    _pieces: number[]
    getRarestPiece: (filter?: (i: number) => boolean) => number
  }
  pieces: Array<{ _reservations: number, _chunks: number, _cancellations: unknown[] | null } | null>
  bitfield: { get: (i: number) => boolean }
}

/**
 * Bounds webtorrent's rarest-first piece selection to the first
 * `windowBytes` of pieces that still need requesting, from the first
 * missing piece on. Must be called on a torrent added with
 * `WINDOWED_STRATEGY`, before or at its 'metadata' event.
 *
 * Why: with the default sequential strategy every client asks every peer
 * for the lowest missing pieces, so N clients that start together ask the
 * seeder for the same pieces at the same time and each piece leaves it about
 * N/2 times. Rarest-first spreads them (a client asks the seeder for pieces
 * no other client has, picked at random, and gets the rest from the
 * clients), but webtorrent's scans every piece of the torrent per pick
 * (O(pieces^2) per wire update: CPU-bound at 2,000 pieces) and completes
 * pieces in no order, where our consumer reads in order as pieces verify.
 * Here a pick scans only the window (plus the pieces in flight before its
 * end), and so completes pieces at most the window and what is in flight
 * out of order.
 *
 * webtorrent internals, pinned to 2.8.5: Torrent#_rarityMap (created in
 * _onMetadata, lib/torrent.js:584) and its getRarestPiece(filter), called
 * only from Torrent#_updateWire (lib/torrent.js:1666, 1739); Torrent#pieces
 * (torrent-piece: null once verified) and Torrent#bitfield.
 */
export function windowRarest (torrent: Torrent, windowBytes = PIECE_WINDOW_BYTES): void {
  const t = torrent as unknown as TorrentInternals
  const patch = (): void => {
    const map = t._rarityMap
    if (typeof map?.getRarestPiece !== 'function' || !Array.isArray(map._pieces)) {
      // not the webtorrent this was written for: unbounded rarest-first is CPU-bound and unordered
      debug('%s: no rarity map to bound; falling back to sequential', torrent.infoHash)
      ;(torrent as unknown as { strategy: string }).strategy = 'sequential'
      return
    }
    const n = t.pieces.length
    const window = Math.max(1, Math.ceil(windowBytes / torrent.pieceLength))
    let lo = 0
    map.getRarestPiece = (filter) => {
      while (lo < n && t.bitfield.get(lo)) lo++
      const availability = map._pieces
      let candidates: number[] = []
      let min = Infinity
      // the window is the first `window` pieces that still need requesting: pieces in flight do not
      // hold it back (else it drains to empty each time its first piece is the last to arrive)
      for (let i = lo, open = 0; i < n && open < window; i++) {
        const piece = t.pieces[i]
        if (piece === null || piece === undefined) continue   // verified
        if (piece._reservations >= piece._chunks && (piece._cancellations?.length ?? 0) === 0) continue   // every block requested
        open++
        if (filter !== undefined && !filter(i)) continue
        const a = availability[i]!
        if (a === min) candidates.push(i)
        else if (a < min) { candidates = [i]; min = a }
      }
      if (candidates.length === 0) return -1
      // one peer (a lone seeder): nothing to spread, and file order downloads faster (measured: 1.1 s
      // against 1.5 s for 278 MB on loopback). Not judged by availability: webtorrent's rarity map
      // misses a peer's BEP 6 have-all (a seeder's) until it next recalculates.
      if (torrent.wires.length <= 1) return candidates[0]!
      return candidates[Math.floor(Math.random() * candidates.length)]!
    }
    debug('%s: rarest first within %d pieces of the first missing one', torrent.infoHash, window)
  }
  if (torrent.metadata !== null && torrent.metadata !== undefined) patch()
  else torrent.once('metadata', patch)
}
