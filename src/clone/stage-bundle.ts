import type { OnProgress } from '../core/progress.js'
import type { Ref } from '../core/ref-list.js'
import { gitProgressTo } from '../core/progress.js'
import { TORRENT_STAGING } from '../core/refs.js'
import type { Git } from '../io/git/run-git.js'

/**
 * Fetches a full bundle into the staging namespace (refs/heads/x becomes
 * refs/mirror/torrent/heads/x), never into real refs. Native git checks the
 * bundle and index-pack hashes every object on the way in. Returns the refs
 * staged.
 */
export async function stageBundle (repo: Git, file: string, o: { onProgress?: OnProgress, signal?: AbortSignal } = {}): Promise<Ref[]> {
  const onStderr = gitProgressTo('index', o.onProgress)
  await repo.run(['fetch', '--no-tags', '--no-write-fetch-head', '--no-auto-maintenance', '--progress', '--', file, `+refs/*:${TORRENT_STAGING}*`],
    { ...(onStderr === undefined ? {} : { onStderr }), ...(o.signal === undefined ? {} : { signal: o.signal }) })
  const staged = await repo.run(['for-each-ref', '--format=%(objectname) %(refname)', TORRENT_STAGING])
  return staged.stdout.split('\n').filter(l => l !== '').map(line => ({ oid: line.slice(0, 40), name: line.slice(41) }))
}
