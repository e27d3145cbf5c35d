// Benchmark 3: the download engine. The same bundle (the unsigned publish's
// single-file torrent) from the same single seeder (mirror-seed), fetched by
//   ours:   bench/engine-download.js, our webtorrent client and downloadTorrent()
//           in a process of its own (wall time from spawn to exit, and its own
//           add-to-done time);
//   aria2c: the torrent file, announcing only to the loopback tracker, no DHT,
//           LPD or PEX (wall time from spawn to exit, and aria2c's own average);
//   mirror-clone --no-checkout: its report's seconds.download (discovery and
//           indexing excluded; includes the header check of the bundle).
// Runs are interleaved; rate = bundle bytes / seconds, in MB/s (10^6 bytes/s).
import { mkdir, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { aria2Args, hasAria2 } from '../test/helpers/aria2.js'
import { freePort } from '../test/helpers/wait.js'
import type { CloneReportJson } from './clone-bench.js'
import { buildRoot, lastJson, median, MB, readRss, rssEnv, runMeasured, target, type Target } from './measure.js'
import { budgetMs, runOurs, type Loopback, type Origin } from './setup.js'

export type EngineKind = 'ours-direct' | 'aria2c' | 'mirror-clone-download'

export interface EngineRow {
  kind: EngineKind
  run: number
  /** process wall time (spawn to exit); for mirror-clone-download, its seconds.download */
  seconds: number
  /** the client's own figure: ours' add-to-done seconds, aria2c's average speed as seconds, null otherwise */
  innerSeconds: number | null
  rateMBs: number
  rssKiB: number | null
  valid: boolean
  note: string | null
}

export interface EngineResult {
  bundleBytes: number
  rows: EngineRow[]
  medianRate: Record<EngineKind, number | null>
  medianInnerRate: Record<EngineKind, number | null>
  aria2c: string | null
}

export async function engineBench (lb: Loopback, origin: Origin, o: { repeat: number }): Promise<EngineResult> {
  const { bundle, torrent } = origin.published.json
  const bytes = bundle.size
  const budget = budgetMs(bytes)
  const rows: EngineRow[] = []
  const row = (kind: EngineKind, run: number, seconds: number, innerSeconds: number | null, rssKiB: number | null, note: string | null): void => {
    rows.push({ kind, run, seconds, innerSeconds, rateMBs: bytes / MB / seconds, rssKiB, valid: note === null, note })
  }
  const gotSize = async (file: string): Promise<string | null> => {
    const size = await stat(file).then(s => s.size, () => -1)
    return size === bytes ? null : `downloaded ${size} bytes, expected ${bytes}`
  }

  for (let run = 1; run <= o.repeat; run++) {
    const dir = path.join(lb.te.dir, 'engine', `run-${run}`)
    await mkdir(dir, { recursive: true })
    lb.log(`engine run ${run}/${o.repeat}`)

    // ours, direct
    const rssFile = path.join(dir, 'ours.rss.jsonl')
    const ours = await runMeasured(process.execPath, [path.join(buildRoot(), 'bench', 'engine-download.js'), '--torrent', torrent, '--out', path.join(dir, 'ours'), '--tracker', lb.tracker.announceUrl],
      { cwd: dir, env: rssEnv(lb.env, rssFile), timeoutMs: budget })
    if (ours.code !== 0) row('ours-direct', run, ours.seconds, null, null, `exit ${ours.code ?? ours.signal}: ${ours.stderr.trim().slice(-300)}`)
    else {
      const j = lastJson<{ addToDoneSeconds: number }>(ours.stdout, 'engine-download')
      row('ours-direct', run, ours.seconds, j.addToDoneSeconds, (await readRss(rssFile, ours.pid))?.maxRSSKiB ?? null, await gotSize(path.join(dir, 'ours', bundle.file)))
    }

    // aria2c
    if (hasAria2()) {
      const out = path.join(dir, 'aria2c')
      await mkdir(out, { recursive: true })
      const env = { ...lb.env }
      for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY', 'ftp_proxy', 'FTP_PROXY']) delete env[k]
      const args = aria2Args(torrent, out, [await freePort(), await freePort(), await freePort()],
        { timeoutMs: budget, stallSeconds: 30, env, extraArgs: ['--bt-exclude-tracker=*', `--bt-tracker=${lb.tracker.announceUrl}`] })
      const r = await runMeasured('aria2c', args, { cwd: out, env, timeoutMs: budget + 10_000 })
      const avg = aria2Average(r.stdout)
      row('aria2c', run, r.seconds, avg === null ? null : bytes / avg, null,
        r.code !== 0 ? `exit ${r.code ?? r.signal}: ${r.stdout.slice(-300)}${r.stderr.slice(-300)}` : await gotSize(path.join(out, bundle.file)))
    }

    // mirror-clone --no-checkout: the download phase of a real clone
    const home = path.join(dir, 'clone-home')
    const env = { ...lb.env, XDG_CACHE_HOME: path.join(home, 'cache'), XDG_STATE_HOME: path.join(home, 'state') }
    const cl = await runOurs(lb, 'mirror-clone', ['--json', '--quiet', '--no-checkout', '--timeout', '30', '--cache', path.join(home, 'mirror-cache'), ...lb.net, origin.url, path.join(dir, 'clone')],
      { cwd: dir, env, timeoutMs: budget, rssFile: path.join(dir, 'clone.rss.jsonl') })
    if (cl.code !== 0) row('mirror-clone-download', run, NaN, null, null, `exit ${cl.code ?? cl.signal}: ${cl.stderr.trim().slice(-300)}`)
    else {
      const rep = lastJson<CloneReportJson>(cl.stdout, 'mirror-clone')
      row('mirror-clone-download', run, rep.seconds.download, null, cl.rss?.maxRSSKiB ?? null, rep.method === 'torrent' ? null : `method ${rep.method}: ${rep.fallbackReason ?? ''}`)
    }
    await rm(dir, { recursive: true, force: true })
  }

  const kinds: EngineKind[] = ['ours-direct', 'aria2c', 'mirror-clone-download']
  const valid = (k: EngineKind): EngineRow[] => rows.filter(r => r.kind === k && r.valid)
  return {
    bundleBytes: bytes,
    rows,
    medianRate: Object.fromEntries(kinds.map(k => [k, median(valid(k).map(r => r.rateMBs))])) as Record<EngineKind, number | null>,
    medianInnerRate: Object.fromEntries(kinds.map(k => [k, median(valid(k).flatMap(r => r.innerSeconds === null ? [] : [bytes / MB / r.innerSeconds]))])) as Record<EngineKind, number | null>,
    aria2c: hasAria2() ? null : 'aria2c is not installed (apt-get install -y aria2)'
  }
}

/** aria2c's "Download Results" average speed, in bytes per second. */
export function aria2Average (stdout: string): number | null {
  const m = /\|OK\s*\|\s*([\d.]+)([KMG]?)i?B\/s\s*\|/.exec(stdout)
  if (m === null) return null
  return Number(m[1]) * 1024 ** ['', 'K', 'M', 'G'].indexOf(m[2]!)
}

export function engineTargets (r: EngineResult): Target[] {
  const ours = r.medianRate['ours-direct']
  const aria = r.medianRate.aria2c
  return [target('download rate: ours (direct, wall) / aria2c (wall)', ours === null || aria === null ? null : ours / aria, '>=', 1)]
}
