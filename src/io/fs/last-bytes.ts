import { Transform } from 'node:stream'

/** Keeps the last `n` bytes that passed. */
export function lastBytes (n: number): { tap: Transform, bytes: () => Buffer } {
  let tail = Buffer.alloc(0)
  const tap = new Transform({
    transform (chunk: Buffer, _enc, cb) {
      tail = chunk.length >= n ? Buffer.from(chunk.subarray(chunk.length - n)) : Buffer.concat([tail, chunk]).subarray(-n)
      cb(null, chunk)
    }
  })
  return { tap, bytes: () => tail }
}
