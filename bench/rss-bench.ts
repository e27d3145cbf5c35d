// Benchmark 4: peak RSS of our node processes around a ~1 GB bundle. A
// repository of 16 incompressible 64 MiB files over a few commits (made once
// with fixtures/make-repo.ts and cached in bench/.cache/), published (unsigned), seeded by a
// mirror-seed of its own, cloned once by mirror-clone (and, for comparison, a
// mirror-seed of it started and stopped with no peer); each node process
// reports its own peak RSS through the rss-probe preload (git's processes are
// not counted: RUSAGE_SELF), and both are sampled (VmRSS) along the clone.
import path from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { lastJson, peakSample, sampleRss, target, type RssSample, type Target } from './measure.js'
import { ensureMadeRepo, type BenchRepo } from './repo.js'
import type { CloneReportJson } from './clone-bench.js'
import { budgetMs, publishedOrigin, runOurs, startSeeder, type Loopback, type Origin } from './setup.js'

export const RSS_LIMIT_BYTES = 200e6

export interface RssResult {
  repo: BenchRepo
  bundleBytes: number
  publish: { seconds: number, rssKiB: number | null }
  clone: { seconds: number, rssKiB: number | null, method: string | null, download: number | null, note: string | null }
  seed: { rssKiB: number | null, uploaded: number | null }
  /** a mirror-seed of the same bundle started, ready and stopped without a peer */
  idleSeedKiB: number | null
  /** VmRSS sampled every 0.2 s from the clone's start (t in seconds): where the peaks fall */
  timeline: Timeline
}

export interface Timeline {
  /** mirror-clone's phases as cumulative seconds since its start (its own clock) */
  phasesEnd: { discover: number, download: number, index: number, originFetch: number } | null
  clonePeak: RssSample | null
  seedPeak: RssSample | null
  /** the seeder when the clone's download phase ended, and 3 s after the clone exited */
  seedAtDownloadEnd: RssSample | null
  seedAfter: RssSample | null
}

export async function ensureGbRepo (log: (line: string) => void): Promise<BenchRepo> {
  return await ensureMadeRepo({ name: 'rss-1g', version: 1, size: 'large', spec: { commits: 16, branches: 2, tags: 3, binaryFiles: 16, binaryBytes: 64 * 2 ** 20 } }, { log })
}

export async function rssBench (lb: Loopback): Promise<RssResult> {
  const repo = await ensureGbRepo(lb.log)
  const origin = await publishedOrigin(lb, repo.dir, { name: 'rss-1g', key: null, bundleBytes: repo.packBytes })
  const bytes = origin.published.json.bundle.size
  const dir = path.join(lb.te.dir, 'rss-clone')
  lb.log(`cloning the ${(bytes / 1e9).toFixed(2)} GB bundle`)
  // the publish's seeder, stopped unused: what seeding costs before anyone connects
  const idle = await origin.seeder.stop()
  const seeder = await startSeeder(lb, origin.store, origin.published.json.infoHash, path.join(lb.te.dir, 'rss', 'seed-1g-serving.jsonl'))
  const seedSampler = sampleRss(seeder.running.child.pid!)
  let cloneSampler: ReturnType<typeof sampleRss> | undefined
  const clone = await cloneOnce(lb, origin, dir, bytes, pid => { if (pid !== undefined) cloneSampler = sampleRss(pid) })
    .catch(async (err: unknown) => { seedSampler.stop(); cloneSampler?.stop(); await seeder.stop(); throw err })
  const cloneSamples = cloneSampler?.stop() ?? []
  await delay(3000)
  const seedSamples = seedSampler.stop()
  const seeded = await seeder.stop()
  const p = clone.phases
  const phasesEnd = p === null ? null : { discover: p.discover, download: p.discover + p.download, index: p.discover + p.download + p.index, originFetch: p.discover + p.download + p.index + p.originFetch }
  const at = (t: number): RssSample | null => seedSamples.find(x => x.t >= t) ?? null
  return {
    repo,
    bundleBytes: bytes,
    publish: { seconds: origin.published.run.seconds, rssKiB: origin.published.run.rss?.maxRSSKiB ?? null },
    clone,
    seed: { rssKiB: seeded.rss?.maxRSSKiB ?? null, uploaded: typeof seeded.summary?.uploaded === 'number' ? seeded.summary.uploaded : null },
    idleSeedKiB: idle.rss?.maxRSSKiB ?? null,
    timeline: {
      phasesEnd,
      clonePeak: peakSample(cloneSamples),
      seedPeak: peakSample(seedSamples),
      seedAtDownloadEnd: phasesEnd === null ? null : at(phasesEnd.download),
      seedAfter: seedSamples[seedSamples.length - 1] ?? null
    }
  }
}

async function cloneOnce (lb: Loopback, origin: Origin, dir: string, bytes: number, onStart: (pid: number | undefined) => void): Promise<RssResult['clone'] & { phases: CloneReportJson['seconds'] | null }> {
  const env = { ...lb.env, XDG_CACHE_HOME: path.join(dir, 'home', 'cache'), XDG_STATE_HOME: path.join(dir, 'home', 'state') }
  const r = await runOurs(lb, 'mirror-clone', ['--json', '--quiet', '--timeout', '60', '--cache', path.join(dir, 'cache'), ...lb.net, origin.url, path.join(dir, 'project')],
    { cwd: lb.te.dir, env, timeoutMs: budgetMs(bytes) * 2, rssFile: path.join(lb.te.dir, 'rss', 'clone-1g.jsonl'), onStart })
  const rep = r.code === 0 ? lastJson<CloneReportJson>(r.stdout, 'mirror-clone') : null
  return {
    seconds: r.seconds,
    rssKiB: r.rss?.maxRSSKiB ?? null,
    method: rep?.method ?? null,
    download: rep?.seconds.download ?? null,
    phases: rep?.seconds ?? null,
    note: r.code !== 0 ? `exit ${r.code ?? r.signal}: ${r.stderr.trim().slice(-300)}` : rep?.method !== 'torrent' ? `method ${rep?.method}: ${rep?.fallbackReason ?? ''}` : null
  }
}

export function rssTargets (r: RssResult): Target[] {
  const mb = (kib: number | null): number | null => kib === null ? null : kib * 1024 / 1e6
  const ok = r.clone.note === null
  return [
    target('peak RSS, mirror-clone of the ~1 GB bundle (MB)', ok ? mb(r.clone.rssKiB) : null, '<=', RSS_LIMIT_BYTES / 1e6, 'MB'),
    target('peak RSS, mirror-seed serving that clone (MB)', ok ? mb(r.seed.rssKiB) : null, '<=', RSS_LIMIT_BYTES / 1e6, 'MB')
  ]
}
