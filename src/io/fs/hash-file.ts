import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

/** SHA-256 and size of a file, streamed (a bundle never sits in memory). */
export async function hashFile (file: string, signal?: AbortSignal): Promise<{ sha256: string, size: number }> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024, ...(signal === undefined ? {} : { signal }) })) {
    hash.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  return { sha256: hash.digest('hex'), size }
}
