import type { CloneLayout } from '../core/clone-target.js'
import { gitProgressTo, type OnProgress } from '../core/progress.js'
import type { Git } from '../io/git/run-git.js'

export interface CompleteOptions {
  remote: string
  url: string
  layout: CloneLayout
  /** The branch HEAD names, e.g. refs/heads/main (the origin's HEAD). */
  head: string
  checkout: boolean
  onProgress?: OnProgress
  signal?: AbortSignal
}

/**
 * The origin is the authority: one incremental fetch of what `git clone`
 * fetches (branches per the layout, all tags), which sends only what the
 * staged bundle lacks since its refs count as haves; then HEAD, the
 * origin's HEAD, the branch's upstream and the work tree, as git clone
 * leaves them. Returns the pack bytes the origin sent.
 */
export async function completeFromOrigin (repo: Git, o: CompleteOptions): Promise<{ packBytes: number }> {
  const onStderr = gitProgressTo('fetch', o.onProgress)
  const stop = o.signal === undefined ? {} : { signal: o.signal }
  // the configured refspecs (ours, and any the user's config adds, as git clone honours them); a bare clone has none
  const refspec = o.layout.remoteConfig.some(([key]) => key === 'fetch') ? [] : [o.layout.fetchRefspec]
  const fetched = await repo.run(
    ['fetch', '--tags', '--no-prune', '--no-write-fetch-head', '--no-auto-maintenance', '--update-head-ok', '--progress', '--', o.remote, ...refspec],
    { countPack: true, ...stop, ...(onStderr === undefined ? {} : { onStderr }) })

  const branch = o.head.slice('refs/heads/'.length)
  const message = `clone: from ${o.url}`
  if (o.layout.tracking) {
    const tracking = `refs/remotes/${o.remote}/${branch}`
    await repo.run(['update-ref', '-m', message, o.head, tracking])
    await repo.run(['symbolic-ref', '-m', message, `refs/remotes/${o.remote}/HEAD`, tracking])
    await repo.run(['config', `branch.${branch}.remote`, o.remote])
    await repo.run(['config', `branch.${branch}.merge`, o.head])
  }
  await repo.run(['symbolic-ref', '-m', message, 'HEAD', o.head])
  if (!o.layout.bare && o.checkout) {
    o.onProgress?.({ phase: 'checkout', detail: branch })
    const progress = gitProgressTo('checkout', o.onProgress)   // "Updating files", when it takes long enough to show
    await repo.run(['read-tree', '--reset', '-u', '-v', 'HEAD'], { ...stop, ...(progress === undefined ? {} : { onStderr: progress }) })
  }
  return { packBytes: fetched.packBytes }
}
