// Benchmark 6: bringing an existing clone up to date after one increment.
// A copy of the benchmark repository, served over smart HTTP, is published
// (a full base) and seeded; two clients are made at that state:
//   A. mirror-clone <url> (it keeps the list's token in mirror-fetch.json)
//   B. git clone <url>
// both --no-checkout (a fetch does not touch the work tree). Then the origin
// moves on by one generated increment (bench/generate-increment.ts), is
// published again (an increment of the list) and seeded by a mirror-seed
// restarted on the store (it takes the store's entries when it starts).
// Each run copies A and B from pristine copies of their base state (pack
// files hard-linked, nothing else shared) and measures, alternating which
// goes first:
//   mirror-fetch   in A: the increment from the swarm, then git fetch origin
//   git fetch origin in B
// "origin sent" is what the git server sent during the command (its records
// and the fetch for mirror-fetch). A run counts when the command succeeded,
// mirror-fetch used exactly the new increment, both end with the same refs,
// those refs are the origin's, and A holds every object of the increment.
// With GTM_BENCH_TRACE2=DIR, where the time goes: every git process of a run
// writes git's trace2 performance log to DIR/<kind>-<run>.perf, and
// mirror-fetch its DEBUG=mirror:* timeline (stderr) to DIR/mirror-fetch-<run>.stderr.
import { cp, link, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { git } from '../test/helpers/env.js'
import { generateIncrement, INCREMENT_SPECS, type IncrementStats } from './generate-increment.js'
import { cpuSecondsBetween, cpuTimes, lastJson, median, ratio, runMeasured, target, type Target } from './measure.js'
import type { BenchRepo } from './repo.js'
import { budgetMs, publish, publishedOrigin, runOurs, startSeeder, type Loopback, type Origin, type Seeding } from './setup.js'

export type FetchKind = 'mirror-fetch' | 'git-fetch'

export const FETCH_KINDS: Record<FetchKind, string> = {
  'mirror-fetch': 'A. mirror-fetch (clone made by mirror-clone)',
  'git-fetch': 'B. git fetch origin (clone made by git clone)'
}

/** mirror-fetch --json's report */
export interface FetchReportJson {
  method: 'increments' | 'origin'
  reason: string | null
  bundles: Array<{ id: string, infoHash: string, creationToken: number, outcome: string, reason: string | null, fromPeers: number, fromWebSeeds: number, seconds: number }>
  bytes: { swarm: number, webSeed: number, origin: number }
  seconds: { discover: number, download: number, originFetch: number, total: number }
}

export interface FetchRow {
  kind: FetchKind
  run: number
  /** spawn to exit */
  seconds: number
  /** what the git server sent (HTTP bodies) during the command */
  originBytes: number
  originRequests: number
  /** CPU seconds the whole machine used during the command */
  cpuSeconds: number
  rssKiB: number | null
  report: FetchReportJson | null
  valid: boolean
  note: string | null
}

export interface FetchSummary { kind: FetchKind, seconds: number | null, originBytes: number | null, swarmBytes: number | null, cpuSeconds: number | null, validRuns: number }

export interface FetchResult {
  increment: IncrementStats & { bundleBytes: number, baseBundleBytes: number, infoHash: string, publishSeconds: number }
  rows: FetchRow[]
  summary: Record<FetchKind, FetchSummary>
  /** the seeder of base and increment, alive through the runs */
  seeder: { uploaded: number | null, peersServed: number | null }
  /** the machine's 1-minute load average when this part started and ended */
  load: { start: number, end: number }
}

export async function fetchBench (lb: Loopback, repo: BenchRepo, o: { repeat: number }): Promise<FetchResult> {
  const loadStart = os.loadavg()[0]!
  const dir = path.join(lb.te.dir, 'fetch')
  await mkdir(dir, { recursive: true })
  const origin = await publishedOrigin(lb, repo.dir, { name: 'fetch', key: null, bundleBytes: repo.packBytes })
  let seeder: Seeding = origin.seeder
  try {
    const base = origin.published.json
    if (base.chain.made !== 'base') throw new Error(`the first publish made ${base.chain.made}, not a base: ${JSON.stringify(base.chain)}`)
    const pristine = await makeClients(lb, origin, dir)

    lb.log(`fetch: advancing ${origin.repoDir} by one increment`)
    const increment = await generateIncrement(origin.repoDir, INCREMENT_SPECS[repo.size], lb.env)
    lb.log(`fetch: ${increment.commits} commits (${increment.merges} merges), ${increment.filesChanged} files changed, ${increment.objects} new objects; publishing`)
    const again = await publish(lb, origin.repoDir, origin.store, { key: null, rssFile: path.join(dir, 'publish-increment.rss.jsonl'), timeoutMs: budgetMs(repo.packBytes) })
    const made = again.json.chain
    const inc = made.bundles.at(-1)!
    if (made.made !== 'increment' || made.bundles.length !== 2) {
      throw new Error(`the second publish made ${made.made} (${made.reason ?? ''}), not one increment after the base: ${JSON.stringify(made.bundles.map(b => [b.id, b.size]))}`)
    }
    await seeder.stop()
    seeder = await startSeeder(lb, origin.store, inc.infoHash, path.join(dir, 'seed-increment.rss.jsonl'))   // it seeds what the store holds at start
    lb.log(`fetch: seeding the increment ${inc.infoHash} (${inc.size} bytes)`)

    const expected = await originState(lb, origin.repoDir)
    const newObjects = await git(['rev-list', '--objects', '--no-object-names', '--stdin'], { cwd: origin.repoDir, env: lb.env, input: [...increment.refs, ...pristine.baseTips.map(oid => `^${oid}`)].join('\n') + '\n' })
    const rows: FetchRow[] = []
    for (let run = 1; run <= o.repeat; run++) {
      lb.log(`fetch run ${run}/${o.repeat}`)
      const work = path.join(dir, `run-${run}`)
      const a = path.join(work, 'a')
      const b = path.join(work, 'b')
      await copyClient(pristine.a, a)
      await copyClient(pristine.b, b)
      const steps = [async () => rows.push(await mirrorFetch(lb, a, work, run, inc)), async () => rows.push(await gitFetch(lb, b, run))]
      for (const step of run % 2 === 1 ? steps : steps.reverse()) await step()
      await checkRun(lb, rows.filter(r => r.run === run), { a, b, expected, newObjects, token: inc.creationToken })
      await rm(work, { recursive: true, force: true })
    }
    const stopped = await seeder.stop()
    const num = (v: unknown): number | null => typeof v === 'number' ? v : null
    return {
      increment: { ...increment, bundleBytes: inc.size, baseBundleBytes: made.bundles[0]!.size, infoHash: inc.infoHash, publishSeconds: again.run.seconds },
      rows,
      summary: summarize(rows),
      seeder: { uploaded: num(stopped.summary?.uploaded), peersServed: num(stopped.summary?.peersServed) },
      load: { start: loadStart, end: os.loadavg()[0]! }
    }
  } finally {
    await seeder.stop()
  }
}

/** A by mirror-clone, B by git clone, at the base; their refs must be equal and A must hold the list's token. */
async function makeClients (lb: Loopback, origin: Origin, dir: string): Promise<{ a: string, b: string, baseTips: string[] }> {
  const a = path.join(dir, 'pristine-a')
  const b = path.join(dir, 'pristine-b')
  const budget = budgetMs(origin.published.json.bundle.size)
  lb.log('fetch: client A by mirror-clone, B by git clone')
  const home = path.join(dir, 'clone-home')
  const cloned = await runOurs(lb, 'mirror-clone', ['--json', '--quiet', '--no-checkout', '--timeout', '30', '--cache', path.join(home, 'cache'), ...lb.net, origin.url, a],
    { cwd: dir, env: { ...lb.env, XDG_CACHE_HOME: path.join(home, 'xdg-cache'), XDG_STATE_HOME: path.join(home, 'state') }, timeoutMs: budget, rssFile: path.join(dir, 'clone.rss.jsonl') })
  if (cloned.code !== 0) throw new Error(`mirror-clone of the base failed (exit ${cloned.code ?? cloned.signal}):\n${cloned.stderr.slice(-4000)}`)
  const report = lastJson<{ method: string, fallbackReason: string | null }>(cloned.stdout, 'mirror-clone')
  if (report.method !== 'torrent') throw new Error(`mirror-clone of the base did not use the torrent: ${JSON.stringify(report)}`)
  const g = await runMeasured('git', ['clone', '--quiet', '--no-checkout', origin.url, b], { cwd: dir, env: lb.env, timeoutMs: budget })
  if (g.code !== 0) throw new Error(`git clone of the base failed:\n${g.stderr}`)
  const [refsA, refsB] = [await refsOf(lb, a), await refsOf(lb, b)]
  if (refsA !== refsB) throw new Error(`at the base, mirror-clone's refs differ from git clone's:\n${diffLines(refsA, refsB)}`)
  const token = await readToken(a)
  const baseToken = origin.published.json.chain.bundles[0]!.creationToken
  if (token !== baseToken) throw new Error(`mirror-clone left ${token === null ? 'no token' : `token ${token}`} in mirror-fetch.json; the base's is ${baseToken}`)
  const baseTips = (await git(['for-each-ref', '--format=%(objectname)', 'refs/heads', 'refs/tags'], { cwd: origin.repoDir, env: lb.env })).split('\n')
  return { a, b, baseTips }
}

async function mirrorFetch (lb: Loopback, dir: string, work: string, run: number, inc: { id: string }): Promise<FetchRow> {
  const home = path.join(work, 'a-home')   // fresh cache and state: nothing downloaded before
  const env = traced({ ...lb.env, XDG_CACHE_HOME: path.join(home, 'xdg-cache'), XDG_STATE_HOME: path.join(home, 'state') }, 'mirror-fetch', run)
  lb.server.resetStats()
  const cpu0 = await cpuTimes()
  const r = await runOurs(lb, 'mirror-fetch', ['--json', '--quiet', '--timeout', '30', '--cache', path.join(home, 'cache'), ...lb.net],
    { cwd: dir, env, timeoutMs: 600_000, rssFile: path.join(work, 'mirror-fetch.rss.jsonl') })
  const cpuSeconds = cpuSecondsBetween(cpu0, await cpuTimes())
  if (traceDir() !== null) await writeFile(path.join(traceDir()!, `mirror-fetch-${run}.stderr`), r.stderr)
  const originBytes = lb.server.bytesSent
  const originRequests = lb.server.requests.length
  let report: FetchReportJson | null = null
  let note: string | null = null
  if (r.code !== 0) note = `exit ${r.code ?? r.signal}: ${r.stderr.trim().slice(-300)}`
  else {
    report = lastJson<FetchReportJson>(r.stdout, 'mirror-fetch')
    const used = report.bundles.map(b => `${b.id}:${b.outcome}`).join(', ')
    if (report.method !== 'increments') note = `method ${report.method}: ${report.reason ?? ''}`
    else if (used !== `${inc.id}:used`) note = `bundles ${used}, not ${inc.id}:used`
  }
  return { kind: 'mirror-fetch', run, seconds: r.seconds, originBytes, originRequests, cpuSeconds, rssKiB: r.rss?.maxRSSKiB ?? null, report, valid: note === null, note }
}

async function gitFetch (lb: Loopback, dir: string, run: number): Promise<FetchRow> {
  lb.server.resetStats()
  const cpu0 = await cpuTimes()
  const r = await runMeasured('git', ['fetch', '--quiet', 'origin'], { cwd: dir, env: traced(lb.env, 'git-fetch', run), timeoutMs: 600_000 })
  const cpuSeconds = cpuSecondsBetween(cpu0, await cpuTimes())
  const note = r.code === 0 ? null : `exit ${r.code ?? r.signal}: ${r.stderr.trim().slice(-300)}`
  return { kind: 'git-fetch', run, seconds: r.seconds, originBytes: lb.server.bytesSent, originRequests: lb.server.requests.length, cpuSeconds, rssKiB: null, report: null, valid: note === null, note }
}

function traceDir (): string | null {
  const dir = process.env.GTM_BENCH_TRACE2
  return dir === undefined || dir === '' ? null : path.resolve(dir)
}

function traced (env: NodeJS.ProcessEnv, kind: FetchKind, run: number): NodeJS.ProcessEnv {
  const dir = traceDir()
  if (dir === null) return env
  return { ...env, GIT_TRACE2_PERF: path.join(dir, `${kind}-${run}.perf`), ...(kind === 'mirror-fetch' ? { DEBUG: 'mirror:*' } : {}) }
}

/**
 * After a run: B's branches and tags must be the origin's; A's refs must be
 * B's (all of them: a staging ref left behind differs), A must hold every
 * object of the increment, and its token must be the increment's.
 */
async function checkRun (lb: Loopback, rows: FetchRow[], o: { a: string, b: string, expected: string, newObjects: string, token: number }): Promise<void> {
  const fail = (row: FetchRow | undefined, note: string): void => { if (row !== undefined && row.valid) { row.valid = false; row.note = note } }
  const [mf, gf] = [rows.find(r => r.kind === 'mirror-fetch'), rows.find(r => r.kind === 'git-fetch')]
  const [refsA, refsB] = [await refsOf(lb, o.a), await refsOf(lb, o.b)]
  if (fetchedState(refsB) !== o.expected) fail(gf, `B's branches and tags are not the origin's:\n${diffLines(fetchedState(refsB), o.expected)}`)
  if (refsA !== refsB) fail(mf, `refs differ from git fetch's:\n${diffLines(refsA, refsB)}`)
  const missing = (await git(['cat-file', '--batch-check=%(objectname) %(objecttype)'], { cwd: o.a, env: lb.env, input: o.newObjects + '\n' })).split('\n').filter(l => l.endsWith(' missing'))
  if (missing.length > 0) fail(mf, `${missing.length} objects of the increment missing, e.g. ${missing[0]!}`)
  const token = await readToken(o.a)
  if (token !== o.token) fail(mf, `mirror-fetch.json holds ${String(token)}, not the increment's token ${o.token}`)
}

async function refsOf (lb: Loopback, dir: string): Promise<string> {
  return [await git(['for-each-ref', '--format=%(objectname) %(refname) %(symref)'], { cwd: dir, env: lb.env }),
    `HEAD -> ${await git(['symbolic-ref', 'HEAD'], { cwd: dir, env: lb.env })}`].join('\n')
}

/** The origin's branches and tags as a clone names them after a fetch. */
async function originState (lb: Loopback, repoDir: string): Promise<string> {
  const refs = await git(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads', 'refs/tags'], { cwd: repoDir, env: lb.env })
  return refs.split('\n').map(l => l.replace(' refs/heads/', ' refs/remotes/origin/')).sort().join('\n')
}

function fetchedState (refs: string): string {
  return refs.split('\n').filter(l => / refs\/(remotes\/origin|tags)\//.test(l) && !l.includes(' refs/remotes/origin/HEAD ')).map(l => l.trimEnd()).sort().join('\n')
}

async function readToken (dir: string): Promise<number | null> {
  try {
    const state = JSON.parse(await readFile(path.join(dir, '.git', 'mirror-fetch.json'), 'utf8')) as { remotes?: Record<string, { creationToken?: number }> }
    return state.remotes?.origin?.creationToken ?? null
  } catch { return null }
}

/** A copy of a clone: its pack files hard-linked (git never writes into one), every other file copied. */
async function copyClient (from: string, to: string): Promise<void> {
  const packs = path.join(from, '.git', 'objects', 'pack')
  await cp(from, to, { recursive: true, filter: src => src !== packs })
  await mkdir(path.join(to, '.git', 'objects', 'pack'))
  for (const name of await readdir(packs)) await link(path.join(packs, name), path.join(to, '.git', 'objects', 'pack', name))
}

function diffLines (a: string, b: string): string {
  const [x, y] = [new Set(a.split('\n')), new Set(b.split('\n'))]
  return [...[...x].filter(l => !y.has(l)).map(l => `- ${l}`), ...[...y].filter(l => !x.has(l)).map(l => `+ ${l}`)].slice(0, 12).join('\n')
}

function summarize (rows: FetchRow[]): Record<FetchKind, FetchSummary> {
  const out = {} as Record<FetchKind, FetchSummary>
  for (const kind of Object.keys(FETCH_KINDS) as FetchKind[]) {
    const valid = rows.filter(r => r.kind === kind && r.valid)
    out[kind] = {
      kind,
      seconds: median(valid.map(r => r.seconds)),
      originBytes: median(valid.map(r => r.originBytes)),
      swarmBytes: kind === 'mirror-fetch' ? median(valid.map(r => r.report!.bytes.swarm + r.report!.bytes.webSeed)) : null,
      cpuSeconds: median(valid.map(r => r.cpuSeconds)),
      validRuns: valid.length
    }
  }
  return out
}

export function fetchTargets (r: FetchResult): Target[] {
  const s = r.summary
  return [
    target('origin bytes: mirror-fetch (A) / git fetch (B), after one increment', ratio(s['mirror-fetch'].originBytes, s['git-fetch'].originBytes), '<=', 0.2),
    target('fetch time: mirror-fetch (A) / git fetch (B), after one increment', ratio(s['mirror-fetch'].seconds, s['git-fetch'].seconds), '<=', 1.5)
  ]
}
