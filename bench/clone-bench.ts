// Benchmark 1: four ways to clone the same repository on this machine, run
// interleaved (a b c d, a b c d, ...), each into a fresh directory with fresh
// caches (the page cache stays warm: the repository and the bundles were just
// written or read):
//   a. git clone <url>          over loopback smart HTTP (git http-backend)
//   b. git clone <bundle file>  from the bundle mirror-publish made, on local disk
//   c. mirror-clone <url>       through a loopback swarm of one seeder, unsigned publish
//   d. mirror-clone <url>       signed publish, its key trusted for that URL
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { git } from '../test/helpers/env.js'
import { cpuSecondsBetween, cpuTimes, lastJson, median, ratio, runMeasured, target, type Target } from './measure.js'
import { budgetMs, runOurs, type Loopback, type Origin } from './setup.js'

export type CloneKind = 'git-http' | 'git-bundle' | 'mirror-clone' | 'mirror-clone-signed'

export const CLONE_KINDS: Record<CloneKind, string> = {
  'git-http': 'a. git clone <url> (smart HTTP)',
  'git-bundle': 'b. git clone <bundle file>',
  'mirror-clone': 'c. mirror-clone <url> (unsigned)',
  'mirror-clone-signed': 'd. mirror-clone <url> (signed, trusted key)'
}

export interface CloneReportJson {
  method: string
  fallbackReason: string | null
  verified: string
  /** git (index-pack) or signed-index (the signed fast path); absent in builds before it */
  indexedBy?: string | null
  bytes: { swarm: number, webSeed: number, origin: number }
  seconds: { discover: number, download: number, index: number, originFetch: number, total: number }
}

export interface CloneRow {
  kind: CloneKind
  run: number
  seconds: number
  /** what the git server sent (HTTP bodies), reset before the run */
  originBytes: number
  /** peak RSS of our node process (c, d), KiB */
  rssKiB: number | null
  /** CPU seconds the whole machine used during the run (every process: git, ours, the seeder) */
  cpuSeconds: number
  /** CPU seconds the machine sat idle waiting for the disk during the run */
  ioWaitSeconds: number
  report: CloneReportJson | null
  valid: boolean
  note: string | null
}

export interface CloneSummary { kind: CloneKind, seconds: number | null, originBytes: number | null, rssKiB: number | null, cpuSeconds: number | null, ioWaitSeconds: number | null, validRuns: number }

export interface CloneResult {
  rows: CloneRow[]
  summary: Record<CloneKind, CloneSummary>
  /** the unsigned bundle (b's file), and the signed publish's */
  bundleBytes: number
  signedBundleBytes: number
}

export async function cloneBench (lb: Loopback, origins: { unsigned: Origin, signed: Origin }, o: { repeat: number }): Promise<CloneResult> {
  const bundle = origins.unsigned.published.json.bundle
  const budget = budgetMs(bundle.size)
  const rows: CloneRow[] = []
  for (let run = 1; run <= o.repeat; run++) {
    const dir = path.join(lb.te.dir, 'clones', `run-${run}`)
    await mkdir(dir, { recursive: true })
    const dests: Partial<Record<CloneKind, string>> = {}
    const gitClone = async (kind: CloneKind, source: string): Promise<void> => {
      const dest = path.join(dir, kind)
      lb.server.resetStats()
      const cpu0 = await cpuTimes()
      const r = await runMeasured('git', ['clone', '--quiet', source, dest], { cwd: dir, env: traced(lb.env, kind, run), timeoutMs: budget })
      const cpu1 = await cpuTimes()
      const cpuSeconds = cpuSecondsBetween(cpu0, cpu1)
      const ioWaitSeconds = (cpu1.iowait - cpu0.iowait) / 100
      const ok = r.code === 0
      if (ok) dests[kind] = dest
      rows.push({ kind, run, seconds: r.seconds, originBytes: lb.server.bytesSent, rssKiB: null, cpuSeconds, ioWaitSeconds, report: null, valid: ok, note: ok ? null : `exit ${r.code ?? r.signal}: ${r.stderr.trim().slice(-300)}` })
    }
    const mirrorClone = async (kind: CloneKind, origin: Origin): Promise<void> => {
      const dest = path.join(dir, kind)
      const home = path.join(dir, `${kind}-home`)   // fresh cache and state directories
      const env = traced({ ...lb.env, XDG_CACHE_HOME: path.join(home, 'cache'), XDG_STATE_HOME: path.join(home, 'state') }, kind, run)
      lb.server.resetStats()
      const cpu0 = await cpuTimes()
      const r = await runOurs(lb, 'mirror-clone', ['--json', '--quiet', '--timeout', '30', '--cache', path.join(home, 'mirror-cache'), ...lb.net, origin.url, dest],
        { cwd: dir, env, timeoutMs: budget, rssFile: path.join(dir, `${kind}.rss.jsonl`) })
      const cpu1 = await cpuTimes()
      const cpuSeconds = cpuSecondsBetween(cpu0, cpu1)
      const ioWaitSeconds = (cpu1.iowait - cpu0.iowait) / 100
      let report: CloneReportJson | null = null
      let note: string | null = null
      if (r.code !== 0) note = `exit ${r.code ?? r.signal}: ${r.stderr.trim().slice(-300)}`
      else {
        report = lastJson<CloneReportJson>(r.stdout, 'mirror-clone')
        if (report.method !== 'torrent') note = `method ${report.method}: ${report.fallbackReason ?? ''}`
        else if (kind === 'mirror-clone-signed' && report.verified !== 'signature') note = `verified ${report.verified}, not signature`
        else dests[kind] = dest
      }
      if (r.rss === null) note ??= 'no RSS report from the probe'
      rows.push({ kind, run, seconds: r.seconds, originBytes: lb.server.bytesSent, rssKiB: r.rss?.maxRSSKiB ?? null, cpuSeconds, ioWaitSeconds, report, valid: note === null, note })
    }
    lb.log(`clone run ${run}/${o.repeat}`)
    await gitClone('git-http', origins.unsigned.url)
    await gitClone('git-bundle', bundle.path)
    await mirrorClone('mirror-clone', origins.unsigned)
    await mirrorClone('mirror-clone-signed', origins.signed)
    await checkSameAsGitClone(lb, dests, rows.filter(r => r.run === run))
    await rm(dir, { recursive: true, force: true })
  }
  return {
    rows,
    summary: summarize(rows),
    bundleBytes: bundle.size,
    signedBundleBytes: origins.signed.published.json.bundle.size
  }
}

