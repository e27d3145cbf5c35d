import { createHash, type Hash } from 'node:crypto'

/**
 * BitTorrent v1 piece hashes (SHA-1 of each `pieceLength` slice of the
 * concatenated files) computed as the bytes stream past, so a torrent can
 * be made without reading its data again. The table can be taken at any
 * point (the running piece is hashed from a copy) and more bytes fed after:
 * a bundle's own torrent and the folder torrent that continues it with
 * more files come from one pass.
 */
export class PieceHasher {
  readonly pieceLength: number
  /** Bytes fed so far. */
  length = 0
  private readonly done: Buffer[] = []
  private current: Hash = createHash('sha1')
  private filled = 0

  constructor (pieceLength: number, o: { table?: Uint8Array, length?: number } = {}) {
    if (!Number.isSafeInteger(pieceLength) || pieceLength <= 0) throw new RangeError(`bad piece length ${pieceLength}`)
    this.pieceLength = pieceLength
    if (o.table !== undefined) {
      // resume after whole pieces known already (a stored torrent's table)
      const length = o.length ?? 0
      if (length % pieceLength !== 0 || o.table.length < (length / pieceLength) * 20) throw new RangeError('a resumed piece table must cover whole pieces')
      for (let i = 0; i < length / pieceLength; i++) this.done.push(Buffer.from(o.table.subarray(i * 20, i * 20 + 20)))
      this.length = length
    }
  }

  update (chunk: Uint8Array): void {
    let pos = 0
    while (pos < chunk.length) {
      const take = Math.min(this.pieceLength - this.filled, chunk.length - pos)
      this.current.update(chunk.subarray(pos, pos + take))
      this.filled += take
      pos += take
      if (this.filled === this.pieceLength) {
        this.done.push(this.current.digest())
        this.current = createHash('sha1')
        this.filled = 0
      }
    }
    this.length += chunk.length
  }

  /** The piece table of every byte so far, the last piece possibly short; feeding may go on. */
  table (): Buffer {
    return Buffer.concat(this.filled === 0 ? this.done : [...this.done, this.current.copy().digest()])
  }
}
