import { MirrorError } from '../core/errors.js'
import { originProblem } from '../core/push-object.js'

/**
 * The origin a signed publish names (docs/pointers.md): the one given, which
 * must be a URL a client may take (USAGE otherwise), else the remote's when
 * anyone could fetch from it as it is (http(s) or git://, no user name: an
 * ssh URL is the maintainer's own access, not a contributor's), else none.
 */
export function signedOrigin (given: string | null | undefined, remote: string | null): string | null {
  if (given === null) return null
  if (given !== undefined) {
    const problem = originProblem(given)
    if (problem !== null) throw new MirrorError('USAGE', `--origin-url ${JSON.stringify(given)}: ${problem}`)
    return given
  }
  if (remote === null || originProblem(remote) !== null) return null
  const u = new URL(remote)
  return ['https:', 'http:', 'git:'].includes(u.protocol) && u.username === '' ? remote : null
}
