// bench/proc-stats.ts against the real /proc, read for this very process.
import assert from 'node:assert/strict'
import { open, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { cpuSecondsOf, fdKindsOf, memoryOf, sampleProc, threadCpuBetween, threadCpuOf } from '../../bench/proc-stats.js'

const linux = process.platform === 'linux' ? false : 'reads /proc: Linux only'

test('cpuSecondsOf and threadCpuOf agree with node\'s own count of this process\'s CPU time, on its main thread', { skip: linux }, async () => {
  const [c0, t0, u0] = [await cpuSecondsOf(process.pid), await threadCpuOf(process.pid), process.cpuUsage()]
  // busy until node counts 0.3 s of CPU (however long that takes on a loaded machine)
  const used = (): number => { const u = process.cpuUsage(u0); return (u.user + u.system) / 1e6 }
  for (const end = Date.now() + 20_000; used() < 0.3 && Date.now() < end;) Math.sqrt(Math.random())
  const [c1, t1, u] = [await cpuSecondsOf(process.pid), await threadCpuOf(process.pid), used()]
  assert.ok(u >= 0.3, `node counted ${u} s`)
  assert.ok(c0 !== null && c1 !== null && Math.abs((c1 - c0) - u) < 0.1, `/proc: ${String(c0)} -> ${String(c1)}; node: ${u} s`)
  const main = threadCpuBetween(t0, t1).find(t => t.comm === t1.find(x => x.tid === process.pid)!.comm)!
  assert.ok(main.user + main.system >= u - 0.1, JSON.stringify(main))
  assert.equal(await cpuSecondsOf(2 ** 22 + 1), null, 'no such process')
})

test('memoryOf and sampleProc read RSS and its peak; fdKindsOf finds a file opened under a directory', { skip: linux }, async t => {
  const m = await memoryOf(process.pid)
  assert.ok(m !== null && m.rssKiB > 1000 && m.hwmKiB >= m.rssKiB, JSON.stringify(m))
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gtm-proc-'))
  t.after(async () => await rm(dir, { recursive: true, force: true }))
  const before = (await fdKindsOf(process.pid, dir))!
  const files = await Promise.all([1, 2].map(async i => await open(path.join(dir, `f${i}`), 'w')))
  const during = (await fdKindsOf(process.pid, dir))!
  await Promise.all(files.map(async f => await f.close()))
  assert.equal(before.storeFiles, 0)
  assert.equal(during.storeFiles, 2)
  assert.equal(during.total, before.total + 2)
  assert.ok(during.total === during.storeFiles + during.otherFiles + during.sockets + during.pipes + during.anon)
  const s = sampleProc(process.pid, 20)
  await new Promise(resolve => setTimeout(resolve, 120))
  const samples = s.stop()
  assert.ok(samples.length >= 2 && samples.every(x => x.rssKiB > 0 && x.fds > 0), JSON.stringify(samples))
})
