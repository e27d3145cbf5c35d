// bench/RESULTS.md from one run's results: every run's figure, the medians,
// the targets with PASS/FAIL, the machine and how to reproduce; each part in a
// marked section that names the run (bench/results-file.ts), so that a run of
// some parts can keep the other parts' sections.
import os from 'node:os'
import { CLONE_KINDS, cloneTargets, type CloneKind, type CloneReportJson, type CloneResult } from './clone-bench.js'
import { engineTargets, type EngineKind, type EngineResult } from './engine-bench.js'
import { FETCH_KINDS, fetchTargets, type FetchKind, type FetchResult } from './fetch-bench.js'
import type { Machine } from './machine.js'
import type { BrowserResult } from './browser-bench.js'
import { browserSection } from './browser-report.js'
import { daemonSection } from './daemon-report.js'
import { daemonTargets, type DaemonResult } from './daemon-bench.js'
import { table, targetsTable } from './markdown.js'
import { fmtKB, fmtMB, fmtRssMB, fmtS, median, type Target } from './measure.js'
import type { ProbeCheck } from './probe-check.js'
import { PUBLISH_KINDS, publishTargets, type PublishKind, type PublishResult } from './publish-bench.js'
import type { BenchRepo } from './repo.js'
import { provenance, printSection, targetRows, TARGETS_HEAD, type Section, type Stamp } from './results-file.js'
import { rssTargets, type RssResult } from './rss-bench.js'
import type { ScaleResult } from './scale.js'

export interface SeederFigures { rssKiB: number | null, uploaded: number | null, peersServed: number | null }

export interface BenchResults {
  date: string
  command: string
  options: { size: string, repeat: number, rssGb: boolean, scale: boolean, only: string[] }
  machine: Machine
  repo: BenchRepo
  probe: ProbeCheck | null
  clone: CloneResult | null
  seeders: { unsigned: SeederFigures, signed: SeederFigures } | null
  engine: EngineResult | null
  publish: PublishResult | null
  rss: RssResult | null
  scale: { markdown: string, result: ScaleResult } | null
  fetch: FetchResult | null
  daemon: DaemonResult | null
  browser: BrowserResult | null
  seconds: number
  notes: string[]
}

export function allTargets (r: BenchResults): Target[] {
  return [
    ...(r.clone === null ? [] : cloneTargets(r.clone)),
    ...(r.publish === null ? [] : publishTargets(r.publish)),
    ...(r.engine === null ? [] : engineTargets(r.engine)),
    ...(r.rss === null ? [] : rssTargets(r.rss)),
    ...(r.fetch === null ? [] : fetchTargets(r.fetch)),
    ...(r.daemon === null ? [] : daemonTargets(r.daemon))
  ]
}

export { targetsTable }

function machineSection (m: Machine): string {
  return table(['', ''], [
    ['CPU', `${m.cpu} (${m.cores} cores)`], ['memory', `${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB`],
    ['OS, kernel', `${m.os}; ${m.kernel}`], ['load average (1 min) at start, at end', `${m.loadStart.toFixed(2)}, ${m.loadEnd?.toFixed(2) ?? '—'} (other work on the machine shows here)`], ['node', m.node], ['git', m.git], ['aria2c', m.aria2c ?? 'not installed'], ['disk', m.disk]
  ])
}

function repoSection (r: BenchResults): string {
  const bundle = r.clone?.bundleBytes
  return table(['', ''], [
    ['generator', `bench/generate-repo.ts version ${r.repo.version}, generated in ${fmtS(r.repo.generateSeconds)} s (cached in bench/.cache/)`],
    ['commits', String(r.repo.commits)], ['objects', String(r.repo.objects)], ['branches', String(r.repo.branches)], ['tags', String(r.repo.tags)],
    ['files in HEAD', String(r.repo.files)], ['pack size', `${fmtMB(r.repo.packBytes)} MB (${r.repo.packBytes} bytes)`],
    ['bundle (mirror-publish, unsigned)', bundle === undefined ? '—' : `${fmtMB(bundle)} MB (${bundle} bytes)`],
    ['bundle (signed publish)', r.clone === null ? '—' : `${fmtMB(r.clone.signedBundleBytes)} MB (${r.clone.signedBundleBytes} bytes)`]
  ])
}

