import type { OnProgress } from '../core/progress.js'
import type { Ref } from '../core/ref-list.js'
import { gitProgressTo } from '../core/progress.js'
import { TORRENT_STAGING } from '../core/refs.js'
import type { Git } from '../io/git/run-git.js'

/**
 * Fetches a full bundle into the staging namespace (refs/heads/x becomes
 * refs/mirror/torrent/heads/x, or under `prefix`), never into real refs. Native git checks the
 * bundle and index-pack hashes every object on the way in. Returns the refs
 * staged.
 */
export async function stageBundle (repo: Git, file: string, o: { prefix?: string, onProgress?: OnProgress, signal?: AbortSignal } = {}): Promise<Ref[]> {
  const prefix = o.prefix ?? TORRENT_STAGING
  const onStderr = gitProgressTo('index', o.onProgress)
  await repo.run(['fetch', '--no-tags', '--no-write-fetch-head', '--no-auto-maintenance', '--progress', '--', file, `+refs/*:${prefix}*`],
    { ...(onStderr === undefined ? {} : { onStderr }), ...(o.signal === undefined ? {} : { signal: o.signal }) })
  const staged = await repo.run(['for-each-ref', '--format=%(objectname) %(refname)', prefix])
  return staged.stdout.split('\n').filter(l => l !== '').map(line => ({ oid: line.slice(0, 40), name: line.slice(41) }))
}

/** A bundle's refs as `git fetch` above maps them into the staging namespace (refs/heads/x to refs/mirror/torrent/heads/x). */
export function stagingRefs (refs: Ref[], prefix = TORRENT_STAGING): Ref[] {
  return refs.filter(r => r.name.startsWith('refs/')).map(r => ({ oid: r.oid, name: `${prefix}${r.name.slice('refs/'.length)}` }))
}

/**
 * Writes staging refs in one transaction, once their objects are in the
 * repository: update-ref refuses a missing one. (555 loose refs take
 * about 0.4 s here: a clone that needs none of them writes none.)
 */
export async function writeStagingRefs (repo: Git, staged: Ref[]): Promise<void> {
  await repo.run(['update-ref', '--stdin'], { input: staged.map(r => `create ${r.name} ${r.oid}\n`).join('') })
}

/** Writes the bundle's refs into the staging namespace (stagingRefs); returns them. */
export async function stageRefs (repo: Git, refs: Ref[], prefix = TORRENT_STAGING): Promise<Ref[]> {
  const staged = stagingRefs(refs, prefix)
  await writeStagingRefs(repo, staged)
  return staged
}
