import { MirrorError } from './errors.js'

/**
 * What `git clone` derives from its arguments, as pure functions: the
 * directory it creates and how it records the origin's URL. Tests pin both
 * against what git itself does.
 */

export type CloneMode = 'normal' | 'bare' | 'mirror'

/** `git clone`'s fetch refspec per mode, and whether the configured remote keeps it. */
export interface CloneLayout {
  bare: boolean
  /** What the clone fetches from the origin (besides all tags). */
  fetchRefspec: string
  /** `remote.origin.*` besides the URL, as git clone writes them. */
  remoteConfig: Array<[string, string]>
  /** Whether refs/remotes/origin/HEAD and branch.<name>.* are written. */
  tracking: boolean
}

export function cloneLayout (mode: CloneMode, remote = 'origin'): CloneLayout {
  switch (mode) {
    case 'normal':
      return { bare: false, fetchRefspec: `+refs/heads/*:refs/remotes/${remote}/*`, remoteConfig: [['fetch', `+refs/heads/*:refs/remotes/${remote}/*`]], tracking: true }
    case 'bare':
      return { bare: true, fetchRefspec: '+refs/heads/*:refs/heads/*', remoteConfig: [], tracking: false }
    case 'mirror':
      return { bare: true, fetchRefspec: '+refs/*:refs/*', remoteConfig: [['fetch', '+refs/*:refs/*'], ['mirror', 'true']], tracking: false }
  }
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//

/** git's rule: `host:path` is ssh unless a slash comes before the colon. */
export function isScpLike (url: string): boolean {
  const colon = url.indexOf(':')
  if (colon <= 0 || SCHEME.test(url)) return false
  const slash = url.indexOf('/')
  return slash === -1 || colon < slash
}

/** Neither a URL with a scheme nor scp-like ssh: a path on this machine. */
export function isLocalPath (url: string): boolean {
  return !SCHEME.test(url) && !isScpLike(url)
}

/**
 * The directory `git clone <url>` creates (git's git_url_basename): the last
 * path component without a trailing "/", "/.git" or ".git" (".bundle"),
 * plus ".git" for --bare and --mirror. Control characters become '-'.
 */
export function cloneDirName (url: string, bare: boolean): string {
  let end = url.length
  const trim = (): void => { while (end > 0 && (url[end - 1] === '/' || /\s/.test(url[end - 1]!))) end-- }
  trim()
  if (url.slice(0, end).endsWith('/.git')) { end -= 5; trim() }
  let start = url.match(SCHEME)?.[0].length ?? 0
  // skip user:password@ and a port after the host, as git does for "host:port"
  const at = url.slice(start, end).indexOf('@')
  if (at !== -1 && !url.slice(start, start + at).includes('/')) start += at + 1
  let name = url.slice(start, end)
  const cut = Math.max(name.lastIndexOf('/'), name.lastIndexOf(':'))
  if (cut !== -1) name = name.slice(cut + 1)
  for (const suffix of ['.git', '.bundle']) {
    if (name.endsWith(suffix) && name.length > suffix.length) { name = name.slice(0, -suffix.length); break }
  }
  // eslint-disable-next-line no-control-regex
  name = name.replace(/[\x00-\x1f\x7f]/g, '-')
  if (name === '' || name === '.' || name === '..') {
    throw new MirrorError('USAGE', `cannot guess a directory name from ${url}; give one after the URL`, { url })
  }
  return bare ? `${name}.git` : name
}