function cloneSection (c: CloneResult, seeders: BenchResults['seeders']): string {
  const phases = (k: CloneKind, row: CloneResult['rows'][number]): string[] => {
    const s = row.report?.seconds
    return k.startsWith('mirror') && s !== undefined ? [fmtS(s.discover), fmtS(s.download), fmtS(s.index), fmtS(s.originFetch)] : ['', '', '', '']
  }
  const cores = os.cpus().length
  const busy = (cpu: number | null, wall: number | null): string => cpu === null || wall === null || wall === 0 ? '—' : `${Math.round(100 * cpu / (wall * cores))}%`
  const runs = table(['clone', 'run', 'wall s', 'origin sent KB', 'peak RSS MB (node)', 'CPU s (machine)', 'I/O wait s', 'discover', 'download', 'index', 'originFetch', 'method / verified / indexedBy', 'valid'],
    c.rows.map(r => [CLONE_KINDS[r.kind], String(r.run), fmtS(r.seconds), fmtKB(r.originBytes), fmtRssMB(r.rssKiB), fmtS(r.cpuSeconds), fmtS(r.ioWaitSeconds), ...phases(r.kind, r),
      r.report === null ? '' : `${r.report.method} / ${r.report.verified} / ${r.report.indexedBy ?? '—'}`, r.valid ? 'yes' : `**no**: ${r.note ?? ''}`]))
  const medians = table(['clone', 'median wall s', 'median origin sent KB', 'median peak RSS MB', `median CPU s (machine; ${cores} cores)`, 'CPU busy', 'median I/O wait s', 'valid runs'],
    Object.values(c.summary).map(s => [CLONE_KINDS[s.kind], fmtS(s.seconds), fmtKB(s.originBytes), fmtRssMB(s.rssKiB), fmtS(s.cpuSeconds), busy(s.cpuSeconds, s.seconds), fmtS(s.ioWaitSeconds), String(s.validRuns)]))
  const phaseMedians = table(['mirror-clone phase (median s)', 'discover', 'download', 'index', 'originFetch (incl. checkout)', 'total (its own clock)'],
    (['mirror-clone', 'mirror-clone-signed'] as const).map(k => {
      const reps = c.rows.filter(r => r.kind === k && r.valid && r.report !== null).map(r => r.report!.seconds)
      const m = (f: (s: CloneReportJson['seconds']) => number): string => fmtS(median(reps.map(f)))
      return [CLONE_KINDS[k], m(s => s.discover), m(s => s.download), m(s => s.index), m(s => s.originFetch), m(s => s.total)]
    }))
  const seeding = seeders === null ? '' : '\n\nThe seeders (one per publish, alive through the clone and engine runs): ' +
    (['unsigned', 'signed'] as const).map(k => `${k}: peak RSS ${fmtRssMB(seeders[k].rssKiB)} MB, uploaded ${fmtMB(seeders[k].uploaded)} MB to ${seeders[k].peersServed ?? '—'} peer(s)`).join('; ') + '.'
  return `${runs}\n\nMedians of the valid runs:\n\n${medians}\n\n${phaseMedians}\n\n${targetsTable(cloneTargets(c))}${seeding}`
}

function publishSection (p: PublishResult): string {
  const runs = table(['command', 'run', 'wall s', 'bundle MB', 'peak RSS MB (node)', 'valid'],
    p.rows.map(r => [PUBLISH_KINDS[r.kind], String(r.run), fmtS(r.seconds), fmtMB(r.bundleBytes), fmtRssMB(r.rssKiB), r.valid ? 'yes' : `**no**: ${r.note ?? ''}`]))
  const medians = table(['command', 'median wall s', 'median peak RSS MB'],
    (Object.keys(PUBLISH_KINDS) as PublishKind[]).map(k => [PUBLISH_KINDS[k], fmtS(p.medians[k].seconds), fmtRssMB(p.medians[k].rssKiB)]))
  return `${runs}\n\n${medians}\n\n${targetsTable(publishTargets(p))}`
}

const ENGINE_NAMES: Record<EngineKind, string> = {
  'ours-direct': 'ours (engine-download: webtorrent + downloadTorrent)',
  aria2c: 'aria2c',
  'mirror-clone-download': 'mirror-clone --no-checkout, seconds.download'
}

