// Timing, peak RSS and statistics for the benchmarks. Every process runs with
// a deadline; its wall time is measured from spawn to exit; a node process of
// ours can carry the rss-probe preload, which reports its own peak RSS.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { repoRoot, startProcess } from '../test/helpers/processes.js'

export { repoRoot }

/** The compiled tree this file runs from (dist/ or .build-harness/): holds src/, bench/, test/. */
export function buildRoot (): string {
  return path.dirname(path.dirname(fileURLToPath(import.meta.url)))
}

/** bench/rss-probe.cjs in the source tree (tsc does not copy .cjs files). */
export function rssProbePath (): string {
  const file = path.join(repoRoot(), 'bench', 'rss-probe.cjs')
  if (!existsSync(file)) throw new Error(`missing ${file}`)
  return file
}

/** The environment that makes a node process append its peak RSS to `file`. */
export function rssEnv (env: NodeJS.ProcessEnv, file: string): NodeJS.ProcessEnv {
  const probe = rssProbePath()
  const preload = `--require ${probe.includes(' ') ? JSON.stringify(probe) : probe}`
  return { ...env, NODE_OPTIONS: [env.NODE_OPTIONS, preload].filter(Boolean).join(' '), GTM_BENCH_RSS_FILE: file }
}

export interface RssLine { pid: number, ppid: number, argv: string[], exitCode: number, maxRSSKiB: number }

/** The probe's line for `pid` in `file`, or null (no probe ran, or the process was killed). */
export async function readRss (file: string, pid: number | undefined): Promise<RssLine | null> {
  let text: string
  try { text = await readFile(file, 'utf8') } catch { return null }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const r = JSON.parse(line) as RssLine
    if (r.pid === pid) return r
  }
  return null
}

export interface Measured {
  code: number | null
  signal: string | null
  stdout: string
  stderr: string
  /** spawn to exit, wall clock */
  seconds: number
  pid: number | undefined
}

/**
 * Runs a process to completion within timeoutMs (SIGTERM, then SIGKILL after
 * 3 s, and a rejection). Resolves for any exit status.
 */
export async function runMeasured (
  command: string, args: string[], opts: { cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number, onStart?: (pid: number | undefined) => void }
): Promise<Measured> {
  const t0 = performance.now()
  const p = startProcess(command, args, { cwd: opts.cwd, env: opts.env })
  opts.onStart?.(p.child.pid)
  let t1 = 0
  p.child.once('exit', () => { t1 = performance.now() })
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; void p.stop('SIGTERM', 3000) }, opts.timeoutMs)
  const st = await p.exited.finally(() => clearTimeout(timer))
  if (t1 === 0) t1 = performance.now()
  if (timedOut) {
    throw new Error(`${command} ${args.join(' ')} timed out after ${Math.round(opts.timeoutMs / 1000)} s\n--- stderr (tail)\n${p.stderr().slice(-4000)}`)
  }
  if (st.error !== undefined) throw new Error(`cannot run ${command}: ${st.error.message}`)
  return { code: st.code, signal: st.signal, stdout: p.stdout(), stderr: p.stderr(), seconds: (t1 - t0) / 1000, pid: p.child.pid }
}

/** Jiffies the machine's CPUs spent busy and in total since boot (/proc/stat's "cpu" line; USER_HZ = 100). */
export async function cpuTimes (): Promise<{ busy: number, iowait: number, total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n').find(l => l.startsWith('cpu '))!
  const v = line.trim().split(/\s+/).slice(1).map(Number)
  const idle = v[3]! + (v[4] ?? 0)   // idle + iowait
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0)   // user nice system idle iowait irq softirq steal
  return { busy: total - idle, iowait: v[4] ?? 0, total }
}

/** CPU seconds all processes used between two cpuTimes() readings. */
export function cpuSecondsBetween (a: { busy: number }, b: { busy: number }): number {
  return (b.busy - a.busy) / 100
}

export interface RssSample { t: number, kib: number }

/**
 * Samples a process's current RSS (VmRSS in /proc/<pid>/status) every
 * intervalMs until stop(); t is seconds since the sampler started. Linux only:
 * elsewhere it records nothing.
 */
export function sampleRss (pid: number, intervalMs = 200): { stop(): RssSample[], samples: RssSample[] } {
  const t0 = performance.now()
  const samples: RssSample[] = []
  const take = (): void => {
    readFile(`/proc/${pid}/status`, 'utf8').then(text => {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(text)
      if (m !== null) samples.push({ t: (performance.now() - t0) / 1000, kib: Number(m[1]) })
    }, () => { /* gone */ })
  }
  take()
  const timer = setInterval(take, intervalMs)
  return { samples, stop: () => { clearInterval(timer); return samples } }
}

/** The largest sample, or null. */
export function peakSample (samples: readonly RssSample[]): RssSample | null {
  return samples.reduce<RssSample | null>((best, s) => best === null || s.kib > best.kib ? s : best, null)
}

/** Like runMeasured, but a non-zero exit is an error naming the command. */
export async function runOk (
  command: string, args: string[], opts: { cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number }
): Promise<Measured> {
  const r = await runMeasured(command, args, opts)
  if (r.code !== 0) throw new Error(`${path.basename(command)} ${args.join(' ')} failed (exit ${r.code ?? r.signal}):\n${r.stderr.slice(-4000)}`)
  return r
}

export function median (xs: readonly number[]): number | null {
  const v = xs.filter(x => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return null
  const mid = Math.floor(v.length / 2)
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2
}

export function ratio (a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b
}

/** The last JSON object line of a command's stdout. */
export function lastJson<T = Record<string, unknown>> (stdout: string, what: string): T {
  const lines = stdout.split('\n').filter(l => l.startsWith('{'))
  if (lines.length === 0) throw new Error(`${what}: no JSON on stdout:\n${stdout.slice(-2000)}`)
  return JSON.parse(lines[lines.length - 1]!) as T
}

// Units: MB = 10^6 bytes, MB/s = 10^6 bytes per second, as the targets are written.
export const MB = 1e6
export const fmtS = (s: number | null | undefined): string => s == null ? '—' : s < 10 ? s.toFixed(2) : s.toFixed(1)
export const fmtMB = (bytes: number | null | undefined): string => bytes == null ? '—' : (bytes / MB).toFixed(bytes < 10 * MB ? 2 : 1)
export const fmtKB = (bytes: number | null | undefined): string => bytes == null ? '—' : (bytes / 1e3).toFixed(1)
export const fmtRssMB = (kib: number | null | undefined): string => kib == null ? '—' : (kib * 1024 / MB).toFixed(0)
export const fmtRatio = (r: number | null): string => r === null ? '—' : r.toFixed(3)
export const fmtPct = (r: number | null): string => r === null ? '—' : `${(100 * r).toFixed(2)} %`

/** A figure against its target: PASS, FAIL, or null when it could not be measured. */
export interface Target { name: string, value: number | null, limit: number, op: '<=' | '>=', pass: boolean | null, unit: 'ratio' | 'MB' | 'MB/s' | '%' }

export function target (name: string, value: number | null, op: Target['op'], limit: number, unit: Target['unit'] = 'ratio'): Target {
  return { name, value, op, limit, unit, pass: value === null ? null : op === '<=' ? value <= limit : value >= limit }
}
