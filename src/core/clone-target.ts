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
 * The directory `git clone <url>` creates, by git's rules (dir.c,
 * git_url_basename): skip the scheme and any user@ before the first slash;
 * drop trailing slashes and spaces and a trailing "/.git"; a bare
 * "host:port" loses its port; the last component (after '/' or ':')
 * without ".git"; runs of control characters and spaces become one space,
 * trimmed; ".git" appended for --bare and --mirror.
 */
export function cloneDirName (url: string, bare: boolean): string {
  const isSep = (c: string | undefined): boolean => c === '/'
  let start = url.indexOf('://')
  start = start === -1 ? 0 : start + 3
  for (let i = start; i < url.length && !isSep(url[i]); i++) if (url[i] === '@') start = i + 1
  let end = url.length
  while (end > start && (isSep(url[end - 1]) || /\s/.test(url[end - 1]!))) end--
  if (end - start > 5 && isSep(url[end - 5]) && url.slice(end - 4, end) === '.git') {
    end -= 5
    while (end > start && isSep(url[end - 1])) end--
  }
  const rest = url.slice(start, end)
  if (!rest.includes('/') && rest.includes(':')) {
    let p = end
    while (p > start && /[0-9]/.test(url[p - 1]!)) p--
    if (p > start && url[p - 1] === ':') end = p - 1
  }
  let p = end
  while (p > start && !isSep(url[p - 1]) && url[p - 1] !== ':') p--
  let name = url.slice(p, end)
  if (name.endsWith('.git')) name = name.slice(0, -4)
  if (name === '' || name === '/') {
    throw new MirrorError('USAGE', `cannot guess a directory name from ${url}; give one after the URL`, { url })
  }
  // eslint-disable-next-line no-control-regex
  name = name.replace(/[\x00-\x1f]/g, ' ').replace(/\s+/g, ' ').trim()
  if (name === '' || name === '.' || name === '..') {
    throw new MirrorError('USAGE', `cannot guess a directory name from ${url}; give one after the URL`, { url })
  }
  return bare ? `${name}.git` : name
}
