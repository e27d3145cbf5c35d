import { MirrorError } from '../../core/errors.js'
import { parseLsRemote, type RemoteListing } from '../../core/ls-remote.js'
import { hiddenRemoteCause } from '../../core/remote-cause.js'
import type { Git } from './run-git.js'
import { gitReason } from './run-git.js'

/** One round trip: every ref the remote advertises, and its HEAD's target. */
export async function listRemote (git: Git, remote: string, opts: { timeoutMs?: number, signal?: AbortSignal } = {}): Promise<RemoteListing> {
  const r = await git.run(['ls-remote', '--symref', '--', remote], { okCodes: [128, 2], ...opts })
  if (r.code !== 0) {
    throw new MirrorError('REMOTE_UNREACHABLE', `cannot list ${remote}: ${(hiddenRemoteCause(r.stderr) ?? gitReason(r.stderr)) || `git ls-remote exit status ${r.code}`}`, { remote })
  }
  return parseLsRemote(r.stdout)
}
