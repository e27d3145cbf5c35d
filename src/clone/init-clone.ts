import type { CloneLayout } from '../core/clone-target.js'
import type { Git } from '../io/git/run-git.js'

/**
 * An empty repository in `dir` configured as `git clone` configures it
 * before its fetch: `git init` (the user's templates and init.* config), the
 * origin's URL and, per mode, its fetch refspec and mirror flag.
 */
export async function initClone (git: Git, dir: string, o: { url: string, layout: CloneLayout, remote: string }): Promise<Git> {
  await git.at(dir).run(['init', '--quiet', ...(o.layout.bare ? ['--bare'] : []), dir])
  const repo = git.at(dir)
  await repo.run(['config', `remote.${o.remote}.url`, o.url])
  for (const [key, value] of o.layout.remoteConfig) await repo.run(['config', `remote.${o.remote}.${key}`, value])
  return repo
}
