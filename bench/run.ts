// npm run bench [-- --size small|large] [--repeat N] [--only LIST] [--rss-gb|--no-rss-gb]
//               [--scale] [--out FILE] [--keep] [--deadline MINUTES]
// Every benchmark of issue 5 in one run on loopback, side by side: clone
// (git clone over HTTP, git clone of the bundle, mirror-clone unsigned and
// signed), publish (against git bundle create), the download engine (against
// aria2c), peak RSS around a ~1 GB bundle, fetch after one increment (issue
// 16: mirror-fetch against git fetch), one mirror-daemon seeding 50 bundles
// (issue 17: its RSS, descriptors, idle CPU and publish-to-CHANGED time), the
// browser clone of the small repository in headless Chromium (issue 18: its
// time and memory, against mirror-clone and git clone) and, with --scale,
// bench/scale.ts.
// Writes bench/RESULTS.md (atomically) and prints a JSON summary on stdout;
// progress goes to stderr. With --only, the sections of the parts not run are
// kept from the existing file (bench/results-file.ts), which must be of the
// same repository and machine. Every wait has a deadline and every process and
// server it started is stopped, also on failure or Ctrl-C.
import { existsSync } from 'node:fs'
import { readFile, rename, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { BROWSER_KINDS, browserBench, type BrowserKind, type BrowserResult } from './browser-bench.js'
import { CHROMIUM } from './browser-page.js'
import { cloneBench, type CloneKind } from './clone-bench.js'
import { daemonBench } from './daemon-bench.js'
import { engineBench } from './engine-bench.js'
import { fetchBench } from './fetch-bench.js'
import { describeMachine } from './machine.js'
import { median, repoRoot } from './measure.js'
import { checkProbe } from './probe-check.js'
import { publishBench } from './publish-bench.js'
import { ensureBenchRepo, type BenchSize } from './repo.js'
import { allTargets, assembleMarkdown, MACHINE_VOLATILE, renderSections, REPO_FROM_CLONE, type BenchResults, type SeederFigures } from './report.js'
import { mergeSections, parseSections, sameExcept, type Section } from './results-file.js'
import { rssBench } from './rss-bench.js'
import { runScale, scaleMarkdown } from './scale.js'
import { makeKey, publishedOrigin, startLoopback, type Loopback, type Seeding } from './setup.js'

const PARTS = ['clone', 'publish', 'engine', 'rss', 'fetch', 'daemon', 'browser'] as const
type Part = typeof PARTS[number]
/** The parts that do not measure --size's repository (rss and daemon make their own, browser takes the small one). */
const SIZE_FREE: ReadonlySet<Part> = new Set(['rss', 'daemon', 'browser'])

const USAGE = `usage: npm run bench -- [options]
  --size small|large     the benchmark repository (default small: a few minutes; large: the real run)
  --repeat N             runs of each measurement (default 3)
  --only LIST            comma-separated subset of ${PARTS.join(',')} (default: all; rss only with --rss-gb or --size large);
                         the other sections of an existing --out file are kept (same repository and machine only);
                         browser always clones the small repository (it needs ${CHROMIUM})
  --rss-gb, --no-rss-gb  peak RSS of mirror-clone and mirror-seed around a ~1 GB bundle (default: on for --size large)
  --scale                also run bench/scale.ts (runScale) and include its table
  --scale-size small|large  the repository the scale run clones (default small: with 8 clients and the
                         seeder on one machine, the large one measures 8 git index-packs sharing its cores)
  --out FILE             where to write the results (default bench/RESULTS.md)
  --keep                 keep the temporary directory
  --deadline MINUTES     give up (and clean up) after this long (default 20 for small, 240 for large)`

interface Options { size: BenchSize, repeat: number, parts: Set<Part>, scale: boolean, scaleSize: BenchSize, out: string, keep: boolean, deadlineMs: number, only: string[] }

const OPTIONS = {
  size: { type: 'string', default: 'small' },
  repeat: { type: 'string', default: '3' },
  only: { type: 'string' },
  'rss-gb': { type: 'boolean' },
  'no-rss-gb': { type: 'boolean' },
  scale: { type: 'boolean', default: false },
  'scale-size': { type: 'string', default: 'small' },
  out: { type: 'string' },
  keep: { type: 'boolean', default: false },
  deadline: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false }
} as const

