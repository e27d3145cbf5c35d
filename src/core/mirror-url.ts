/** A full git mirror's URL from a record, checked before it reaches git. */
export interface MirrorUrl {
  /** As git is given it. */
  url: string
  /** http, https, git or ssh (scp-like `host:path` is ssh). */
  scheme: 'http' | 'https' | 'git' | 'ssh'
  /** Lower-case host name or address (IPv6 without brackets). */
  host: string
  port: number | null
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?|\[[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?::\d{1,3}(?:\.\d{1,3}){3})?\])$/
const SCP_LIKE = /^(?:([A-Za-z0-9._-]+)@)?([^@/:\s]+):(.+)$/

/**
 * One line of refs/mirrors/fetch/git or refs/mirrors/fetch/http: a URL that
 * native git fetches from, so only schemes git speaks to a server with
 * (never file://, a local path or ext::), no white space or control
 * characters, no password, a host name that cannot be read as an option,
 * and a path. `record` says which record it came from: http(s) belongs in
 * fetch/http, git:// and ssh in fetch/git. Throws a plain Error with the
 * reason; the record parser names the ref and line.
 */
export function parseMirrorUrl (text: string, record: 'git' | 'http'): MirrorUrl {
  if (text.length > 2048) throw new Error('longer than 2048 characters')
  if (/[\s\x00-\x1f\x7f]/.test(text)) throw new Error('contains white space or control characters')
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(text)?.[1]?.toLowerCase()
  if (scheme === undefined) {
    if (record !== 'git') throw new Error('only http(s) URLs belong in this record')
    const m = SCP_LIKE.exec(text)
    if (m === null || text.includes('::')) throw new Error('is neither a URL nor ssh\'s host:path')
    checkUser(m[1] ?? '')
    return { url: text, scheme: 'ssh', host: checkHost(m[2]!), port: null }
  }
  const allowed = record === 'http' ? ['http', 'https'] : ['git', 'ssh']
  if (!allowed.includes(scheme)) throw new Error(`${scheme}:// does not belong in this record (it takes ${allowed.join(' and ')})`)
  let url: URL
  try { url = new URL(text) } catch { throw new Error('is not a URL') }
  if (url.password !== '') throw new Error('contains a password')
  if (url.search !== '' || url.hash !== '' || text.includes('?') || text.includes('#')) throw new Error('has a query or a #fragment')
  checkUser(decodeURIComponent(url.username))
  if (url.pathname === '' || url.pathname === '/') throw new Error('names no repository path')
  const host = checkHost(url.hostname)
  return { url: text, scheme: scheme as MirrorUrl['scheme'], host, port: url.port === '' ? null : Number(url.port) }
}

/** A user name ssh would read as an option is refused (git 2.14+ refuses it too; older ones passed it on). */
function checkUser (user: string): void {
  if (user.startsWith('-')) throw new Error(`user ${JSON.stringify(user.slice(0, 80))} starts with '-'`)
}

function checkHost (host: string): string {
  if (host.length > 253 || !HOST.test(host)) throw new Error(`host ${JSON.stringify(host.slice(0, 80))} is not a host name or address`)
  return host.replace(/^\[|\]$/g, '').toLowerCase()
}

/**
 * Where a mirror's refs are staged: refs/mirror/<host>/, with the port as
 * `<host>_<port>` (DESIGN.md says host:port, but ':' cannot appear in a
 * ref name), characters a ref name refuses replaced by '_', at most 100
 * characters (a name git can make a directory of). `taken`
 * holds the names in use (torrent, http, other mirrors): a clash gets -2, -3 ...
 */
export function mirrorStagingName (m: Pick<MirrorUrl, 'host' | 'port'>, taken: Set<string>): string {
  const base = `${m.host}${m.port === null ? '' : `_${m.port}`}`
    .replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100)
    .replace(/\.+$/, '').replace(/^\.+/, '_').replace(/\.{2,}/g, '_').replace(/\.lock$/, '_lock') || 'mirror'
  let name = base
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`
  taken.add(name)
  return name
}
