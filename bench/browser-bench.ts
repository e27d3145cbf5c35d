// Benchmark 8: the browser clone (issue 18) of the small generated
// repository. A copy of it, served over loopback smart HTTP, is published
// (unsigned) and seeded by mirror-seed; a `mirror-daemon --foreground --http
// 127.0.0.1:0 --webrtc` watching it as `origin` downloads the bundle and
// seeds it, and the publisher's seeder is stopped: the daemon is then the
// only peer and the only web seed. The page it serves at /clone/ is built
// from src/browser/ first (scripts/build-browser.ts), so what is measured is
// the source's page. Headless Chromium (playwright-core, one browser) clones
// in a fresh context each time, --repeat times each, interleaved:
//   page-webrtc    /clone/?remote=origin&webseeds=0: WebRTC peers only (the
//                  daemon through its ws:// tracker)
//   page-webseed   /clone/?remote=origin&peers=0: the daemon's web seed only
//   mirror-clone   mirror-clone --no-checkout <url>: the same bundle from the
//                  same daemon (over TCP, its one peer), then git fetch origin
//   git-clone      git clone --no-checkout <url>: time only
// --no-checkout: the page writes no work tree either (it lists HEAD's tree).
// A page run counts when it ended `done`, took its bytes from the one source
// it was given, raised no error, and shows the origin's refs.
import { mkdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { buildBrowser } from '../scripts/build-browser.js'
import { git } from '../test/helpers/env.js'
import { startProcess, type Running } from '../test/helpers/processes.js'
import { clonePage, launchChromium, type PageRun } from './browser-page.js'
import { buildRoot, lastJson, runMeasured } from './measure.js'
import { memoryOf } from './proc-stats.js'
import type { BenchRepo } from './repo.js'
import { budgetMs, publishedOrigin, runOurs, wrapperPath, type Loopback, type Origin } from './setup.js'

export type BrowserKind = 'page-webrtc' | 'page-webseed' | 'mirror-clone' | 'git-clone'

export const BROWSER_KINDS: Record<BrowserKind, string> = {
  'page-webrtc': 'the page, WebRTC peers only (`webseeds=0`)',
  'page-webseed': 'the page, web seed only (`peers=0`)',
  'mirror-clone': '`mirror-clone --no-checkout <url>` (the daemon its one peer)',
  'git-clone': '`git clone --no-checkout <url>` (smart HTTP)'
}

const QUERY: Record<'page-webrtc' | 'page-webseed', Record<string, string>> = {
  'page-webrtc': { remote: 'origin', webseeds: '0' },
  'page-webseed': { remote: 'origin', peers: '0' }
}

export interface BrowserRow {
  kind: BrowserKind
  run: number
  /** the page: click to done, measured by the benchmark; a command: spawn to exit */
  wallSeconds: number
  page: PageRun | null
  /** mirror-clone's report: its own total and download, bytes from the swarm; its node process's peak RSS */
  cli: { totalSeconds: number, downloadSeconds: number, indexSeconds: number, swarmBytes: number, rssKiB: number | null } | null
  valid: boolean
  note: string | null
}

export interface BrowserResult {
  repo: BenchRepo
  bundleBytes: number
  infoHash: string
  pageBytes: number
  chromium: string
  rows: BrowserRow[]
  /** the daemon's peak RSS (VmHWM) from its start to the last run */
  daemonPeakKiB: number | null
  load: { start: number, end: number }
}

export async function browserBench (lb: Loopback, repo: BenchRepo, o: { repeat: number }): Promise<BrowserResult> {
  const loadStart = os.loadavg()[0]!
  const dir = path.join(lb.te.dir, 'browser')
  await mkdir(dir, { recursive: true })
  const page = await buildBrowser(path.join(buildRoot(), 'browser'))
  lb.log(`browser: the page built from src/browser/ (${(page.bytes / 1024).toFixed(0)} KiB)`)
  const origin = await publishedOrigin(lb, repo.dir, { name: 'browser', key: null, bundleBytes: repo.packBytes })
  const bundle = origin.published.json.bundle
  let daemon: Running | null = null
  let browser: Browser | null = null
  const closeBrowser = async (): Promise<void> => { const b = browser; browser = null; await b?.close() }
  lb.onClose(closeBrowser)
  try {
    const d = daemon = await startDaemon(lb, origin, dir)
    const base = (await d.waitFor(/^STATUS - http (http:\/\/127\.0\.0\.1:\d+)$/, { stream: 'stdout', timeoutMs: 30_000 }))[1]!
    await d.waitFor(/^STATUS origin seeding 1 bundle\(s\)/, { stream: 'stdout', timeoutMs: budgetMs(bundle.size) })
    await origin.seeder.stop()   // the daemon is the only peer and the only web seed left
    lb.log(`browser: the daemon at ${base} seeds ${origin.published.json.infoHash} (${bundle.size} bytes); the publisher's seeder stopped`)
    const b = browser = await launchChromium()
    const expected = await originRefs(lb, origin)
    const rows: BrowserRow[] = []
    const kinds = Object.keys(BROWSER_KINDS) as BrowserKind[]
    for (let run = 1; run <= o.repeat; run++) {
      const order = [...kinds.slice((run - 1) % kinds.length), ...kinds.slice(0, (run - 1) % kinds.length)]
      for (const kind of order) {
        lb.log(`browser run ${run}/${o.repeat}: ${kind}`)
        const work = path.join(dir, `run-${run}`, kind)
        await mkdir(work, { recursive: true })
        const row = kind === 'page-webrtc' || kind === 'page-webseed'
          ? await pageRun(b, kind, run, `${base}/clone/?${new URLSearchParams(QUERY[kind]).toString()}`, expected, bundle.size)
          : kind === 'mirror-clone' ? await mirrorClone(lb, origin, work, run) : await gitClone(lb, origin, work, run)
        lb.log(`browser run ${run}/${o.repeat}: ${kind} ${row.wallSeconds.toFixed(2)} s${row.valid ? '' : ` (invalid: ${row.note ?? ''})`}`)
        rows.push(row)
        await rm(work, { recursive: true, force: true })
      }
    }
    const daemonPeakKiB = (await memoryOf(d.child.pid!))?.hwmKiB ?? null
    return {
      repo, bundleBytes: bundle.size, infoHash: origin.published.json.infoHash, pageBytes: page.bytes, chromium: b.version(),
      rows, daemonPeakKiB, load: { start: loadStart, end: os.loadavg()[0]! }
    }
  } finally {
    await closeBrowser()
    await daemon?.stop('SIGTERM', 30_000)
    await origin.seeder.stop()
  }
}

/** mirror-daemon in a repository whose `origin` is the published copy. */
async function startDaemon (lb: Loopback, origin: Origin, dir: string): Promise<Running> {
  const repo = path.join(dir, 'daemon-repo')
  await git(['init', '-q', repo], { cwd: dir, env: lb.env })
  await git(['remote', 'add', 'origin', origin.url], { cwd: repo, env: lb.env })
  return startProcess(process.execPath, [wrapperPath(lb, 'mirror-daemon'), '--foreground', '--interval', '600', '--timeout', '30',
    '--store', path.join(dir, 'daemon-store'), '--http', '127.0.0.1:0', '--webrtc', ...lb.net], { cwd: repo, env: lb.env, interactive: true })
}

/** The origin's refs as the page lists them: HEAD included, its records and peeled tags left out. */
async function originRefs (lb: Loopback, origin: Origin): Promise<string> {
  const out = await git(['ls-remote', origin.url], { cwd: lb.te.dir, env: lb.env })
  return out.trim().split('\n').map(l => l.split('\t').reverse().join(' ')).filter(l => !l.startsWith('refs/mirrors/') && !/\^\{\}/.test(l)).sort().join('\n')
}

async function pageRun (browser: Browser, kind: 'page-webrtc' | 'page-webseed', run: number, url: string, expected: string, bundleBytes: number): Promise<BrowserRow> {
  const p = await clonePage(browser, url, { timeoutMs: 2 * budgetMs(bundleBytes) })
  const notes: string[] = []
  if (p.state !== 'done') notes.push(`${p.state} (${p.code ?? ''}): ${p.text}`)
  else {
    if (p.times === null) notes.push('no Time row')
    const [wanted, other] = kind === 'page-webrtc' ? [p.fromPeers, p.fromWebSeeds] : [p.fromWebSeeds, p.fromPeers]
    if (wanted === null || wanted === 0 || other !== 0) notes.push(`bytes from peers ${p.fromPeers ?? '?'}, from web seeds ${p.fromWebSeeds ?? '?'}`)
    if (p.refs.map(r => r.join(' ')).sort().join('\n') !== expected) notes.push(`shows ${p.refs.length} refs, not the origin's`)
  }
  if (p.errors.length > 0) notes.push(`page errors: ${p.errors.join('; ')}`)
  return { kind, run, wallSeconds: p.wallSeconds, page: p, cli: null, valid: notes.length === 0, note: notes.length === 0 ? null : notes.join('; ') }
}

async function mirrorClone (lb: Loopback, origin: Origin, work: string, run: number): Promise<BrowserRow> {
  const home = path.join(work, 'home')   // fresh cache and state: nothing downloaded before
  const r = await runOurs(lb, 'mirror-clone', ['--json', '--quiet', '--no-checkout', '--timeout', '30', '--cache', path.join(home, 'cache'), ...lb.net, origin.url, path.join(work, 'clone')],
    { cwd: work, env: { ...lb.env, XDG_CACHE_HOME: path.join(home, 'xdg-cache'), XDG_STATE_HOME: path.join(home, 'state') }, timeoutMs: budgetMs(origin.published.json.bundle.size), rssFile: path.join(work, 'rss.jsonl') })
  const row: BrowserRow = { kind: 'mirror-clone', run, wallSeconds: r.seconds, page: null, cli: null, valid: false, note: null }
  if (r.code !== 0) return { ...row, note: `exit ${r.code ?? r.signal}: ${r.stderr.trim().slice(-300)}` }
  const report = lastJson<{ method: string, fallbackReason: string | null, bytes: { swarm: number }, seconds: { download: number, index: number, total: number } }>(r.stdout, 'mirror-clone')
  row.cli = { totalSeconds: report.seconds.total, downloadSeconds: report.seconds.download, indexSeconds: report.seconds.index, swarmBytes: report.bytes.swarm, rssKiB: r.rss?.maxRSSKiB ?? null }
  if (report.method !== 'torrent') return { ...row, note: `method ${report.method}: ${report.fallbackReason ?? ''}` }
  return { ...row, valid: true }
}

async function gitClone (lb: Loopback, origin: Origin, work: string, run: number): Promise<BrowserRow> {
  const r = await runMeasured('git', ['clone', '--quiet', '--no-checkout', origin.url, path.join(work, 'clone')], { cwd: work, env: lb.env, timeoutMs: budgetMs(origin.published.json.bundle.size) })
  const note = r.code === 0 ? null : `exit ${r.code ?? r.signal}: ${r.stderr.trim().slice(-300)}`
  return { kind: 'git-clone', run, wallSeconds: r.seconds, page: null, cli: null, valid: note === null, note }
}