/**
 * With GTM_BENCH_TRACE2=DIR, every git process of a clone run writes git's
 * trace2 performance log to DIR/<kind>-<run>.perf (where the git time goes).
 */
function traced (env: NodeJS.ProcessEnv, kind: CloneKind, run: number): NodeJS.ProcessEnv {
  const dir = process.env.GTM_BENCH_TRACE2
  return dir === undefined || dir === '' ? env : { ...env, GIT_TRACE2_PERF: path.join(path.resolve(dir), `${kind}-${run}.perf`) }
}

/** Each mirror-clone must leave the refs and HEAD a plain git clone leaves; a row that does not is invalid. */
async function checkSameAsGitClone (lb: Loopback, dests: Partial<Record<CloneKind, string>>, rows: CloneRow[]): Promise<void> {
  const plain = dests['git-http']
  if (plain === undefined) return
  const state = async (dir: string): Promise<string> =>
    [await git(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads', 'refs/remotes', 'refs/tags'], { cwd: dir, env: lb.env }),
      await git(['symbolic-ref', 'HEAD'], { cwd: dir, env: lb.env })].join('\n')
  const want = await state(plain)
  for (const row of rows) {
    const dir = dests[row.kind]
    if (dir === undefined || row.kind === 'git-http' || row.kind === 'git-bundle') continue
    if (await state(dir) !== want) { row.valid = false; row.note = 'refs or HEAD differ from git clone <url>' }
  }
}

function summarize (rows: CloneRow[]): Record<CloneKind, CloneSummary> {
  const out = {} as Record<CloneKind, CloneSummary>
  for (const kind of Object.keys(CLONE_KINDS) as CloneKind[]) {
    const valid = rows.filter(r => r.kind === kind && r.valid)
    out[kind] = {
      kind,
      seconds: median(valid.map(r => r.seconds)),
      originBytes: median(valid.map(r => r.originBytes)),
      rssKiB: median(valid.flatMap(r => r.rssKiB === null ? [] : [r.rssKiB])),
      cpuSeconds: median(valid.map(r => r.cpuSeconds)),
      ioWaitSeconds: median(valid.map(r => r.ioWaitSeconds)),
      validRuns: valid.length
    }
  }
  return out
}

export function cloneTargets (r: CloneResult): Target[] {
  const s = r.summary
  return [
    target('clone time: mirror-clone (c) / git clone <bundle> (b)', ratio(s['mirror-clone'].seconds, s['git-bundle'].seconds), '<=', 1.10),
    target('clone time: signed mirror-clone (d) / git clone <url> (a)', ratio(s['mirror-clone-signed'].seconds, s['git-http'].seconds), '<=', 0.35),
    target('origin bytes: mirror-clone (c) / git clone <url> (a)', ratio(s['mirror-clone'].originBytes, s['git-http'].originBytes), '<=', 0.01)
  ]
}