function engineSection (e: EngineResult): string {
  const runs = table(['client', 'run', 'seconds', 'MB/s', "client's own s", 'peak RSS MB', 'valid'],
    e.rows.map(r => [ENGINE_NAMES[r.kind], String(r.run), fmtS(r.seconds), r.rateMBs.toFixed(1), fmtS(r.innerSeconds), fmtRssMB(r.rssKiB), r.valid ? 'yes' : `**no**: ${r.note ?? ''}`]))
  const medians = table(['client', 'median MB/s (wall)', "median MB/s (client's own timing)"],
    (Object.keys(ENGINE_NAMES) as EngineKind[]).map(k => [ENGINE_NAMES[k], e.medianRate[k]?.toFixed(1) ?? '—', e.medianInnerRate[k]?.toFixed(1) ?? '—']))
  return `Bundle: ${fmtMB(e.bundleBytes)} MB. "seconds" is process wall time (spawn to exit) for ours and aria2c, and the report's download phase for mirror-clone; "client's own" is ours' add-to-done time and aria2c's average speed.${e.aria2c === null ? '' : ` ${e.aria2c}.`}\n\n${runs}\n\n${medians}\n\n${targetsTable(engineTargets(e))}`
}

function rssSection (r: RssResult): string {
  return `Repository: ${r.repo.commits} commits, ${r.repo.objects} objects, pack ${fmtMB(r.repo.packBytes)} MB (fixtures/make-repo.ts: 16 binary files of 64 MiB over 16 commits, generated in ${fmtS(r.repo.generateSeconds)} s, cached in bench/.cache/); bundle ${fmtMB(r.bundleBytes)} MB. One run each.\n\n` +
    table(['process', 'wall s', 'peak RSS MB (node only)', 'notes'], [
      ['mirror-publish (unsigned)', fmtS(r.publish.seconds), fmtRssMB(r.publish.rssKiB), ''],
      ['mirror-clone', fmtS(r.clone.seconds), fmtRssMB(r.clone.rssKiB), r.clone.note ?? `method ${r.clone.method ?? '—'}, download ${fmtS(r.clone.download)} s`],
      ['mirror-seed (serving that clone)', '', fmtRssMB(r.seed.rssKiB), `uploaded ${fmtMB(r.seed.uploaded)} MB`],
      ['mirror-seed (started, ready, stopped; no peer)', '', fmtRssMB(r.idleSeedKiB), 'for comparison']
    ]) + `\n\n${timelineText(r.timeline)}\n\n${targetsTable(rssTargets(r))}`
}

function timelineText (t: RssResult['timeline']): string {
  const at = (s: { t: number, kib: number } | null): string => s === null ? '—' : `${fmtRssMB(s.kib)} MB at ${fmtS(s.t)} s`
  const p = t.phasesEnd
  const phases = p === null ? '' : ` mirror-clone's phases ended at: discover ${fmtS(p.discover)} s, download ${fmtS(p.download)} s, index ${fmtS(p.index)} s, originFetch (with checkout) ${fmtS(p.originFetch)} s.`
  return `Current RSS (VmRSS) sampled every 0.2 s, seconds counted from the clone's start:${phases}\n\n` + table(['process', 'sampled peak', 'when the download phase ended', 'last sample (3 s after the clone exited)'], [
    ['mirror-clone', at(t.clonePeak), '', ''],
    ['mirror-seed (serving)', at(t.seedPeak), at(t.seedAtDownloadEnd), at(t.seedAfter)]
  ])
}

function probeSection (p: ProbeCheck): string {
  if (p.synthetic === null || p.clone === null) return `Not checked: ${p.note ?? ''}`
  return table(['process', 'probe (maxRSS, RUSAGE_SELF) MB', '/usr/bin/time %M MB'], [
    ['node filling 256 MiB of buffers', fmtRssMB(p.synthetic.probeKiB), fmtRssMB(p.synthetic.timeKiB)],
    ['mirror-clone (unsigned, not counted above)', fmtRssMB(p.clone.probeKiB), fmtRssMB(p.clone.timeKiB)]
  ]) + `\n\n${p.agrees === true ? 'They agree where node is the only process, and the probe stays at or below time\'s figure for mirror-clone, whose %M also covers its largest git child: the probe measures our node process alone.' : `**Check failed**: ${p.note ?? ''}`}`
}

