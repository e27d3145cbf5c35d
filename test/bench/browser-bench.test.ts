import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { BrowserResult, BrowserRow } from '../../bench/browser-bench.js'
import { parseMiB, parseTime, type PageRun } from '../../bench/browser-page.js'
import { browserSection } from '../../bench/browser-report.js'

test('parseTime and parseMiB read the page\'s summary rows as src/browser/clone-page.ts writes them', () => {
  const times: Array<[string, ReturnType<typeof parseTime>]> = [
    ['0.75 s (download 0.56 s, index 0.14 s)', { total: 0.75, download: 0.56, index: 0.14 }],
    ['31.82 s (download 9.67 s, index 22.10 s)', { total: 31.82, download: 9.67, index: 22.1 }],
    ['0.75 s', null],
    ['', null]
  ]
  for (const [text, want] of times) assert.deepEqual(parseTime(text), want, text)
  const sizes: Array<[string, number | null]> = [
    ['0.0 KiB', 0],
    ['512.5 KiB', 524800],
    ['31.1 MiB, torrent 49525a779aa270d5efd01c4de45cddd6167e5fd5', Math.round(31.1 * 2 ** 20)],
    ['31.1 MiB (1 peer)', Math.round(31.1 * 2 ** 20)],
    ['0.0 KiB (0 peers)', 0],
    ['12 MB', null],
    ['', null]
  ]
  for (const [text, want] of sizes) assert.equal(parseMiB(text), want, text)
})

test('browserSection: medians and ranges of the valid runs by kind; an invalid run is counted out and shown with its note', () => {
  const page = (total: number, heap: number, peakKiB: number): PageRun => ({
    state: 'done', code: null, text: 'cloned', wallSeconds: total + 0.1, times: { total, download: 1, index: total - 1.5 },
    fromPeers: 32e6, peers: 1, fromWebSeeds: 0, heapBytes: heap, refs: [], errors: [],
    renderer: { pid: 1, beforeKiB: 150_000, peakKiB, cpuSeconds: total, share: 0.99 }
  })
  const row = (r: Partial<BrowserRow> & Pick<BrowserRow, 'kind' | 'run'>): BrowserRow => ({ wallSeconds: 1, page: null, cli: null, valid: true, note: null, ...r })
  const rows: BrowserRow[] = [
    row({ kind: 'page-webrtc', run: 1, wallSeconds: 30.1, page: page(30, 100e6, 600_000) }),
    row({ kind: 'page-webrtc', run: 2, wallSeconds: 20.1, page: page(20, 200e6, 700_000) }),
    row({ kind: 'page-webrtc', run: 3, wallSeconds: 25.1, page: page(25, 150e6, 650_000) }),
    row({ kind: 'page-webseed', run: 1, valid: false, note: 'failed (DOWNLOAD_STALLED): a | b' }),
    row({ kind: 'mirror-clone', run: 1, wallSeconds: 3.5, cli: { totalSeconds: 3.2, downloadSeconds: 1.7, indexSeconds: 1.1, swarmBytes: 32e6, rssKiB: 156_250 } }),
    row({ kind: 'git-clone', run: 1, wallSeconds: 1.0 })
  ]
  const b: BrowserResult = {
    repo: { dir: '/x', size: 'small', commits: 3000, objects: 31083, tags: 50, branches: 7, packBytes: 32586329, files: 2180, generateSeconds: 5, version: 2 },
    bundleBytes: 32589866, infoHash: 'ab'.repeat(20), pageBytes: 560_000, chromium: '156', rows, daemonPeakKiB: 170_000, load: { start: 1, end: 2 }
  }
  const text = browserSection(b)
  const line = (start: string): string => text.split('\n').find(l => l.startsWith(`| ${start}`)) ?? ''   // the medians' table comes first
  assert.equal(line('the page, WebRTC'), '| the page, WebRTC peers only (`webseeds=0`) | 25.1 (20.1–30.1) | 25.0 (20.0–30.0) | 1.00 | 23.5 (18.5–28.5) | 0.50 | 150.0 (100.0–200.0) | 666 (614–717) | 3 of 3 |')
  assert.equal(line('the page, web seed'), '| the page, web seed only (`peers=0`) | — | — | — | — | — | — | — | 0 of 1 |')
  assert.equal(line('`mirror-clone'), '| `mirror-clone --no-checkout <url>` (the daemon its one peer) | 3.50 | 3.20 | 1.70 | 1.10 | — | — | 160 | 1 of 1 |')
  assert.equal(line('`git clone'), '| `git clone --no-checkout <url>` (smart HTTP) | 1.00 | — | — | — | — | — | — | 1 of 1 |')
  assert.match(text, /\*\*no\*\*: failed \(DOWNLOAD_STALLED\): a \\\| b \|$/m, 'a note cannot break the table')
})
