import type { OnProgress } from '../core/progress.js'
import type { Ref } from '../core/ref-list.js'
import { gitProgressTo } from '../core/progress.js'
import { TORRENT_STAGING } from '../core/refs.js'
import type { Git } from '../io/git/run-git.js'

/**
 * Fetches a full bundle into the staging namespace (refs/heads/x becomes
 * refs/mirror/torrent/heads/x, or under `prefix`), never into real refs. Native git checks the
 * bundle and index-pack hashes every object on the way in; with `only`,
 * just those refs are written (the pack comes in whole). Returns the refs
 * staged.
 */
export async function stageBundle (repo: Git, file: string, o: { prefix?: string, only?: readonly string[], onProgress?: OnProgress, signal?: AbortSignal } = {}): Promise<Ref[]> {
  const prefix = o.prefix ?? TORRENT_STAGING
  const onStderr = gitProgressTo('index', o.onProgress)
  if (o.only?.length === 0) return await stagedUnder(repo, prefix)   // every tip is here already: nothing to take
  // `only`: these of the bundle's refs, through --stdin (a refspec each; a long list stays off the command line)
  const refspecs = o.only === undefined ? null : o.only.map(name => `+${name}:${prefix}${name.slice('refs/'.length)}\n`).join('')
  await repo.run(['fetch', '--no-tags', '--no-write-fetch-head', '--no-auto-maintenance', '--progress', ...(refspecs === null ? [] : ['--stdin']), '--', file, ...(refspecs === null ? [`+refs/*:${prefix}*`] : [])],
    { ...(refspecs === null ? {} : { input: refspecs }), ...(onStderr === undefined ? {} : { onStderr }), ...(o.signal === undefined ? {} : { signal: o.signal }) })
  return await stagedUnder(repo, prefix)
}

async function stagedUnder (repo: Git, prefix: string): Promise<Ref[]> {
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
