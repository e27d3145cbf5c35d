// Benchmark 7: one mirror-daemon seeding the 50 bundles of a generated
// project family (bench/daemon-family.ts: 10 projects served by one git
// http-backend, each published 5 times, so each bundle list holds a base and
// 4 increments), all published into one store that one mirror-seed seeds.
// The daemon runs --foreground in a repository whose 10 remotes are the
// projects, at the default --interval (300 s), and is watched from outside
// through /proc: RSS (sampled every 0.5 s, and the kernel's own peak,
// VmHWM), open file descriptors (sampled, and by kind once idle), and the
// CPU time it uses over 30 s of idleness (utime + stime, as % of one core,
// counting the requests it made meanwhile): with the publisher's seeder
// connected on every torrent, and again, later, with no peer at all. Then, --repeat times each, the
// time from a publish's records reaching the server (the `git push` that
// carries them has exited) to the CHANGED line: with PUSH <remote> sent on
// stdin at that moment, and, after a restart on the same store at a short
// --interval, without PUSH (the daemon's own timer). Before each of those
// publishes the publisher's seeder is restarted (it reads its store when it
// starts), so the daemon finds a peer for the new increment at once. The
// restart also measures SIGTERM to exit and start to seeding everything
// again, and counts the bundles the daemon re-hashed (none expected).
import { mkdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as delay } from 'node:timers/promises'
import { git } from '../test/helpers/env.js'
import { startProcess, type Running } from '../test/helpers/processes.js'
import { advance, FAMILY, makeFamily, publishProject, pushRecords, type Project } from './daemon-family.js'
import { median, target, type Target } from './measure.js'
import { cpuSecondsOf, fdKindsOf, memoryOf, sampleProc, threadCpuBetween, threadCpuOf, type FdKinds, type ProcSample } from './proc-stats.js'
import { startSeeder, wrapperPath, type Loopback, type Seeding } from './setup.js'

/** The targets of issue 17. */
export const DAEMON_RSS_LIMIT_MB = 300
export const DAEMON_IDLE_CPU_LIMIT_PCT = 1
/** The idle window: slices of 10 s. */
const IDLE_SLICES = 3
const IDLE_SLICE_MS = 10_000
/** Between the last bundle seeded and the idle window: announces and handshakes settle. */
const SETTLE_MS = 5_000
/** After a peer went away: webtorrent tries it again after 1, 5 and 15 s, then lets it be. */
const RECONNECTS_MS = 25_000
/** --interval of the restarted daemon, for publish to CHANGED without PUSH. */
export const POLL_INTERVAL_SECONDS = 5
/** The daemon's default --interval: the idle figures are at it. */
const DEFAULT_INTERVAL_SECONDS = 300
/** What the daemon says when it re-hashes a stored bundle (src/service/daemon.ts). */
const REHASHED = /changed on disk since it was last verified/

export interface ChangeRow {
  mode: 'push' | 'poll'
  run: number
  project: string
  /** records pushed to CHANGED */
  changedSeconds: number | null
  /** records pushed to the daemon seeding the new increment */
  seededSeconds: number | null
  note: string | null
}

export interface Idle {
  seconds: number
  cpuSeconds: number | null
  percent: number | null
  /** % of one core in each 10 s */
  slices: Array<number | null>
  /** median RSS sampled meanwhile */
  steadyKiB: number | null
  /** CPU seconds by thread name (user, system), largest first */
  threads: Array<{ comm: string, user: number, system: number }>
  /** requests that reached the git server, announces the tracker heard (from any seeder) */
  originRequests: number
  trackerAnnounces: number
}

export interface DaemonResult {
  family: { projects: number, publishes: number, bundles: number, bundleBytes: number, generateSeconds: number, publishSeconds: number }
  /** daemon start to every remote seeding what it publishes */
  startupSeconds: number
  memory: { hwmKiB: number | null, sampledPeakKiB: number | null, steadyKiB: number | null }
  fds: { sampledPeak: number | null, steady: FdKinds | null }
  /** with the publisher's seeder connected on every torrent (the target's figure), and alone once that seeder stopped */
  idle: Idle
  idleAlone: Idle
  changes: ChangeRow[]
  restart: { stopSeconds: number, exit: string, seededSeconds: number, bundles: number, rehashed: number, stopSeconds2: number, exit2: string }
  errors: string[]
  load: { start: number, end: number }
}