function fetchSection (f: FetchResult): string {
  const inc = f.increment
  const s = f.summary
  const intro = 'The benchmark repository, served over loopback smart HTTP, published (a full base) and seeded; two clients made at that state, A by `mirror-clone <url>` (it keeps the list\'s token in `mirror-fetch.json`) and B by `git clone <url>`, both `--no-checkout` (a fetch does not touch the work tree). Then the origin moves on by one increment, generated deterministically (bench/generate-increment.ts: main\'s direct commits and merged topics, maint\'s fixes merged into main and a point release, a dev branch; text edits, new source files, new versions of binary assets; an rc tag and a ci/build tag), `mirror-publish` makes it an increment of the list, and a restarted mirror-seed seeds the store. Each run starts from copies of A and B at the base (pack files hard-linked, the rest copied, a fresh cache for mirror-fetch) and runs `mirror-fetch --json` in A and `git fetch origin` in B, alternating which goes first. "origin sent" is the git server\'s response bytes during the command (for mirror-fetch: reading the records, then its git fetch); "swarm" is what mirror-fetch downloaded from peers and web seeds. The phase columns are mirror-fetch\'s own report (download includes applying the increment: git indexing it). A row is valid when the command succeeded, mirror-fetch reported `method: increments` with exactly the new increment used, B\'s branches and tags are the origin\'s, A\'s refs (all of them, HEAD included) equal B\'s, A holds every object of the increment, and its token is the increment\'s.'
  const increment = table(['increment', ''], [
    ['commits', `${inc.commits} (${inc.merges} merges)`],
    ['refs moved or made', inc.refs.map(r => `\`${r.replace(/^refs\/(heads|tags)\//, '')}\``).join(', ')],
    ['files changed (distinct paths, all branches)', `${inc.filesChanged}, of them ${inc.filesAdded} new`],
    ['new objects (uncompressed)', `${inc.objects} (${fmtMB(inc.objectBytes)} MB, of which ${fmtMB(inc.binaryBytes)} MB new binary versions)`],
    ['increment bundle (mirror-publish)', `${fmtMB(inc.bundleBytes)} MB (${inc.bundleBytes} bytes), published in ${fmtS(inc.publishSeconds)} s; the base: ${fmtMB(inc.baseBundleBytes)} MB`]
  ])
  const phases = (r: FetchResult['rows'][number]): string[] => {
    const p = r.report?.seconds
    return p === undefined ? ['', '', '', ''] : [fmtS(p.discover), fmtS(p.download), fmtS(p.originFetch), fmtS(p.total)]
  }
  const runs = table(['fetch', 'run', 'wall s', 'origin sent KB', 'origin requests', 'swarm KB', 'CPU s (machine)', 'peak RSS MB (node)', 'discover', 'download + apply', 'originFetch', 'total (own clock)', 'method / bundles', 'valid'],
    f.rows.map(r => [FETCH_KINDS[r.kind], String(r.run), fmtS(r.seconds), fmtKB(r.originBytes), String(r.originRequests),
      r.report === null ? '' : fmtKB(r.report.bytes.swarm + r.report.bytes.webSeed), fmtS(r.cpuSeconds), fmtRssMB(r.rssKiB), ...phases(r),
      r.report === null ? '' : `${r.report.method} / ${r.report.bundles.map(b => `${b.id}: ${b.outcome}`).join(', ') || 'none'}`, r.valid ? 'yes' : `**no**: ${(r.note ?? '').replace(/\n/g, ' ')}`]))
  const medians = table(['fetch', 'median wall s', 'median origin sent KB', 'median swarm KB', 'median CPU s (machine)', 'valid runs'],
    (Object.keys(FETCH_KINDS) as FetchKind[]).map(k => [FETCH_KINDS[k], fmtS(s[k].seconds), fmtKB(s[k].originBytes), fmtKB(s[k].swarmBytes), fmtS(s[k].cpuSeconds), String(s[k].validRuns)]))
  const reps = f.rows.filter(r => r.kind === 'mirror-fetch' && r.valid && r.report !== null)
  const m = (pick: (r: typeof reps[number]) => number): number | null => median(reps.map(pick))
  const [wall, total] = [s['mirror-fetch'].seconds, m(r => r.report!.seconds.total)]
  const where = wall === null || total === null || s['git-fetch'].seconds === null ? '' : `\n\nWhere mirror-fetch's time goes (medians of its valid runs): ${fmtS(wall)} s from spawn to exit against ${fmtS(s['git-fetch'].seconds)} s for git fetch; of them discover ${fmtS(m(r => r.report!.seconds.discover))} s (reading the origin's records), download and apply ${fmtS(m(r => r.report!.seconds.download))} s (of which the increment from the swarm ${fmtS(m(r => r.report!.bundles[0]?.seconds ?? NaN))} s: starting the torrent client, the magnet's metadata from the seeder, the pieces, the SHA-256 check; the rest is git verifying, indexing and staging it), originFetch ${fmtS(m(r => r.report!.seconds.originFetch))} s (git fetch origin, dropping the staging refs, writing the token), and ${fmtS(wall - total)} s outside its own clock (node's start and module loading, opening the cache, closing the swarm, exit).`
  const missed = fetchTargets(f).filter(t => t.pass === false).map(t => t.name.split(':')[0]!)
  const reading = missed.length === 0 ? '' : `\n\nMissed (${missed.join(', ')}): the reading of a traced run is in "The targets missed" below (bench/ANALYSIS.md; \`GTM_BENCH_TRACE2=DIR\` traces every run).`
  return `${intro}\n\n${increment}\n\n${runs}\n\nMedians of the valid runs:\n\n${medians}${where}\n\n${targetsTable(fetchTargets(f))}${reading}\n\n` +
    `The seeder (base and increment, restarted after the second publish) uploaded ${fmtMB(f.seeder.uploaded)} MB to ${f.seeder.peersServed ?? '—'} peer(s). Load average (1 min) when this part started and ended: ${f.load.start.toFixed(2)}, ${f.load.end.toFixed(2)} (other work on the machine shows here).`
}

