import { TORRENT_STAGING } from '../core/refs.js'
import type { Git } from '../io/git/run-git.js'

/** for-each-ref takes several --merged and lists refs merged into any; keep argv short. */
const TIPS_PER_CALL = 2000

export interface DroppedStaging {
  /** Staging refs reachable from real refs: the bundle's data served the clone. */
  reachable: string[]
  /** Staging refs the origin's refs do not reach (a stale or foreign bundle): the origin won. */
  discarded: string[]
}

/**
 * Ends the staging of a clone: every ref under refs/mirror/torrent/ goes, in
 * one transaction. Those reachable from real refs are what DESIGN.md says
 * to delete; the others point where the origin does not, and the origin is
 * the authority, so they go too, and are reported.
 */
export async function dropStagingRefs (repo: Git): Promise<DroppedStaging> {
  const staged = parseRefs((await repo.run(['for-each-ref', `--format=${FORMAT}`, TORRENT_STAGING])).stdout)
  if (staged.length === 0) return { reachable: [], discarded: [] }
  const real = parseRefs((await repo.run(['for-each-ref', `--format=${FORMAT}`])).stdout)
    .filter(r => !r.name.startsWith(TORRENT_STAGING))
  const realOids = new Set(real.flatMap(r => r.oids))
  const reachable = new Set(staged.filter(r => r.oids.some(oid => realOids.has(oid))).map(r => r.name))
  const tips = [...new Set(real.flatMap(r => r.commit === null ? [] : [r.commit]))]
  for (let i = 0; i < tips.length && reachable.size < staged.length; i += TIPS_PER_CALL) {
    const merged = tips.slice(i, i + TIPS_PER_CALL).map(oid => `--merged=${oid}`)
    const r = await repo.run(['for-each-ref', '--format=%(refname)', ...merged, TORRENT_STAGING])
    for (const name of r.stdout.split('\n')) if (name !== '') reachable.add(name)
  }
  await repo.run(['update-ref', '--stdin'], { input: staged.map(r => `delete ${r.name} ${r.oids[0]!}\n`).join('') })
  return {
    reachable: staged.filter(r => reachable.has(r.name)).map(r => r.name),
    discarded: staged.filter(r => !reachable.has(r.name)).map(r => r.name)
  }
}

const FORMAT = '%(objectname)%09%(objecttype)%09%(*objectname)%09%(*objecttype)%09%(refname)'

interface Listed { name: string, oids: string[], commit: string | null }

/** FORMAT's lines: the ref, its oid and peeled oid, and the commit it is or peels to. */
function parseRefs (text: string): Listed[] {
  return text.split('\n').filter(l => l !== '').map(line => {
    const [oid = '', type, peeled = '', peeledType, name = ''] = line.split('\t')
    const commit = type === 'commit' ? oid : peeledType === 'commit' ? peeled : null
    return { name, oids: peeled === '' ? [oid] : [oid, peeled], commit }
  })
}