export async function daemonBench (lb: Loopback, o: { repeat: number }): Promise<DaemonResult> {
  const loadStart = os.loadavg()[0]!
  const dir = path.join(lb.te.dir, 'daemon')
  await mkdir(dir, { recursive: true })
  const pubStore = path.join(dir, 'publisher-store')
  lb.log(`daemon: generating ${FAMILY.projects} projects and publishing each ${FAMILY.publishes} times`)
  const family = await makeFamily(lb, dir, pubStore)
  const { projects } = family
  const lists = family.published.map(runs => runs.at(-1)!.chain.bundles)
  for (const [i, list] of lists.entries()) {
    if (list.length !== FAMILY.publishes) throw new Error(`${projects[i]!.name}: its list holds ${list.length} bundles, not ${FAMILY.publishes}: ${JSON.stringify(list)}`)
  }
  const bundles = lists.flat()
  const bundleBytes = bundles.reduce((n, b) => n + b.size, 0)
  lb.log(`daemon: ${bundles.length} bundles (${(bundleBytes / 1e6).toFixed(2)} MB of bundles) in ${family.publishSeconds.toFixed(1)} s`)
  const rssDir = path.join(dir, 'rss')
  const seeding = { seeder: await startSeeder(lb, pubStore, bundles.at(-1)!.infoHash, path.join(rssDir, 'seed-0.jsonl')) }
  const daemons: Running[] = []
  try {
    const repo = path.join(dir, 'daemon-repo')
    await git(['init', '-q', repo], { cwd: dir, env: lb.env })
    for (const p of projects) await git(['remote', 'add', p.name, p.url], { cwd: repo, env: lb.env })
    const store = path.join(dir, 'daemon-store')
    const prof = profileArgs()
    const start = (interval: number): Running => {
      const d = startProcess(process.execPath, [...prof(`daemon-${daemons.length + 1}`), wrapperPath(lb, 'mirror-daemon'), '--foreground', '--interval', String(interval), '--timeout', '30', '--store', store, ...lb.net],
        { cwd: repo, env: lb.env, interactive: true })
      daemons.push(d)
      return d
    }

    lb.log(`daemon: starting it on ${projects.length} remotes (--interval ${DEFAULT_INTERVAL_SECONDS})`)
    const t0 = performance.now()
    const d1 = start(DEFAULT_INTERVAL_SECONDS)
    const pid = d1.child.pid!
    const sampler = sampleProc(pid)
    await allSeeding(d1, projects)
    const startupSeconds = (performance.now() - t0) / 1000
    lb.log(`daemon: all ${projects.length * FAMILY.publishes} bundles seeded after ${startupSeconds.toFixed(1)} s; idle for ${IDLE_SLICES * IDLE_SLICE_MS / 1000} s`)
    await delay(SETTLE_MS)
    lb.log(`daemon: idle window from ${((performance.now() - t0) / 1000).toFixed(1)} s after its start`)
    const idle = await idleWindow(lb, pid, sampler.samples)
    const steady = await fdKindsOf(pid, store)
    lb.log(`daemon: idle CPU ${idle.percent?.toFixed(3) ?? '—'} % of one core (${threadsText(idle)}); ${steady?.total ?? '—'} fds`)

    const changes: ChangeRow[] = []
    const change = async (d: Running, mode: ChangeRow['mode'], run: number, p: Project): Promise<void> => {
      lb.log(`daemon: ${mode} run ${run}/${o.repeat}: publishing ${p.name} anew`)
      changes.push(await changeRun(lb, d, seeding, { mode, run, project: p, pubStore, dir }))
    }
    for (let run = 1; run <= o.repeat; run++) await change(d1, 'push', run, projects[(run - 1) % projects.length]!)
    // idle again, the publisher's seeder gone: after its connections' reconnect attempts (webtorrent: 1, 5, 15 s)
    await seeding.seeder.stop()
    await delay(RECONNECTS_MS)
    lb.log(`daemon: idle window (no peer) from ${((performance.now() - t0) / 1000).toFixed(1)} s after its start`)
    const idleAlone = await idleWindow(lb, pid, sampler.samples)
    lb.log(`daemon: idle CPU with no peer ${idleAlone.percent?.toFixed(3) ?? '—'} % of one core (${threadsText(idleAlone)})`)
    const memory = await memoryOf(pid)
    const t1 = performance.now()
    const stopped = await d1.stop('SIGTERM', 30_000)
    const stopSeconds = (performance.now() - t1) / 1000
    const samples = sampler.stop()

    lb.log(`daemon: stopped in ${stopSeconds.toFixed(2)} s; restarting it on the same store (--interval ${POLL_INTERVAL_SECONDS})`)
    const t2 = performance.now()
    const d2 = start(POLL_INTERVAL_SECONDS)
    const counts = await allSeeding(d2, projects)
    const restartSeconds = (performance.now() - t2) / 1000
    for (let run = 1; run <= o.repeat; run++) await change(d2, 'poll', run, projects[(o.repeat + run - 1) % projects.length]!)
    const t3 = performance.now()
    const stopped2 = await d2.stop('SIGTERM', 30_000)
    const stopSeconds2 = (performance.now() - t3) / 1000
    const errors = [d1, d2].flatMap(d => d.stdout().split('\n').filter(l => l.startsWith('ERROR ')))
    const peak = (pick: (s: ProcSample) => number): number | null => samples.length === 0 ? null : Math.max(...samples.map(pick))
    return {
      family: { projects: projects.length, publishes: FAMILY.publishes, bundles: bundles.length, bundleBytes, generateSeconds: family.generateSeconds, publishSeconds: family.publishSeconds },
      startupSeconds,
      memory: { hwmKiB: memory?.hwmKiB ?? null, sampledPeakKiB: peak(s => s.rssKiB), steadyKiB: idle.steadyKiB },
      fds: { sampledPeak: peak(s => s.fds), steady },
      idle,
      idleAlone,
      changes,
      restart: {
        stopSeconds, exit: exitText(stopped), seededSeconds: restartSeconds, bundles: counts.reduce((a, b) => a + b, 0),
        rehashed: d2.stdout().split('\n').filter(l => REHASHED.test(l)).length, stopSeconds2, exit2: exitText(stopped2)
      },
      errors,
      load: { start: loadStart, end: os.loadavg()[0]! }
    }
  } finally {
    for (const d of daemons) await d.stop('SIGTERM', 30_000)
    await seeding.seeder.stop()
  }
}

