import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { followFile } from '../../src/io/fs/follow-file.js'

async function tmp (t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gtm-follow-'))
  t.after(async () => await rm(dir, { recursive: true, force: true }))
  return dir
}

async function collect (gen: AsyncGenerator<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of gen) parts.push(chunk)
  return Buffer.concat(parts)
}

// Another process appends to the file in bursts (as git pack-objects does);
// the follower, started before the first burst, yields every byte in order
// and ends only once the writer exited.
test('followFile: the bytes another process appends, in order, to its exit', { timeout: 30_000 }, async t => {
  const file = path.join(await tmp(t), 'out')
  await writeFile(file, 'HEAD\n')
  const out = await open(file, 'a')
  const script = 'let i = 0; const next = () => { if (i === 40) return; process.stdout.write(Buffer.alloc(100000 + i, 65 + (i % 26))); i++; setTimeout(next, 5) }; next()'
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', out.fd, 'inherit'] })
  await out.close()
  const exited = once(child, 'exit').then(([code]) => { if (code !== 0) throw new Error(`writer exit ${String(code)}`) })
  const got = await collect(followFile(file, 0, exited))
  const want = Buffer.concat([Buffer.from('HEAD\n'), ...Array.from({ length: 40 }, (_, i) => Buffer.alloc(100000 + i, 65 + (i % 26)))])
  assert.equal(got.length, want.length)
  assert.ok(got.equals(want))
  assert.deepEqual(await collect(followFile(file, 5, Promise.resolve())), want.subarray(5), 'from an offset')
})

test('followFile: a writer that fails ends the bytes with its error, after what it wrote', async t => {
  const file = path.join(await tmp(t), 'out')
  await writeFile(file, 'partial')
  const seen: Buffer[] = []
  await assert.rejects(async () => { for await (const c of followFile(file, 0, Promise.reject(new Error('git died')))) seen.push(c) }, /git died/)
  assert.equal(Buffer.concat(seen).toString(), 'partial')
})
