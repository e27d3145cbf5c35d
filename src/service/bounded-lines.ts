import readline from 'node:readline'
import { Transform, type Readable } from 'node:stream'

/** What marks an over-long line between the clamp and readline: a NUL (one in the input becomes SUB, 0x1a, so that only the clamp writes it). */
const TOO_LONG = '\0'

/**
 * The lines of `input` (readline frames them), each at most `max` bytes:
 * a longer one yields null, and is never held whole: a clamp in front of
 * readline drops its bytes past `max` as they arrive (a 10 MB line costs
 * no 10 MB). A NUL byte of the input comes out as SUB (0x1a): no valid
 * line holds either. Ends with the input.
 */
export async function * boundedLines (input: Readable, max: number): AsyncGenerator<string | null> {
  let length = 0   // bytes of the current line so far
  let clamped = false
  const clamp = new Transform({
    transform (chunk: Buffer, _enc, done) {
      const out: Buffer[] = []
      for (let from = 0; ;) {
        const nl = chunk.indexOf(0x0a, from)
        const raw = chunk.subarray(from, nl === -1 ? chunk.length : nl)
        if (!clamped && length + raw.length > max) {
          clamped = true
          out.push(Buffer.from(TOO_LONG))
        }
        if (!clamped) {
          const piece = Buffer.from(raw)   // a copy: NULs become SUB
          for (let k = piece.indexOf(0); k !== -1; k = piece.indexOf(0, k + 1)) piece[k] = 0x1a
          out.push(piece)
        }
        length += raw.length
        if (nl === -1) break
        out.push(Buffer.from('\n'))
        length = 0
        clamped = false
        from = nl + 1
      }
      done(null, Buffer.concat(out))
    }
  })
  input.pipe(clamp)
  const lines = readline.createInterface({ input: clamp, crlfDelay: Infinity })
  try {
    for await (const line of lines) yield line.includes(TOO_LONG) ? null : line
  } finally {
    lines.close()
    input.unpipe(clamp)
  }
}
