import type { CloneLayout } from '../core/clone-target.js'
import type { Git } from '../io/git/run-git.js'

/**
 * An empty repository in `dir` configured as `git clone` configures it
 * before its fetch: `git init` (the user's templates and init.* config), the
 * -c settings, the origin's URL and, per mode, its fetch refspec and mirror flag.
 */
export async function initClone (git: Git, dir: string, o: { url: string, layout: CloneLayout, remote: string, config?: string[] }): Promise<Git> {
  await git.at(dir).run(['init', '--quiet', ...(o.layout.bare ? ['--bare'] : []), dir])
  const repo = git.at(dir)
  // -c key=value, before the remote and before any fetch, as git clone writes them ("key" alone is true, as git reads it)
  for (const c of o.config ?? []) {
    const eq = c.indexOf('=')
    await repo.run(['config', '--add', eq === -1 ? c : c.slice(0, eq), eq === -1 ? 'true' : c.slice(eq + 1)])
  }
  if (o.url !== '') await repo.run(['config', `remote.${o.remote}.url`, o.url])   // '': a clone by a DHT pointer alone has no origin to name
  // --add: a -c remote.<name>.fetch stays beside the default refspec, as git clone keeps it
  for (const [key, value] of o.layout.remoteConfig) await repo.run(['config', '--add', `remote.${o.remote}.${key}`, value])
  return repo
}
