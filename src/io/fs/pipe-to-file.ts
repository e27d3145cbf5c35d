import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { Readable, type Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'

/**
 * Streams `source` through `transforms` into a new file `to` (which must
 * not exist). On failure it returns only once the file is closed: an abort
 * can come before the file's open completes, and a cleanup that ran before
 * the open would leave the file behind.
 */
export async function pipeToFile (source: Readable | AsyncIterable<Buffer>, transforms: Transform[], to: string, o: { signal?: AbortSignal, mode?: number } = {}): Promise<void> {
  const out = createWriteStream(to, { flags: 'wx', mode: o.mode ?? 0o666, highWaterMark: 1 << 20 })
  try {
    const from = source instanceof Readable ? source : Readable.from(source, { objectMode: false })
    await pipeline([from, ...transforms, out], o.signal === undefined ? {} : { signal: o.signal })
  } catch (err) {
    if (!out.closed) await once(out, 'close').catch(() => {})
    throw err
  }
}
