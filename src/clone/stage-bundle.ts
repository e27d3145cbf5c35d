import type { OnProgress } from '../core/progress.js'
import { gitProgressTo } from '../core/progress.js'
import { TORRENT_STAGING } from '../core/refs.js'
import type { Git } from '../io/git/run-git.js'

/**
 * Fetches a full bundle into the staging namespace (refs/heads/x becomes
 * refs/mirror/torrent/heads/x), never into real refs. Native git checks the
 * bundle and index-pack hashes every object on the way in. Returns how many
 * refs were staged.
 */
export async function stageBundle (repo: Git, file: string, onProgress?: OnProgress): Promise<number> {
  const onStderr = gitProgressTo('index', onProgress)
  await repo.run(['fetch', '--no-tags', '--no-write-fetch-head', '--no-auto-maintenance', '--progress', '--', file, `+refs/*:${TORRENT_STAGING}*`],
    onStderr === undefined ? {} : { onStderr })
  const staged = await repo.run(['for-each-ref', '--format=%(refname)', TORRENT_STAGING])
  return staged.stdout.split('\n').filter(l => l !== '').length
}