const WORLD = 'Every process ran on this machine over 127.0.0.1 (git http-backend behind a node HTTP server, an embedded bittorrent-tracker, a mirror-seed per published repository; no DHT, LSD, UPnP or public tracker).'

const CLONE_INTRO = 'a. `git clone <url>` over loopback smart HTTP; b. `git clone <bundle file>` from the bundle mirror-publish made (local disk: the floor); c. `mirror-clone <url>` from a swarm of one seeder, unsigned publish; d. `mirror-clone <url>`, signed publish whose key the client trusts (`git config --global mirror.<url>.trustedKey`). All check out the default branch. "origin sent" is the git server\'s response bytes during the run (0 for b). Peak RSS is our node process alone (rss-probe.cjs), not its git children. The phase columns are mirror-clone\'s own report. A row is valid when the command succeeded, mirror-clone reported `method: torrent` (and `verified: signature` for d), and its refs and HEAD equal those of a. `indexedBy` is `git` when git\'s index-pack indexed the pack, `signed-index` when the publisher\'s signed .idx was used as it is (the signed fast path). On loopback the origin\'s bandwidth costs nothing, so a is close to the floor b; the d / a target is about an origin behind a real network.'

export const SECTION_TITLES: Record<string, string> = {
  machine: 'Machine', repo: 'Repository', clone: '1. Clone', publish: '2. Publish', engine: '3. Download engine',
  rss: '4. Peak RSS with a ~1 GB bundle', scale: '5. Scale', fetch: '6. Fetch after one increment',
  daemon: '7. mirror-daemon seeding 50 bundles', browser: '8. Browser clone', probe: 'RSS probe check'
}

/** Lines of the Machine section that differ from run to run on the same machine. */
export const MACHINE_VOLATILE = /^\| load average /
/** Lines of the Repository section that the clone part measures. */
export const REPO_FROM_CLONE = /^\| bundle /