/**
 * With GTM_BENCH_DAEMON_PROF=DIR, each daemon writes a V8 CPU profile of its
 * whole life to DIR/daemon-<n>.cpuprofile (the log says when its idle windows began).
 */
function profileArgs (): (name: string) => string[] {
  const dir = process.env.GTM_BENCH_DAEMON_PROF
  if (dir === undefined || dir === '') return () => []
  return name => ['--cpu-prof', `--cpu-prof-dir=${path.resolve(dir)}`, `--cpu-prof-name=${name}.cpuprofile`]
}

/** "node 0.20+0.05 s, libuv-worker 0.01+0.00 s": CPU seconds by thread name, user + system. */
export function threadsText (i: Idle): string {
  return i.threads.map(t => `${t.comm} ${t.user.toFixed(2)}+${t.system.toFixed(2)} s`).join(', ') || 'no thread used any'
}

function exitText (s: { code: number | null, signal: string | null }): string {
  return s.signal === null ? `status ${s.code ?? '?'}` : `signal ${s.signal}`
}

/** Waits for each project's first "seeding N bundle(s)"; returns the Ns. */
async function allSeeding (d: Running, projects: Project[]): Promise<number[]> {
  const counts: number[] = []
  for (const p of projects) {
    const m = await d.waitFor(new RegExp(`^STATUS ${p.name} seeding (\\d+) bundle`), { stream: 'stdout', timeoutMs: 300_000 })
    counts.push(Number(m[1]))
  }
  return counts
}

