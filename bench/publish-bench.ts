// Benchmark 2: what publishing costs over making the bundle alone. On copies
// of the same repository (objects shared by hard links), interleaved:
//   git bundle create <file> --all           (a copy nothing was published into)
//   mirror-publish --no-sign                 (bundle, SHA-256, torrent, records)
//   mirror-publish --sign-key KEY            (and a signed push object)
//   mirror-publish --version                 (what starting node and loading our modules costs)
// Each publish gets a fresh --store, so it builds a new bundle (a store that
// holds the published state would reuse it: README, "Deterministic, and reused");
// the report's bundle.reused must be false or the run is invalid.
import { mkdir, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { median, ratio, runMeasured, target, type Target } from './measure.js'
import { budgetMs, copyRepo, publish, runOurs, type Key, type Loopback } from './setup.js'
import type { BenchRepo } from './repo.js'

export type PublishKind = 'git-bundle' | 'publish' | 'publish-signed' | 'startup'

export const PUBLISH_KINDS: Record<PublishKind, string> = {
  'git-bundle': 'git bundle create <file> --all',
  publish: 'mirror-publish (unsigned)',
  'publish-signed': 'mirror-publish (signed)',
  startup: 'mirror-publish --version (node start and module loading only; for scale, no target)'
}

export interface PublishRow {
  kind: PublishKind
  run: number
  seconds: number
  bundleBytes: number | null
  rssKiB: number | null
  valid: boolean
  note: string | null
}

export interface PublishResult {
  rows: PublishRow[]
  medians: Record<PublishKind, { seconds: number | null, rssKiB: number | null }>
}

export async function publishBench (lb: Loopback, repo: BenchRepo, key: Key, o: { repeat: number }): Promise<PublishResult> {
  const base = path.join(lb.te.dir, 'publish')
  const copies: Record<Exclude<PublishKind, 'startup'>, string> = {
    'git-bundle': path.join(base, 'bundle.git'),
    publish: path.join(base, 'unsigned.git'),
    'publish-signed': path.join(base, 'signed.git')
  }
  for (const dir of Object.values(copies)) await copyRepo(lb, repo.dir, dir)
  const budget = budgetMs(repo.packBytes)
  const rows: PublishRow[] = []
  for (let run = 1; run <= o.repeat; run++) {
    lb.log(`publish run ${run}/${o.repeat}`)
    const work = path.join(base, `run-${run}`)
    await mkdir(work, { recursive: true })

    const file = path.join(work, 'all.bundle')
    const b = await runMeasured('git', ['bundle', 'create', '--quiet', file, '--all'], { cwd: copies['git-bundle'], env: lb.env, timeoutMs: budget })
    rows.push({
      kind: 'git-bundle', run, seconds: b.seconds, rssKiB: null,
      bundleBytes: b.code === 0 ? (await stat(file)).size : null,
      valid: b.code === 0, note: b.code === 0 ? null : `exit ${b.code ?? b.signal}: ${b.stderr.trim().slice(-300)}`
    })

    const v = await runOurs(lb, 'mirror-publish', ['--version'], { cwd: work, timeoutMs: 30_000, rssFile: path.join(work, 'startup.rss.jsonl') })
    rows.push({ kind: 'startup', run, seconds: v.seconds, bundleBytes: null, rssKiB: v.rss?.maxRSSKiB ?? null, valid: v.code === 0, note: v.code === 0 ? null : `exit ${v.code ?? v.signal}` })

    for (const kind of ['publish', 'publish-signed'] as const) {
      const store = path.join(work, `store-${kind}`)
      try {
        const p = await publish(lb, copies[kind], store, { key: kind === 'publish' ? null : key, rssFile: path.join(work, `${kind}.rss.jsonl`), timeoutMs: budget })
        const note = p.json.bundle.reused ? 'reused a stored bundle'
          : kind === 'publish-signed' && p.json.pushObject === null ? 'no push object'
            : p.run.rss === null ? 'no RSS report from the probe' : null
        rows.push({ kind, run, seconds: p.run.seconds, bundleBytes: p.json.bundle.size, rssKiB: p.run.rss?.maxRSSKiB ?? null, valid: note === null, note })
      } catch (err) {
        rows.push({ kind, run, seconds: NaN, bundleBytes: null, rssKiB: null, valid: false, note: (err as Error).message.split('\n').slice(0, 3).join(' ') })
      }
    }
    await rm(work, { recursive: true, force: true })
  }
  const kinds = Object.keys(PUBLISH_KINDS) as PublishKind[]
  const valid = (k: PublishKind): PublishRow[] => rows.filter(r => r.kind === k && r.valid)
  return {
    rows,
    medians: Object.fromEntries(kinds.map(k => [k, {
      seconds: median(valid(k).map(r => r.seconds)),
      rssKiB: median(valid(k).flatMap(r => r.rssKiB === null ? [] : [r.rssKiB]))
    }])) as PublishResult['medians']
  }
}

export function publishTargets (r: PublishResult): Target[] {
  const m = r.medians
  return [
    target('publish time: mirror-publish (unsigned) / git bundle create --all', ratio(m.publish.seconds, m['git-bundle'].seconds), '<=', 1.15),
    target('publish time: mirror-publish (signed) / git bundle create --all', ratio(m['publish-signed'].seconds, m['git-bundle'].seconds), '<=', 1.15)
  ]
}
