import type { Ref } from '../core/ref-list.js'
import { STAGING_PREFIX } from '../core/refs.js'
import type { Git } from '../io/git/run-git.js'

/** for-each-ref takes several --merged and lists refs merged into any; keep argv short. */
const TIPS_PER_CALL = 2000

export interface DroppedStaging {
  /** Staging refs reachable from real refs: the source's data served the clone. */
  reachable: string[]
  /** Staging refs the origin's refs do not reach (a stale or foreign bundle, a lying mirror): the origin won. */
  discarded: string[]
}

/**
 * Ends the staging of a clone: the refs its sources staged go, in one
 * transaction. Those reachable from real refs are what DESIGN.md says to
 * delete; the others point where the origin does not, and the origin is the
 * authority, so they go too, and are reported. A staged name the origin
 * itself advertises (a --mirror clone copies every ref) is the origin's now
 * and stays.
 */
export async function dropStagingRefs (repo: Git, staged: Ref[], advertised: Set<string>): Promise<DroppedStaging> {
  const mine = staged.filter(r => !advertised.has(r.name))
  if (mine.length === 0) return { reachable: [], discarded: [] }
  const stagedNames = new Set(mine.map(r => r.name))
  const real = parseRefs((await repo.run(['for-each-ref', `--format=${FORMAT}`])).stdout).filter(r => !stagedNames.has(r.name))
  const realOids = new Set(real.flatMap(r => r.oids))
  const reachable = new Set(mine.filter(r => realOids.has(r.oid)).map(r => r.name))
  const tips = [...new Set(real.flatMap(r => r.commit === null ? [] : [r.commit]))]
  for (let i = 0; i < tips.length && reachable.size < mine.length; i += TIPS_PER_CALL) {
    const merged = tips.slice(i, i + TIPS_PER_CALL).map(oid => `--merged=${oid}`)
    const r = await repo.run(['for-each-ref', '--format=%(refname)', ...merged, STAGING_PREFIX])
    for (const name of r.stdout.split('\n')) if (stagedNames.has(name)) reachable.add(name)
  }
  // each at the value staged: a ref that changed since is not ours to delete
  await repo.run(['update-ref', '--stdin'], { input: mine.map(r => `delete ${r.name} ${r.oid}\n`).join('') })
  return {
    reachable: mine.filter(r => reachable.has(r.name)).map(r => r.name),
    discarded: mine.filter(r => !reachable.has(r.name)).map(r => r.name)
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
