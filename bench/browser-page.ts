// The browser clone page (src/browser/, served by mirror-daemon --http at
// /clone/) driven in headless Chromium for the browser benchmark: one clone
// in a fresh browser context, what the page reports about it, and what
// /proc says about the renderer process that ran it.
//
// Which renderer ran the page: Chromium gives every browser context its own
// renderer processes, keeps a spare one started ahead of need, and swaps
// processes on navigation, so "the process that appeared with the page" is
// ambiguous (checked here: two new renderers per context). The clone is
// seconds of JavaScript on one renderer's main thread (hashing pieces,
// inflating and indexing the pack), so the page's renderer is the one that
// used the most CPU between the click and the end; its share of all the
// renderers' CPU meanwhile is kept, to show the pick was unambiguous. Its
// peak is the kernel's VmHWM (peak resident set over the process's life,
// shared library pages included); a context's renderers are new, so that
// life is this page's.
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { chromium, type Browser } from 'playwright-core'
import { CLONE_ENDED, clonePageShows } from '../test/helpers/clone-page.js'
import { cpuSecondsOf, memoryOf } from './proc-stats.js'

export const CHROMIUM = '/usr/bin/chromium'

/**
 * Headless Chromium. Its own signal handlers are off: the benchmark's
 * abort() stops everything in order (playwright's exit hook still kills the
 * browser's process group if the benchmark exits first).
 * --enable-precise-memory-info: performance.memory (the page's "JS heap")
 * is otherwise rounded to coarse buckets.
 */
export async function launchChromium (): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is needed for the browser benchmark (apt-get install -y --no-install-recommends chromium)`)
  return await chromium.launch({
    executablePath: CHROMIUM, timeout: 30_000, args: ['--enable-precise-memory-info'],
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false
  })
}

export interface PageTimes { total: number, download: number, index: number }

export interface PageRun {
  state: string
  code: string | null
  text: string
  /** click to #status done or failed, measured here */
  wallSeconds: number
  /** the page's own figures (its "Time" row), seconds; null unless done */
  times: PageTimes | null
  /** bytes by source (the page's rows, MiB to one decimal) */
  fromPeers: number | null
  peers: number | null
  fromWebSeeds: number | null
  /** the page's "JS heap" row: performance.memory.usedJSHeapSize when the clone ended, bytes */
  heapBytes: number | null
  refs: string[][]
  renderer: RendererFigures | null
  /** uncaught errors in the page */
  errors: string[]
}

export interface RendererFigures {
  pid: number
  /** VmRSS just before the click (the page loaded; null: it started after), VmHWM at the end */
  beforeKiB: number | null
  peakKiB: number
  /** CPU seconds it used from the click to the end, and its share of all renderers' */
  cpuSeconds: number
  share: number
}

/** Opens `url` in a fresh context, clicks Clone and waits (at most timeoutMs) for the end; the context is closed again. */
export async function clonePage (browser: Browser, url: string, o: { timeoutMs: number }): Promise<PageRun> {
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', e => errors.push(e.message))
    await page.goto(url)
    await page.waitForSelector('#clone:enabled', { timeout: 30_000 })
    const before = await renderers()
    const t0 = performance.now()
    await page.click('#clone')
    await page.waitForSelector(CLONE_ENDED, { timeout: o.timeoutMs })
    const wallSeconds = (performance.now() - t0) / 1000
    const renderer = await busiest(before, await renderers())
    const shown = await clonePageShows(page)
    const done = shown.state === 'done'
    const peers = /\((\d+) peers?\)$/.exec(shown.summary['From WebRTC peers'] ?? '')
    return {
      state: shown.state,
      code: shown.code,
      text: shown.text,
      wallSeconds,
      times: done ? parseTime(shown.summary.Time ?? '') : null,
      fromPeers: done ? parseMiB(shown.summary['From WebRTC peers'] ?? '') : null,
      peers: peers === null ? null : Number(peers[1]),
      fromWebSeeds: done ? parseMiB(shown.summary['From web seeds'] ?? '') : null,
      heapBytes: done ? parseMiB(shown.summary['JS heap'] ?? '') : null,
      refs: shown.refs,
      renderer,
      errors
    }
  } finally {
    await context.close()
  }
}

/** The page's "Time" row: "0.75 s (download 0.56 s, index 0.14 s)". */
export function parseTime (text: string): PageTimes | null {
  const m = /^(\d+(?:\.\d+)?) s \(download (\d+(?:\.\d+)?) s, index (\d+(?:\.\d+)?) s\)$/.exec(text.trim())
  return m === null ? null : { total: Number(m[1]), download: Number(m[2]), index: Number(m[3]) }
}

/** The page's sizes: "12.3 MiB", "0.0 KiB", "1.5 MiB (2 peers)" (clone-page.ts mib()), in bytes. */
export function parseMiB (text: string): number | null {
  const m = /^(\d+(?:\.\d+)?) (KiB|MiB)\b/.exec(text.trim())
  return m === null ? null : Math.round(Number(m[1]) * (m[2] === 'KiB' ? 1024 : 1 << 20))
}

interface Renderer { pid: number, cpu: number, rssKiB: number }

/** Chromium's renderer processes among this process's descendants, with their CPU seconds and VmRSS. */
async function renderers (): Promise<Renderer[]> {
  const procs: Array<{ pid: number, ppid: number, renderer: boolean }> = []
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      // Chromium rewrites its command line into one string (its process title): a switch is a word, not an argument
      const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8')
      procs.push({ pid: Number(name), ppid, renderer: /(^|[\0 ])--type=renderer([\0 ]|$)/.test(cmdline) })
    } catch { /* gone meanwhile */ }
  }
  const parent = new Map(procs.map(p => [p.pid, p.ppid]))
  const ours = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; p = parent.get(p), hops++) if (p === process.pid) return true
    return false
  }
  const out: Renderer[] = []
  for (const p of procs.filter(x => x.renderer && ours(x.pid))) {
    const [cpu, mem] = [await cpuSecondsOf(p.pid), await memoryOf(p.pid)]
    if (cpu !== null && mem !== null) out.push({ pid: p.pid, cpu, rssKiB: mem.rssKiB })
  }
  return out
}

/** The renderer that used the most CPU between two readings, with its peak RSS; null when none did. */
async function busiest (before: Renderer[], after: Renderer[]): Promise<RendererFigures | null> {
  const used = after.map(a => ({ a, b: before.find(b => b.pid === a.pid), cpu: a.cpu - (before.find(b => b.pid === a.pid)?.cpu ?? 0) }))
  const total = used.reduce((n, u) => n + u.cpu, 0)
  const top = used.sort((x, y) => y.cpu - x.cpu)[0]
  if (top === undefined || top.cpu <= 0) return null
  const mem = await memoryOf(top.a.pid)
  if (mem === null) return null
  return { pid: top.a.pid, beforeKiB: top.b?.rssKiB ?? null, peakKiB: mem.hwmKiB, cpuSeconds: top.cpu, share: top.cpu / total }
}
