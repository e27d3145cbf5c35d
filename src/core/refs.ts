/**
 * Ref names fixed by DESIGN.md. `refs/mirrors/` holds the records a publisher
 * advertises on the origin; `refs/mirror/` is the client's staging namespace.
 * They differ by one letter, so they are spelled here once.
 */
export const RECORDS_PREFIX = 'refs/mirrors/'
export const STAGING_PREFIX = 'refs/mirror/'
/** Where a clone stages what a source brought: refs/mirror/<name>/ (torrent, http, a mirror's host). */
export function stagingPrefix (name: string): string {
  return `${STAGING_PREFIX}${name}/`
}
/** Where a clone stages what a bundle from the swarm carries. */
export const TORRENT_STAGING = stagingPrefix('torrent')

export const RECORD_REFS = {
  torrent: 'refs/mirrors/bundle/torrent',
  magnet: 'refs/mirrors/bundle/magnet',
  http: 'refs/mirrors/bundle/http',
  /** Every bundle of the chain (a base, then increments) in git's bundle-list format (core/bundle-list.ts). */
  list: 'refs/mirrors/bundle/list',
  /** Full git mirrors: git:// and ssh URLs. */
  fetchGit: 'refs/mirrors/fetch/git',
  /** Full git mirrors: http(s) URLs. */
  fetchHttp: 'refs/mirrors/fetch/http',
  /** The signed push object of the same publish (absent when unsigned). */
  push: 'refs/mirrors/push'
} as const

export type RecordName = keyof typeof RECORD_REFS

/** The refs a bundle carries: branches and tags as the remote names them. */
export function isPublishedRef (name: string): boolean {
  return name.startsWith('refs/heads/') || name.startsWith('refs/tags/')
}

const OID = /^[0-9a-f]{40}$/
export const ZERO_OID = '0'.repeat(40)

export function isOid (s: string): boolean {
  return OID.test(s)
}

/**
 * A conservative subset of git check-ref-format: what we accept from a remote
 * before a name reaches a child process or a file.
 */
export function isSafeRefName (name: string): boolean {
  if (name === 'HEAD') return true
  if (!name.startsWith('refs/') || name.length > 1024) return false
  if (/[\x00-\x20\x7f~^:?*[\\\ufffd]/.test(name)) return false   // U+FFFD: bytes that were not UTF-8
  if (name.includes('..') || name.includes('//') || name.includes('@{')) return false
  if (name.endsWith('/') || name.endsWith('.')) return false
  return name.split('/').every(part => part !== '' && !part.startsWith('.') && !part.endsWith('.lock'))
}
