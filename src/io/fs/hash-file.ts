import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { PieceHasher } from '../../core/piece-hasher.js'

/** SHA-256 and size of a file, streamed (a bundle never sits in memory). */
export async function hashFile (file: string, signal?: AbortSignal): Promise<{ sha256: string, size: number }> {
  const { sha256, size } = await digestFile(file, { signal })
  return { sha256, size }
}

/**
 * SHA-256, size and, with `pieceLength` (a function of the size, known
 * before reading), the torrent piece hashes of a file: one streaming read.
 */
export async function digestFile (
  file: string, o: { signal?: AbortSignal | undefined, pieceLength?: (size: number) => number } = {}
): Promise<{ sha256: string, size: number, pieces: PieceHasher | null }> {
  const hash = createHash('sha256')
  const pieces = o.pieceLength === undefined ? null : new PieceHasher(o.pieceLength((await stat(file)).size))
  let size = 0
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024, ...(o.signal === undefined ? {} : { signal: o.signal }) })) {
    hash.update(chunk as Buffer)
    pieces?.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  return { sha256: hash.digest('hex'), size, pieces }
}
