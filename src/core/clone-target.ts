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
  /** What the clone fetches from the origin (besides the tags of `tags`). */
  fetchRefspec: string
  /** `remote.origin.*` besides the URL, as git clone writes them. */
  remoteConfig: Array<[string, string]>
  /** Whether refs/remotes/origin/* are written (with refs/remotes/origin/HEAD and branch.<name>.*). */
  tracking: boolean
  /**
   * Which tags: every tag the origin has (git clone's default), only those
   * in the fetched history (--single-branch: git's tag following), or none
   * (--no-tags, which also writes `remote.origin.tagopt`).
   */
  tags: 'all' | 'follow' | 'none'
}

/** What HEAD becomes: a branch (checked out, with its upstream), or a tag (a detached HEAD at its commit), as `git clone -b` decides. */
export type CheckoutTarget = { kind: 'branch', ref: string } | { kind: 'tag', ref: string }

export interface LayoutChoices {
  /** --single-branch: fetch only the checkout target's branch or tag. */
  singleBranch?: CheckoutTarget | null
  noTags?: boolean
}

export function cloneLayout (mode: CloneMode, remote = 'origin', o: LayoutChoices = {}): CloneLayout {
  const single = o.singleBranch ?? null
  const tags = o.noTags === true ? 'none' : single !== null ? 'follow' : 'all'
  const tagopt: Array<[string, string]> = o.noTags === true ? [['tagopt', '--no-tags']] : []
  const only = (dst: string): string | null => single === null ? null : single.kind === 'tag' ? `+${single.ref}:${single.ref}` : `+${single.ref}:${dst}${single.ref.slice('refs/heads/'.length)}`
  switch (mode) {
    case 'normal': {
      const spec = only(`refs/remotes/${remote}/`) ?? `+refs/heads/*:refs/remotes/${remote}/*`
      return { bare: false, fetchRefspec: spec, remoteConfig: [...tagopt, ['fetch', spec]], tracking: true, tags }
    }
    case 'bare':
      return { bare: true, fetchRefspec: only('refs/heads/') ?? '+refs/heads/*:refs/heads/*', remoteConfig: tagopt, tracking: false, tags }
    case 'mirror':
      return { bare: true, fetchRefspec: '+refs/*:refs/*', remoteConfig: [['fetch', '+refs/*:refs/*'], ['mirror', 'true']], tracking: false, tags: 'all' }
  }
}

/**
 * What `git clone [-b <name>]` checks out: -b's branch, else a tag of that
 * name (a detached HEAD, as git does), else the branch the origin's HEAD
 * names. Null when the origin's HEAD names no branch it advertises (git
 * clone decides then). A -b naming neither is the user's mistake.
 */
export function checkoutTarget (listing: { refs: Array<{ name: string }>, head: string | null }, branch?: string, remote = 'origin'): CheckoutTarget | null {
  const has = (name: string): boolean => listing.refs.some(r => r.name === name)
  if (branch === undefined) {
    const head = listing.head
    return head !== null && head.startsWith('refs/heads/') && has(head) ? { kind: 'branch', ref: head } : null
  }
  if (has(`refs/heads/${branch}`)) return { kind: 'branch', ref: `refs/heads/${branch}` }
  if (has(`refs/tags/${branch}`)) return { kind: 'tag', ref: `refs/tags/${branch}` }
  throw new MirrorError('NO_SUCH_BRANCH', `remote branch ${branch} not found in upstream ${remote}`, { branch })
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
