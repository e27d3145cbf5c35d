// Section 8 of bench/RESULTS.md: the browser clone in headless Chromium.
import { BROWSER_KINDS, type BrowserKind, type BrowserResult, type BrowserRow } from './browser-bench.js'
import { table } from './markdown.js'
import { fmtMB, fmtRssMB, fmtS, median } from './measure.js'

const INTRO = 'The page that `mirror-daemon --http 127.0.0.1:0 --webrtc` serves at `/clone/` (built from src/browser/ by this run), in headless Chromium driven by playwright-core, cloning the small generated repository (always the small one, whatever `--size`: the page holds the bundle in memory and indexes it with isomorphic-git). The repository, served over loopback smart HTTP, is published unsigned and seeded by mirror-seed until the daemon, watching it as `origin`, has downloaded the bundle and seeds it; then that seeder is stopped, so the daemon is the only peer and the only web seed. Each page run opens `/clone/?remote=origin&webseeds=0` (WebRTC peers only: the daemon, met through its ws:// tracker) or `&peers=0` (the daemon\'s web seed only) in a fresh browser context (its own IndexedDB), clicks Clone and waits for the end. "wall" is click to `#status[data-state=done]` as the benchmark sees it; "own total", "download" and "index" are the page\'s "Time" row (its performance.now(): records, then download, verify, index; "records + verify" is the rest of its total); "JS heap" is the page\'s row, `performance.memory.usedJSHeapSize` when the clone ended (Chromium started with `--enable-precise-memory-info`); it leaves out ArrayBuffers, which hold the bundle. "peak RSS" of a page run is the kernel\'s VmHWM of the renderer process that ran it (the renderer that used the most CPU from click to end: "share" is its part of all renderers\' CPU meanwhile), shared library pages included, other Chromium processes (browser, GPU, network, storage) not; "before" is its VmRSS at the click. For comparison, the same bundle from the same daemon by `mirror-clone --no-checkout <url>` (its own report\'s total, download and index; its total also covers reading the records from the origin and completing from it where the bundle lacks something; peak RSS of its node process alone, from rss-probe.cjs, not its git children) and `git clone --no-checkout <url>` (time only); neither writes a work tree, as the page does not. The four run interleaved, the order rotated each round. A page run is valid when it ended `done`, took every byte from the one source it was given, raised no page error and shows the origin\'s refs. Headless Chromium on this machine is no laptop\'s browser: loopback has no latency, WebRTC runs unthrottled, and Chromium shares the cores with the daemon.'

type Pick = (r: BrowserRow) => number | null | undefined

/** "1.23 (1.10–1.40)": the median of the valid runs and their range. */
function spread (rows: BrowserRow[], pick: Pick, fmt: (x: number) => string): string {
  const xs = rows.map(pick).filter((x): x is number => typeof x === 'number' && Number.isFinite(x))
  const m = median(xs)
  if (m === null) return '—'
  const [lo, hi] = [Math.min(...xs), Math.max(...xs)]
  return xs.length === 1 || lo === hi ? fmt(m) : `${fmt(m)} (${fmt(lo)}–${fmt(hi)})`
}

const s = (x: number): string => fmtS(x)
const mb = (bytes: number): string => fmtMB(bytes)
const kib = (k: number): string => fmtRssMB(k)

const pickWall: Pick = r => r.wallSeconds
const pickTotal: Pick = r => r.page?.times?.total ?? r.cli?.totalSeconds
const pickDownload: Pick = r => r.page?.times?.download ?? r.cli?.downloadSeconds
const pickIndex: Pick = r => r.page?.times?.index ?? r.cli?.indexSeconds
const pickRest: Pick = r => r.page?.times == null ? null : r.page.times.total - r.page.times.download - r.page.times.index
const pickHeap: Pick = r => r.page?.heapBytes
const pickPeak: Pick = r => r.page?.renderer?.peakKiB ?? r.cli?.rssKiB

function source (r: BrowserRow): string {
  if (r.page !== null) {
    const p = r.page
    return r.kind === 'page-webrtc' ? `${fmtMB(p.fromPeers)} MB from ${p.peers ?? '—'} peer(s)` : `${fmtMB(p.fromWebSeeds)} MB from the web seed`
  }
  return r.cli === null ? '' : `${fmtMB(r.cli.swarmBytes)} MB from the swarm`
}

function renderer (r: BrowserRow): string {
  const x = r.page?.renderer
  if (x == null) return r.cli === null ? '' : 'node process'
  return `pid ${x.pid}; before ${x.beforeKiB === null ? '—' : fmtRssMB(x.beforeKiB)} MB; CPU ${fmtS(x.cpuSeconds)} s (share ${Math.round(100 * x.share)} %)`
}

export function browserSection (b: BrowserResult): string {
  const repo = `Repository: ${b.repo.commits} commits, ${b.repo.objects} objects, ${b.repo.branches} branches, ${b.repo.tags} tags, pack ${fmtMB(b.repo.packBytes)} MB (bench/generate-repo.ts \`--size small\`, version ${b.repo.version}); bundle ${fmtMB(b.bundleBytes)} MB (${b.bundleBytes} bytes), torrent ${b.infoHash}. The page: ${(b.pageBytes / 1024).toFixed(0)} KiB of JavaScript. Chromium ${b.chromium}.`
  const v = (k: BrowserKind): BrowserRow[] => b.rows.filter(r => r.kind === k && r.valid)
  const medians = table(['clone', 'wall s', 'own total s', 'download s', 'index s', 'records + verify s', 'JS heap MB', 'peak RSS MB', 'valid runs'],
    (Object.keys(BROWSER_KINDS) as BrowserKind[]).map(k => [BROWSER_KINDS[k], spread(v(k), pickWall, s), spread(v(k), pickTotal, s), spread(v(k), pickDownload, s),
      spread(v(k), pickIndex, s), spread(v(k), pickRest, s), spread(v(k), pickHeap, mb), spread(v(k), pickPeak, kib), `${v(k).length} of ${b.rows.filter(r => r.kind === k).length}`]))
  const cell = (r: BrowserRow, pick: Pick, fmt: (x: number) => string): string => { const x = pick(r); return typeof x === 'number' ? fmt(x) : '' }
  const runs = table(['clone', 'run', 'wall s', 'own total s', 'download s', 'index s', 'from', 'JS heap MB', 'peak RSS MB', 'renderer', 'valid'],
    b.rows.map(r => [BROWSER_KINDS[r.kind], String(r.run), fmtS(r.wallSeconds), cell(r, pickTotal, s), cell(r, pickDownload, s), cell(r, pickIndex, s), source(r),
      cell(r, pickHeap, mb), cell(r, pickPeak, kib), renderer(r), r.valid ? 'yes' : `**no**: ${(r.note ?? '').replace(/\n/g, ' ').replace(/\|/g, '\\|')}`]))
  return `${INTRO}\n\n${repo}\n\nMedians of the valid runs (range in parentheses):\n\n${medians}\n\n${runs}\n\n` +
    `The daemon (seeding the bundle, serving the page, its tracker and its web seed) peaked at ${fmtRssMB(b.daemonPeakKiB)} MB RSS (VmHWM). Load average (1 min) when this part started and ended: ${b.load.start.toFixed(2)}, ${b.load.end.toFixed(2)}.`
}
