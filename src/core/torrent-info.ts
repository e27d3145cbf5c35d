import { createHash } from 'node:crypto'
import bencode from 'bencode'

/** A torrent's content, its pieces hashed already (PieceHasher): one file, or a folder of files in this order. */
export interface TorrentContent {
  name: string
  pieceLength: number
  /** SHA-1 of each piece, 20 bytes each. */
  pieces: Uint8Array
  files: { length: number } | Array<{ name: string, length: number }>
  /**
   * BEP 27: `private: 1` in the info dictionary. Clients then find peers
   * through the torrent's trackers only (no DHT, no PEX, no LSD). Being in
   * the info dictionary, the flag changes the infohash.
   */
  private?: boolean
}

/**
 * The info dictionary create-torrent would make of this content: it
 * depends only on the bytes (through the piece table), the name, the
 * piece length and the private flag, so the same bundle always has the
 * same infohash, one for a public torrent and another for a private one.
 */
export function torrentInfo (c: TorrentContent): Record<string, unknown> {
  const total = Array.isArray(c.files) ? c.files.reduce((sum, f) => sum + f.length, 0) : c.files.length
  if (c.pieces.length !== Math.ceil(total / c.pieceLength) * 20) throw new RangeError(`${c.pieces.length / 20} piece hashes for ${total} bytes`)
  const info: Record<string, unknown> = { name: c.name, 'piece length': c.pieceLength, pieces: c.pieces }
  if (Array.isArray(c.files)) info.files = c.files.map(f => ({ length: f.length, path: [f.name] }))
  else info.length = c.files.length
  if (c.private === true) info.private = 1
  return info
}

/** BEP 3's infohash: SHA-1 of the bencoded info dictionary, in hex. */
export function infoHashOf (c: TorrentContent): string {
  return createHash('sha1').update(bencode.encode(torrentInfo(c))).digest('hex')
}