/** One marked section per part of `r`, in the file's order; a part not run says so. */
export function renderSections (r: BenchResults): Section[] {
  const stamp: Stamp = { date: r.date, command: r.command, seconds: Math.round(r.seconds * 10) / 10, repeat: r.options.repeat }
  const skipped = (how: string): string => `Not run by the run that wrote this section (${how}).`
  const bodies: Record<string, string> = {
    machine: machineSection(r.machine),
    repo: repoSection(r),
    clone: `${CLONE_INTRO}\n\n${r.clone === null ? skipped('--only') : cloneSection(r.clone, r.seeders)}`,
    publish: r.publish === null ? skipped('--only') : publishSection(r.publish),
    engine: r.engine === null ? skipped('--only') : engineSection(r.engine),
    rss: r.rss === null ? skipped('add --rss-gb, or run --size large') : rssSection(r.rss),
    scale: r.scale === null ? skipped('add --scale') : r.scale.markdown,
    fetch: r.fetch === null ? skipped('--only') : fetchSection(r.fetch),
    daemon: r.daemon === null ? skipped('--only') : daemonSection(r.daemon),
    browser: r.browser === null ? skipped('--only') : browserSection(r.browser),
    probe: r.probe === null ? 'Not run by the run that wrote this section.' : probeSection(r.probe)
  }
  const heading = (name: string): string => name === 'repo' ? `## Repository (\`--size ${r.options.size}\`)` : `## ${SECTION_TITLES[name]!}`
  return Object.entries(bodies).map(([name, body]) => ({ name, stamp, text: `${heading(name)}\n\n${body}` }))
}

/**
 * The results file from its sections: the header line naming the run behind
 * each section, the Summary (the sections' own target tables), the sections,
 * `analysis` (bench/ANALYSIS.md, written by hand from a profiled run, as the
 * section on the targets missed: the figures are regenerated, the reading of
 * them is not), and how to reproduce.
 */
export function assembleMarkdown (sections: Section[], analysis: string | null = null): string {
  const runs = provenance(sections)
  const by = (x: typeof runs[number]): string => `\`${x.stamp.command}\` on ${x.stamp.date}, in ${fmtS(x.stamp.seconds)} s`
  const written = runs.length === 1
    ? `Written by ${by(runs[0]!)}. ${WORLD} Each figure is repeated ${runs[0]!.stamp.repeat} times, interleaved,`
    : `Written by ${runs.map(x => `${by(x)}, each figure repeated ${x.stamp.repeat} times (${x.headings.join(', ')})`).join('; and by ')}. ${WORLD} Figures are repeated and interleaved,`
  const rows = targetRows(sections)
  const commands = [...new Set(runs.map(x => x.stamp.command))]
  return [
    '# Benchmark results',
    '',
    `${written} each run into a fresh directory with fresh caches; the page cache is warm (the repository and the bundles were just written or read), nothing was dropped. Medians are over the valid runs. Units: MB = 10^6 bytes, MB/s = 10^6 bytes/s, s = wall-clock seconds. A run with \`--only\` rewrites the sections of the parts it ran (the Repository with clone, the RSS probe check with clone or engine, Scale with --scale) and keeps every other section as the run named for it wrote it (the sections are marked in this file's source); the Summary is made from the sections' own target tables.`,
    '',
    '## Summary',
    '',
    rows.length === 0 ? 'No target was measured.' : [TARGETS_HEAD, '|---|---|---|---|', ...rows].join('\n'),
    '',
    ...sections.flatMap(s => [printSection(s), '']),
    ...(analysis === null ? [] : ['## The targets missed: gaps, profiles, limits (bench/ANALYSIS.md)', '', analysis.replace(/^# .*\n+/, '').trim(), '']),
    '## How to reproduce',
    '',
    '```sh',
    'apt-get install -y aria2 time chromium   # aria2c for the engine comparison, GNU time for the probe check, Chromium for the browser clone',
    'npm ci',
    ...commands,
    'npm run bench -- --size small      # a few minutes',
    'npm run bench -- --size large      # the real run; includes the ~1 GB RSS check (--no-rss-gb to skip)',
    '```',
    '',
    'Options: `--size small|large`, `--repeat N` (default 3), `--only clone,publish,engine,rss,fetch,daemon,browser` (keeps the other sections of an existing results file of the same repository and machine), `--rss-gb` / `--no-rss-gb`, `--scale`, `--scale-size small|large` (default small), `--out FILE` (default bench/RESULTS.md), `--keep` (keep the temporary directory), `--deadline MINUTES`. The generated repositories are cached in bench/.cache/ (delete it to regenerate). A JSON summary is printed on stdout.',
    ''
  ].join('\n')
}

/** The results of one run as a whole file. */
export function renderMarkdown (r: BenchResults, analysis: string | null = null): string {
  return assembleMarkdown(renderSections(r), analysis)
}