function options (argv: string[]): Options {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const { values } = parsed
  if (values.help === true) { process.stdout.write(`${USAGE}\n`); process.exit(0) }
  const size = values.size as BenchSize
  if (size !== 'small' && size !== 'large') throw new UsageError(`--size is small or large, not ${String(values.size)}`)
  const scaleSize = values['scale-size'] as BenchSize
  if (scaleSize !== 'small' && scaleSize !== 'large') throw new UsageError(`--scale-size is small or large, not ${String(values['scale-size'])}`)
  const repeat = Number(values.repeat)
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 50) throw new UsageError('--repeat takes a whole number from 1 to 50')
  const only = values.only === undefined ? [] : values.only.split(',').map(s => s.trim()).filter(Boolean)
  for (const p of only) if (!(PARTS as readonly string[]).includes(p)) throw new UsageError(`--only: unknown part ${p} (${PARTS.join(', ')})`)
  const rssGb = values['no-rss-gb'] === true ? false : values['rss-gb'] === true || size === 'large' || only.includes('rss')
  const parts = new Set<Part>((only.length > 0 ? only as Part[] : [...PARTS]).filter(p => p !== 'rss' || rssGb))
  const minutes = values.deadline === undefined ? (size === 'large' ? 240 : 20) : Number(values.deadline)
  if (!(minutes > 0)) throw new UsageError('--deadline takes minutes > 0')
  if (parts.has('browser') && !existsSync(CHROMIUM)) throw new UsageError(`the browser part needs ${CHROMIUM} (apt-get install -y --no-install-recommends chromium), or leave it out with --only`)
  return {
    size, repeat, parts, only, scale: values.scale === true, scaleSize, keep: values.keep === true,
    out: path.resolve(values.out ?? path.join(repoRoot(), 'bench', 'RESULTS.md')),
    deadlineMs: minutes * 60_000
  }
}

class UsageError extends Error {}


