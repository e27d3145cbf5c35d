import { isMirrorError, MirrorError } from '../core/errors.js'
import type { Ref, RefState } from '../core/ref-list.js'
import { isPublishedRef } from '../core/refs.js'
import { listRemote } from '../io/git/list-remote.js'
import { resolveRemote, type Repository } from '../io/git/repository.js'
import type { Git } from '../io/git/run-git.js'

export interface PublishTarget {
  /** What the bundle will carry: branches, tags and HEAD, as the remote names them. */
  state: RefState
  /** Where the records are pushed; null for a server-side repository, which is the origin. */
  remote: { name: string, url: string } | null
  /** The records the remote advertised: the leases of the push. */
  remoteRecords: Map<string, string>
}

/**
 * Decides what to publish. In a working repository: what the remote
 * advertises (listed, then fetched where objects are missing), never what
 * exists only locally. In a bare repository (a server-side or CI mirror):
 * its own branches, tags and HEAD. `checkRemote` sees the remote first
 * and may refuse it.
 */
export async function resolvePublishedState (
  repo: Repository, o: { remote?: string, push: boolean, checkRemote?: (remote: { name: string, url: string }) => Promise<void> }
): Promise<PublishTarget> {
  const { git } = repo
  let remote: { name: string, url: string } | null
  try {
    remote = await resolveRemote(git, o.remote ?? 'origin')
  } catch (err) {
    // a bare repository without origin is the server's own copy: nothing to push to
    if (!(repo.bare && o.remote === undefined && isMirrorError(err, 'NO_SUCH_REMOTE'))) throw err
    remote = null
  }
  if (remote !== null) await o.checkRemote?.(remote)   // before anything is listed or fetched

  const listing = remote !== null && (!repo.bare || o.push) ? await listRemote(git, remote.name) : null
  const remoteRecords = new Map((listing?.refs ?? []).filter(r => r.name.startsWith('refs/mirrors/')).map(r => [r.name, r.oid]))

  let state: RefState
  if (repo.bare) {
    state = await localState(git)
  } else {
    const refs = listing!.refs.filter(r => isPublishedRef(r.name) || r.name === 'HEAD')
    state = { refs, head: listing!.head }
    await fetchMissing(git, remote!.name, refs)
  }
  if (!state.refs.some(r => r.name !== 'HEAD')) {
    const where = repo.bare ? 'this repository has' : `remote '${remote!.name}' advertises`
    throw new MirrorError('EMPTY_REPOSITORY', `nothing to publish: ${where} no branches or tags`)
  }
  return { state, remote, remoteRecords }
}

async function localState (git: Git): Promise<RefState> {
  const listed = await git.run(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads/', 'refs/tags/'])
  const refs: Ref[] = listed.stdout.split('\n').filter(Boolean).map(line => {
    const sp = line.indexOf(' ')
    return { oid: line.slice(0, sp), name: line.slice(sp + 1) }
  })
  const symref = await git.run(['symbolic-ref', '-q', 'HEAD'], { okCodes: [1, 128] })
  const headOid = await git.run(['rev-parse', '-q', '--verify', 'HEAD^{object}'], { okCodes: [1, 128] })
  if (headOid.code === 0) refs.push({ name: 'HEAD', oid: headOid.stdout.trim() })
  return { refs, head: symref.code === 0 ? symref.stdout.trim() : null }
}

/** Fetches by oid what the listing names and this repository lacks; writes no ref. */
async function fetchMissing (git: Git, remote: string, refs: Ref[]): Promise<void> {
  const missing = async (): Promise<string[]> => {
    const oids = [...new Set(refs.map(r => r.oid))]
    const r = await git.run(['cat-file', '--batch-check=%(objectname)'], { input: oids.map(o => `${o}\n`).join('') })
    return r.stdout.split('\n').filter(l => l.endsWith(' missing')).map(l => l.split(' ')[0]!)
  }
  const before = await missing()
  if (before.length === 0) return
  await git.run(['fetch', '--no-tags', '--no-write-fetch-head', '--quiet', '--', remote, ...before])
  const after = await missing()
  if (after.length > 0) {
    throw new MirrorError('GIT_FAILED', `fetching from '${remote}' did not bring ${after[0]!}; the remote changed while publishing? Run mirror-publish again`, { remote, missing: after })
  }
}
