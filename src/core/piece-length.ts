/**
 * Piece length for a bundle of `size` bytes: a power of two giving roughly
 * 1000 to 2000 pieces, within [16 KiB, 16 MiB]. Small pieces spread a
 * download over peers sooner; too many make the .torrent (20 bytes a piece)
 * and the per-piece bookkeeping large. Pinned here, not left to a library
 * default, because it is part of the infohash.
 */
export const MIN_PIECE_LENGTH = 16 * 1024
export const MAX_PIECE_LENGTH = 16 * 1024 * 1024

export function choosePieceLength (size: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad size ${size}`)
  let length = MIN_PIECE_LENGTH
  while (length < MAX_PIECE_LENGTH && size / length > 2000) length *= 2
  return length
}