const t0 = performance.now()
const log = (line: string): void => { process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}\n`) }

function commandLine (argv: string[]): string {
  const args = argv.map(a => /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`).join(' ')
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${args === '' ? '' : ` -- ${args}`}`
  return `node ${path.relative(repoRoot(), process.argv[1] ?? 'bench/run.js')}${args === '' ? '' : ` ${args}`}`
}

/** What a stopped seeder says about itself. */
async function seederFigures (s: Seeding): Promise<SeederFigures> {
  const { summary, rss } = await s.stop()
  const num = (v: unknown): number | null => typeof v === 'number' ? v : null
  return { rssKiB: rss?.maxRSSKiB ?? null, uploaded: num(summary?.uploaded), peersServed: num(summary?.peersServed) }
}

let lb: Loopback | null = null

async function main (argv: string[]): Promise<void> {
  const o = options(argv)
  const notes: string[] = []
  const date = new Date().toISOString()
  log(`${[...o.parts].join(', ')}${o.scale ? ', scale' : ''}; --size ${o.size}, --repeat ${o.repeat}`)
  const machine = describeMachine()
  const kept = o.only.length > 0 ? await keptSections(o.out) : []
  const repo = await ensureBenchRepo(o.size, { log })
  log(`repository ${repo.dir}: ${repo.commits} commits, ${repo.objects} objects, pack ${(repo.packBytes / 1e6).toFixed(1)} MB`)
  const r: BenchResults = {
    date, command: commandLine(argv), machine, repo, notes,
    options: { size: o.size, repeat: o.repeat, rssGb: o.parts.has('rss'), scale: o.scale, only: o.only },
    probe: null, clone: null, seeders: null, engine: null, publish: null, rss: null, scale: null, fetch: null, daemon: null, browser: null, seconds: 0
  }
  checkSameWorld(kept, renderSections(r), o.out, [...o.parts].every(p => SIZE_FREE.has(p)))
  lb = await startLoopback({ log, keep: o.keep })
  try {
    const key = await makeKey(lb)
    if (o.parts.has('clone') || o.parts.has('engine')) {
      const unsigned = await publishedOrigin(lb, repo.dir, { name: 'unsigned', key: null, bundleBytes: repo.packBytes })
      const signed = o.parts.has('clone') ? await publishedOrigin(lb, repo.dir, { name: 'signed', key, bundleBytes: repo.packBytes }) : null
      try {
        if (signed !== null) r.clone = await cloneBench(lb, { unsigned, signed }, { repeat: o.repeat })
        if (o.parts.has('engine')) r.engine = await engineBench(lb, unsigned, { repeat: o.repeat })
        log('checking the RSS probe against /usr/bin/time')
        r.probe = await checkProbe(lb, unsigned)
      } finally {
        r.seeders = { unsigned: await seederFigures(unsigned.seeder), signed: signed === null ? { rssKiB: null, uploaded: null, peersServed: null } : await seederFigures(signed.seeder) }
      }
    }
    if (o.parts.has('publish')) r.publish = await publishBench(lb, repo, key, { repeat: o.repeat })
    if (o.parts.has('rss')) r.rss = await rssBench(lb)
    if (o.parts.has('fetch')) r.fetch = await fetchBench(lb, repo, { repeat: o.repeat })
    if (o.parts.has('daemon')) r.daemon = await daemonBench(lb, { repeat: o.repeat })
    if (o.parts.has('browser')) {
      const small = o.size === 'small' ? repo : await ensureBenchRepo('small', { log })   // the page holds the bundle in memory
      r.browser = await browserBench(lb, small, { repeat: o.repeat })
    }
  } finally {
    await lb.close()
  }
  if (o.scale) {
    log(`scale: bench/scale.ts runScale on the ${o.scaleSize} repository`)   // its own loopback world, started after ours is gone
    const scaleRepo = o.scaleSize === o.size ? repo : await ensureBenchRepo(o.scaleSize, { log })
    const result = await runScale({ repoDir: scaleRepo.dir, log })
    r.scale = { markdown: scaleMarkdown(result), result }
  }
  for (const row of [...(r.clone?.rows ?? []), ...(r.publish?.rows ?? []), ...(r.engine?.rows ?? []), ...(r.fetch?.rows ?? [])]) {
    if (!row.valid) notes.push(`invalid run: ${row.kind} run ${row.run}: ${row.note ?? ''}`)
  }
  for (const c of r.daemon?.changes ?? []) if (c.note !== null) notes.push(`daemon: ${c.mode} run ${c.run} (${c.project}): ${c.note}`)
  for (const row of r.browser?.rows ?? []) if (!row.valid) notes.push(`invalid run: browser ${row.kind} run ${row.run}: ${row.note ?? ''}`)
  if (r.probe?.agrees === false) notes.push(r.probe.note ?? 'the RSS probe check failed')
  r.seconds = (performance.now() - t0) / 1000
  r.machine.loadEnd = os.loadavg()[0]!

  const tmp = `${o.out}.tmp-${process.pid}`
  const analysis = await readFile(path.join(repoRoot(), 'bench', 'ANALYSIS.md'), 'utf8').catch(() => null)
  const fresh = renderSections(r)
  const sections = o.only.length === 0 || kept.length === 0 ? fresh : mergeSections(fresh, kept, replacedSections(o))
  await writeFile(tmp, assembleMarkdown(sections, analysis))
  await rename(tmp, o.out)
  log(`wrote ${o.out}${sections === fresh ? '' : ` (kept from before: ${sections.filter(s => !fresh.includes(s)).map(s => s.name).join(', ')})`}`)
  process.stdout.write(JSON.stringify(summaryJson(r, o.out), null, 2) + '\n')
}

/** The sections of the results file a run of some parts keeps; none when there is no file yet. */
async function keptSections (file: string): Promise<Section[]> {
  if (!existsSync(file)) return []
  const sections = parseSections(await readFile(file, 'utf8'))
  if (sections.length === 0) throw new UsageError(`${file} has no marked sections to keep (it was written before --only kept them): run every part, or give --out`)
  return sections
}

/** The kept sections must describe the same machine as this run, and the same repository unless no part run measures it. */
function checkSameWorld (kept: Section[], fresh: Section[], file: string, sizeFree: boolean): void {
  for (const [name, volatile] of [['repo', REPO_FROM_CLONE], ['machine', MACHINE_VOLATILE]] as const) {
    if (name === 'repo' && sizeFree) continue
    const [before, now] = [kept.find(s => s.name === name), fresh.find(s => s.name === name)!]
    if (before !== undefined && !sameExcept(before, now, volatile)) {
      throw new UsageError(`${file} holds results of another ${name === 'repo' ? 'repository (--size)' : 'machine'}; --only would mix them: run every part, or give --out\n--- in ${file}\n${before.text}\n--- now\n${now.text}`)
    }
  }
}

/** The sections a run of o.parts writes anew: its parts', and those that come with them. */
function replacedSections (o: Options): Set<string> {
  const names = new Set<string>(o.parts)
  if (o.parts.has('clone')) names.add('repo')   // the bundle sizes
  if (o.parts.has('clone') || o.parts.has('engine')) names.add('probe')
  if (o.scale) names.add('scale')
  return names
}

function summaryJson (r: BenchResults, out: string): Record<string, unknown> {
  const s = r.clone?.summary
  const clone = s === undefined ? null : Object.fromEntries((Object.keys(s) as CloneKind[]).map(k => [k, s[k]]))
  return {
    results: out,
    command: r.command,
    date: r.date,
    seconds: Math.round(r.seconds),
    repo: { version: r.repo.version, commits: r.repo.commits, objects: r.repo.objects, tags: r.repo.tags, packBytes: r.repo.packBytes, bundleBytes: r.clone?.bundleBytes ?? null },
    targets: allTargets(r).map(t => ({ name: t.name, value: t.value, limit: `${t.op} ${t.limit}`, pass: t.pass })),
    clone,
    publish: r.publish?.medians ?? null,
    engine: r.engine === null ? null : { bundleBytes: r.engine.bundleBytes, medianRateMBs: r.engine.medianRate, medianInnerRateMBs: r.engine.medianInnerRate },
    rss: r.rss === null ? null : { bundleBytes: r.rss.bundleBytes, cloneKiB: r.rss.clone.rssKiB, seedKiB: r.rss.seed.rssKiB, idleSeedKiB: r.rss.idleSeedKiB, publishKiB: r.rss.publish.rssKiB },
    seeders: r.seeders,
    scale: r.scale?.result ?? null,
    fetch: r.fetch === null ? null : { increment: r.fetch.increment, summary: r.fetch.summary },
    daemon: r.daemon,
    browser: r.browser === null ? null : browserJson(r.browser),
    probeCheck: r.probe,
    notes: r.notes
  }
}

/** The browser part's figures by kind: medians of the valid runs. */
function browserJson (b: BrowserResult): Record<string, unknown> {
  const kinds = Object.keys(BROWSER_KINDS) as BrowserKind[]
  return {
    repo: { commits: b.repo.commits, objects: b.repo.objects, packBytes: b.repo.packBytes, bundleBytes: b.bundleBytes },
    daemonPeakKiB: b.daemonPeakKiB,
    medians: Object.fromEntries(kinds.map(k => {
      const rows = b.rows.filter(r => r.kind === k && r.valid)
      const m = (pick: (r: typeof rows[number]) => number | null | undefined): number | null => median(rows.map(r => pick(r) ?? NaN))
      return [k, {
        validRuns: rows.length,
        wallSeconds: m(r => r.wallSeconds),
        ownTotalSeconds: m(r => r.page?.times?.total ?? r.cli?.totalSeconds),
        downloadSeconds: m(r => r.page?.times?.download ?? r.cli?.downloadSeconds),
        indexSeconds: m(r => r.page?.times?.index ?? r.cli?.indexSeconds),
        heapBytes: m(r => r.page?.heapBytes),
        peakRssKiB: m(r => r.page?.renderer?.peakKiB ?? r.cli?.rssKiB)
      }]
    }))
  }
}

/** Ends the run on a deadline or a signal: stop everything started, then exit. */
function abort (why: string, code: number): void {
  log(`${why}: stopping everything`)
  const done = (): never => process.exit(code)
  setTimeout(done, 30_000).unref()
  void (lb?.close() ?? Promise.resolve()).finally(done)
}

const argv = process.argv.slice(2)
let deadline: NodeJS.Timeout | undefined
try {
  deadline = setTimeout(() => abort('deadline reached', 1), options(argv).deadlineMs)
  deadline.unref()
} catch { /* options() reports it below */ }
process.once('SIGINT', () => abort('interrupted', 130))
process.once('SIGTERM', () => abort('terminated', 143))

main(argv).catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof UsageError ? `${err.message}\n${USAGE}` : (err as Error).stack ?? String(err)}\n`)
  process.exitCode = err instanceof UsageError ? 2 : 1
}).finally(() => clearTimeout(deadline))
