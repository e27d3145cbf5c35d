import type { CloneMode } from '../core/clone-target.js'
import { gitProgressTo, type OnProgress } from '../core/progress.js'
import type { Git } from '../io/git/run-git.js'

/**
 * The fallback: a plain `git clone` of the origin into `dir` (existing and
 * empty), with the same mode and options (`args`: --branch, --depth, ...). Returns the pack bytes the origin sent.
 */
export async function cloneFromOrigin (
  git: Git, o: { url: string, dir: string, mode: CloneMode, checkout: boolean, remote: string, args?: string[], onProgress?: OnProgress, signal?: AbortSignal }
): Promise<{ packBytes: number }> {
  const onStderr = gitProgressTo('clone', o.onProgress)
  const r = await git.run([
    'clone', '--progress',
    ...(o.mode === 'normal' ? [] : [`--${o.mode}`]),
    ...(o.checkout ? [] : ['--no-checkout']),
    ...(o.remote === 'origin' ? [] : ['--origin', o.remote]),
    ...(o.args ?? []),
    '--', o.url, o.dir
  ], { countPack: true, ...(o.signal === undefined ? {} : { signal: o.signal }), ...(onStderr === undefined ? {} : { onStderr }) })
  return { packBytes: r.packBytes }
}