/** CPU used over the idle slices, the median RSS sampled meanwhile, and the requests that reached the servers. */
async function idleWindow (lb: Loopback, pid: number, samples: ProcSample[]): Promise<Idle> {
  lb.server.resetStats()
  const announces0 = lb.tracker.announces.length
  const from = samples.length
  const threads0 = await threadCpuOf(pid)
  const c0 = await cpuSecondsOf(pid)
  const t0 = performance.now()
  const slices: Array<number | null> = []
  let prev = { c: c0, t: t0 }
  for (let i = 0; i < IDLE_SLICES; i++) {
    await delay(IDLE_SLICE_MS)
    const now = { c: await cpuSecondsOf(pid), t: performance.now() }
    slices.push(now.c === null || prev.c === null ? null : 100 * (now.c - prev.c) / ((now.t - prev.t) / 1000))
    prev = now
  }
  const cpuSeconds = prev.c === null || c0 === null ? null : prev.c - c0
  const threads = threadCpuBetween(threads0, await threadCpuOf(pid))
  return {
    seconds: Math.round((prev.t - t0) / 100) / 10,
    cpuSeconds,
    percent: cpuSeconds === null ? null : 100 * cpuSeconds / ((prev.t - t0) / 1000),
    slices,
    threads,
    steadyKiB: median(samples.slice(from).map(s => s.rssKiB)),
    originRequests: lb.server.requests.length,
    trackerAnnounces: lb.tracker.announces.length - announces0
  }
}

/**
 * One publish of `project` noticed by the running daemon: a new commit,
 * mirror-publish, the publisher's seeder restarted on its store, then the
 * records pushed to the server; from that push's exit, the time to CHANGED
 * (PUSH sent at once, or the daemon's timer) and to seeding the increment.
 */
async function changeRun (lb: Loopback, d: Running, seeding: { seeder: Seeding }, a: { mode: ChangeRow['mode'], run: number, project: Project, pubStore: string, dir: string }): Promise<ChangeRow> {
  const p = a.project
  await advance(lb, p, FAMILY.incrementBytes)
  const published = await publishProject(lb, p, a.pubStore, a.dir)
  const newest = published.chain.bundles.at(-1)!
  await seeding.seeder.stop()
  seeding.seeder = await startSeeder(lb, a.pubStore, newest.infoHash, path.join(a.dir, 'rss', `seed-${a.mode}-${a.run}.jsonl`))
  const mark = d.lineCount()
  await pushRecords(lb, p)
  const t0 = performance.now()
  if (a.mode === 'push') d.send(`PUSH ${p.name}\n`)
  const row: ChangeRow = { mode: a.mode, run: a.run, project: p.name, changedSeconds: null, seededSeconds: null, note: null }
  try {
    await d.waitFor(new RegExp(`^CHANGED ${p.name} `), { stream: 'stdout', after: mark, timeoutMs: 60_000 })
    row.changedSeconds = (performance.now() - t0) / 1000
    const seeded = await d.waitFor(new RegExp(`^STATUS ${p.name} seeding (\\d+) bundle\\(s\\): (.*)$`), { stream: 'stdout', after: mark, timeoutMs: 120_000 })
    row.seededSeconds = (performance.now() - t0) / 1000
    if (!seeded[2]!.split(' ').includes(newest.infoHash)) row.note = `seeding ${seeded[1]!} bundles without the new ${newest.infoHash}`
  } catch (err) {
    row.note = (err as Error).message.split('\n')[0]!
  }
  return row
}

export function daemonTargets (r: DaemonResult): Target[] {
  const mb = (kib: number | null): number | null => kib === null ? null : kib * 1024 / 1e6
  return [
    target(`peak RSS, mirror-daemon seeding ${r.family.bundles} bundles (MB)`, mb(r.memory.hwmKiB), '<=', DAEMON_RSS_LIMIT_MB, 'MB'),
    target(`CPU when idle, mirror-daemon seeding ${r.family.bundles} bundles (% of one core)`, r.idle.percent, '<=', DAEMON_IDLE_CPU_LIMIT_PCT, '%')
  ]
}
