import readline from 'node:readline'
import { Transform, type Readable } from 'node:stream'

/** What stands for an over-long line between the clamp and readline: a NUL, which no command holds. */
const TOO_LONG = '\0'

/**
 * The lines of `input` (readline frames them), each at most `max` bytes:
 * a longer one yields null, and is never held whole: a clamp in front of
 * readline drops its bytes past `max` as they arrive (a 10 MB line costs
 * no 10 MB). Ends with the input.
 */
export async function * boundedLines (input: Readable, max: number): AsyncGenerator<string | null> {
  let length = 0   // bytes of the current line so far
  let clamped = false
  const clamp = new Transform({
    transform (chunk: Buffer, _enc, done) {
      const out: Buffer[] = []
      let from = 0
      for (let i = 0; i <= chunk.length; i++) {
        const end = i === chunk.length
        if (!end && chunk[i] !== 0x0a) continue
        const piece = chunk.subarray(from, i)
        if (!clamped && length + piece.length > max) {
          clamped = true
          out.push(Buffer.from(TOO_LONG))
        }
        if (!clamped) out.push(piece)
        length += piece.length
        if (!end) {
          out.push(Buffer.from('\n'))
          length = 0
          clamped = false
        }
        from = i + 1
      }
      done(null, Buffer.concat(out))
    }
  })
  input.pipe(clamp)
  const lines = readline.createInterface({ input: clamp, crlfDelay: Infinity })
  try {
    for await (const line of lines) yield line.startsWith(TOO_LONG) ? null : line
  } finally {
    lines.close()
    input.unpipe(clamp)
  }
}
