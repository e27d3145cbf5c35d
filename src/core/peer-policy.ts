/**
 * What to do about peers and web seeds that waste a download: pure
 * decisions over plain data; io/torrent/peer-guard.ts watches webtorrent's
 * wires and applies them.
 */

/**
 * Strikes that ban a source. A piece that fails its SHA-1 gives each source
 * that sent any of its blocks one strike, and a source that sent the whole
 * piece alone two: a peer that lies is gone at its first bad piece, while an
 * honest peer that shared a piece with a liar survives one such piece.
 * Mainstream clients do much the same (libtorrent bans a peer whose trust
 * falls after repeated hash failures, and at once when it alone sent the
 * piece); webtorrent bans nobody, and a probe saw 2.3 GB of bad pieces
 * arrive from one peer in 10 s.
 */
export const STRIKES_TO_BAN = 2

export class Strikes {
  private readonly counts = new Map<string, number>()
  private readonly banned = new Set<string>()

  /**
   * A piece failed verification; `sources` sent its blocks (an id each: an
   * IP address, a web seed's URL). Returns the sources this piece banned,
   * each only once over the object's life.
   */
  failedPiece (sources: Iterable<string>): string[] {
    const distinct = [...new Set(sources)]
    const strike = distinct.length === 1 ? STRIKES_TO_BAN : 1
    const newlyBanned: string[] = []
    for (const source of distinct) {
      if (this.banned.has(source)) continue
      const n = (this.counts.get(source) ?? 0) + strike
      this.counts.set(source, n)
      if (n >= STRIKES_TO_BAN) {
        this.banned.add(source)
        newlyBanned.push(source)
      }
    }
    return newlyBanned
  }

  isBanned (source: string): boolean {
    return this.banned.has(source)
  }
}

/** One piece a web seed was asked for and has not sent yet. */
export interface PendingRequest {
  /** the web seed's URL */
  seed: string
  piece: number
  /** how long it has been waiting */
  ageMs: number
}

export interface ReclaimLimits {
  /**
   * A web seed may keep a piece this long while a connected peer or another
   * web seed that has it sits idle; past it, the piece is taken back.
   */
  patienceMs: number
  /** No request waits longer than this, idle helpers or not. */
  limitMs: number
}

/**
 * The web seeds whose requests to take back (each named once). webtorrent
 * reserves a whole piece for a web seed and waits up to 60 s for its HTTP
 * answer; a server that accepts and never answers held the download's last
 * pieces while the peer that had them idled, until the clone gave up.
 * `idleFor(piece)` says whether some other connected source that has the
 * piece is idle now.
 */
export function webSeedsToReclaim (pending: readonly PendingRequest[], idleFor: (piece: number) => boolean, limits: ReclaimLimits): string[] {
  const seeds = new Set<string>()
  for (const r of pending) {
    if (seeds.has(r.seed)) continue
    if (r.ageMs >= limits.limitMs || (r.ageMs >= limits.patienceMs && idleFor(r.piece))) seeds.add(r.seed)
  }
  return [...seeds]
}

/**
 * How long a web seed may hold a piece that an idle source could send now.
 * A web seed is asked for whole pieces (16 KiB to 16 MiB): the time one
 * takes at 1 MB/s, and at least 5 s.
 */
export function webSeedPatienceMs (pieceLength: number): number {
  return Math.max(5_000, Math.ceil(pieceLength / 1000))
}

/**
 * How long a web seed whose requests were taken back waits before it is
 * asked again: 5 s, doubling with each reclaim, at most a minute.
 */
export function webSeedBackoffMs (reclaims: number): number {
  return Math.min(60_000, 5_000 * 2 ** Math.max(0, reclaims - 1))
}
