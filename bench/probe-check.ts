// Checks that bench/rss-probe.cjs reports the node process itself, against
// GNU time's %M (ru_maxrss from wait4: the larger of the process and its
// waited-for children):
//   1. a node process that only fills 256 MiB of buffers: both must agree;
//   2. one mirror-clone (not counted in the clone table): the probe must not
//      exceed time's figure, which also covers the git processes it runs.
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { rssEnv, runMeasured, type RssLine } from './measure.js'
import { budgetMs, wrapperPath, type Loopback, type Origin } from './setup.js'

const TIME = '/usr/bin/time'

export interface ProbeCheck {
  /** the synthetic node process: probe and time, KiB */
  synthetic: { probeKiB: number, timeKiB: number } | null
  /** a mirror-clone: probe (node alone) and time (node or its largest git child), KiB */
  clone: { probeKiB: number, timeKiB: number } | null
  agrees: boolean | null
  note: string | null
}

async function underTime (dir: string, name: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ probeKiB: number, timeKiB: number }> {
  const rssFile = path.join(dir, `${name}.rss.jsonl`)
  const timeFile = path.join(dir, `${name}.time`)
  const r = await runMeasured(TIME, ['-f', '%M', '-o', timeFile, process.execPath, ...args], { cwd: dir, env: rssEnv(env, rssFile), timeoutMs })
  if (r.code !== 0) throw new Error(`${name} under ${TIME} failed (exit ${r.code ?? r.signal}): ${r.stderr.slice(-500)}`)
  const lines = (await readFile(rssFile, 'utf8')).trim().split('\n').map(l => JSON.parse(l) as RssLine)
  if (lines.length !== 1) throw new Error(`${name}: expected one probe line, got ${lines.length}`)
  const timeKiB = Number((await readFile(timeFile, 'utf8')).trim().split('\n').pop())
  return { probeKiB: lines[0]!.maxRSSKiB, timeKiB }
}

export async function checkProbe (lb: Loopback, origin: Origin): Promise<ProbeCheck> {
  if (!existsSync(TIME)) return { synthetic: null, clone: null, agrees: null, note: `${TIME} is not installed (apt-get install -y time)` }
  const dir = path.join(lb.te.dir, 'probe-check')
  await mkdir(dir, { recursive: true })
  try {
    const fill = 'const b = []; for (let i = 0; i < 16; i++) b.push(Buffer.alloc(16 * 2 ** 20, i + 1)); console.log(b.length)'
    const synthetic = await underTime(dir, 'synthetic', ['-e', fill], lb.env, 60_000)
    const env = { ...lb.env, XDG_CACHE_HOME: path.join(dir, 'cache'), XDG_STATE_HOME: path.join(dir, 'state') }
    const clone = await underTime(dir, 'mirror-clone',
      [wrapperPath(lb, 'mirror-clone'), '--quiet', '--timeout', '30', '--cache', path.join(dir, 'mirror-cache'), ...lb.net, origin.url, path.join(dir, 'clone')],
      env, budgetMs(origin.published.json.bundle.size))
    const close = Math.abs(synthetic.probeKiB - synthetic.timeKiB) <= Math.max(4096, 0.03 * synthetic.timeKiB)
    const agrees = close && clone.probeKiB <= clone.timeKiB + 1024
    return {
      synthetic,
      clone,
      agrees,
      note: agrees ? null : `probe and ${TIME} disagree: synthetic ${synthetic.probeKiB} vs ${synthetic.timeKiB} KiB, mirror-clone ${clone.probeKiB} vs ${clone.timeKiB} KiB`
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
