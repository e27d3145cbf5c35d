import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { test } from 'node:test'
import { boundedLines } from '../../src/service/bounded-lines.js'

async function linesOf (chunks: Array<string | Buffer>, max: number): Promise<Array<string | null>> {
  const input = new PassThrough()
  const out: Array<string | null> = []
  const reading = (async () => { for await (const l of boundedLines(input, max)) out.push(l) })()
  for (const c of chunks) input.write(c)
  input.end()
  await reading
  return out
}

test('boundedLines: lines across chunks, CRLF, a line over the limit as null (the next ones intact), no final newline', async () => {
  assert.deepEqual(await linesOf(['PA', 'USE\nPUSH or', 'igin\r\nRE', 'SUME'], 16), ['PAUSE', 'PUSH origin', 'RESUME'])
  assert.deepEqual(await linesOf(['a'.repeat(10), 'b'.repeat(10), '\nOK\n'], 16), [null, 'OK'])
  assert.deepEqual(await linesOf(['x'.repeat(16), '\n', 'y'.repeat(17), '\n'], 16), ['x'.repeat(16), null], 'the limit itself is allowed')
  assert.deepEqual(await linesOf([Buffer.from('é\nè\n')], 4), ['é', 'è'], 'bytes, not characters, and UTF-8 intact')
})

test('boundedLines: a 10 MB line never reaches readline whole', async () => {
  const big = Buffer.alloc(10 << 20, 0x61)
  const before = process.memoryUsage().arrayBuffers
  const lines = await linesOf([big, Buffer.from('\nPAUSE\n')], 4096)
  assert.deepEqual(lines, [null, 'PAUSE'])
  assert.ok(process.memoryUsage().arrayBuffers - before < 30 << 20, 'no copies of the line held')
})
