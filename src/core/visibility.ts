import { MirrorError } from './errors.js'
import type { NetworkOptions } from './network-options.js'

/**
 * Who may fetch a published bundle. `public`: anyone who learns the
 * infohash, found through the trackers, the DHT and LSD. `private`: a BEP 27
 * private torrent, announced to its own trackers only (no DHT, no PEX, no LSD).
 */
export type Visibility = 'public' | 'private'

/** What can be told, without credentials, of who may read the origin. */
export type OriginAccess =
  | { kind: 'anonymous', why: string }
  | { kind: 'authenticated', why: string }
  | { kind: 'unknown', why: string }

/** git config mirror.visibility: `public` or `private` (BAD_OPTION otherwise). */
export function parseVisibility (value: string | undefined): Visibility | null {
  if (value === undefined) return null
  const v = value.trim().toLowerCase()
  if (v === 'public' || v === 'private') return v
  throw new MirrorError('BAD_OPTION', `git config mirror.visibility=${JSON.stringify(value)} is neither public nor private`, { key: 'mirror.visibility' })
}

/**
 * What the origin's URL alone tells (git's URL forms, git-clone(1) "GIT
 * URLS"): an http(s) URL without a user name needs asking (`ask`: an
 * anonymous request tells, accessOfAnswer); a user name in the URL, ssh and
 * the scp-like `host:path` mean git authenticates; git:// and local paths
 * are read without credentials; a remote helper (`<transport>::<address>`)
 * cannot be told.
 */
export function accessOfUrl (url: string): OriginAccess | { kind: 'ask', url: string } {
  const helper = /^([A-Za-z][A-Za-z0-9+.-]*)::/.exec(url)
  if (helper !== null) return { kind: 'unknown', why: `it is reached through the remote helper ${helper[1]!}::, which cannot be asked without credentials` }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase()
  if (scheme === undefined) {
    // git's rule (url_is_local_not_ssh): a colon before any slash makes it scp-like ssh
    const colon = url.indexOf(':')
    const slash = url.indexOf('/')
    if (colon > 0 && (slash === -1 || colon < slash)) return SSH
    return { kind: 'anonymous', why: 'it is a local path' }
  }
  if (scheme === 'file') return { kind: 'anonymous', why: 'it is a local path' }
  if (scheme === 'git') return { kind: 'anonymous', why: 'git:// has no authentication' }
  if (scheme === 'ssh' || scheme === 'git+ssh' || scheme === 'ssh+git') return SSH
  if (scheme === 'http' || scheme === 'https') {
    let parsed: URL
    try { parsed = new URL(url) } catch { return { kind: 'unknown', why: 'its URL does not parse' } }
    if (parsed.username !== '' || parsed.password !== '') return { kind: 'authenticated', why: 'its URL carries a user name' }
    return { kind: 'ask', url }
  }
  return { kind: 'unknown', why: `${scheme}:// URLs are not asked` }
}

const SSH: OriginAccess = { kind: 'authenticated', why: 'ssh always authenticates, so whether anyone may read it cannot be told' }

/** An anonymous request's outcome: the HTTP status and content type of `<url>/info/refs?service=git-upload-pack`, or why it failed. */
export type AnonymousAnswer = { status: number, contentType: string | null } | { error: string }

/**
 * What an anonymous smart-HTTP discovery request (no credentials of any
 * kind) says of an http(s) origin. 401 and 403 ask for credentials; a 404
 * is what servers answer for a private repository they do not admit to
 * (the user's own git reads it); a git advertisement means anyone may
 * read it. Anything else (a web page, a server error, no answer) leaves it
 * unknown.
 */
export function accessOfAnswer (a: AnonymousAnswer): OriginAccess {
  if ('error' in a) return { kind: 'unknown', why: `an anonymous request to it failed: ${a.error}` }
  const type = (a.contentType ?? '').split(';')[0]!.trim().toLowerCase()
  if (a.status === 401 || a.status === 403) return { kind: 'authenticated', why: `it answers an anonymous request with HTTP ${a.status}` }
  if (a.status === 404) return { kind: 'authenticated', why: 'it answers an anonymous request with HTTP 404, as servers do for a private repository' }
  if (a.status === 200 && type === 'application/x-git-upload-pack-advertisement') return { kind: 'anonymous', why: 'it answers anonymous git requests' }
  if (a.status === 200 && type === 'text/plain') return { kind: 'anonymous', why: 'it answers anonymous (dumb HTTP) git requests' }
  if (a.status === 200) return { kind: 'unknown', why: `it answers an anonymous git request with ${type === '' ? 'an untyped body' : type}, not a git advertisement (a login page?)` }
  return { kind: 'unknown', why: `it answers an anonymous request with HTTP ${a.status}` }
}

/**
 * The one-line refusal of a public publish whose origin is not known to
 * be readable by anyone (null: go ahead): what a public torrent would
 * reveal, where it would be announced with these network options, and the
 * two ways on.
 */
export function publicRefusal (url: string, access: OriginAccess, net: Pick<NetworkOptions, 'trackers' | 'dht' | 'dhtBootstrap' | 'lsd'>): string | null {
  if (access.kind === 'anonymous') return null
  const where: string[] = []
  if (net.trackers === null) where.push('on public trackers')
  else if (net.trackers.length > 0) where.push(`to ${net.trackers.length === 1 ? 'the tracker' : `${net.trackers.length} trackers`} given`)
  if (net.dht) where.push(net.dhtBootstrap === null ? 'on the public DHT' : 'on the DHT')
  if (net.lsd) where.push('by local peer discovery')
  const announced = where.length === 0 ? '' : `, announced ${joinAnd(where)}`
  const shown = url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/, '$1:***@')   // never a password on the terminal or in CI logs
  const what = access.kind === 'authenticated' ? `${shown} needs authentication (${access.why})` : `cannot tell whether ${shown} needs authentication (${access.why})`
  return `not publishing: ${what}, and a public torrent reveals the repository's full contents to anyone who learns its infohash${announced}. ` +
    'Publish with --private (a BEP 27 torrent announced only to the trackers given) or, if the repository may be public, with --public'
}

/**
 * A private publish needs trackers of the user's own: a private torrent
 * finds peers through them alone, and the default public trackers must
 * never learn its infohash. USAGE otherwise.
 */
export function checkPrivateTrackers (trackers: string[] | null): string[] {
  if (trackers === null || trackers.length === 0) {
    throw new MirrorError('USAGE', `--private needs at least one tracker (--tracker URL or git config mirror.tracker): a private torrent finds peers through its trackers only, and ${trackers === null ? 'the default public trackers are never used for one' : '--no-tracker leaves none'}`)
  }
  return trackers
}

/**
 * The network options a publish seeds its private torrent with: trackers
 * only. The torrent keeps itself off the DHT and LSD anyway (io/torrent);
 * a client that seeds nothing else need not join them at all.
 */
export function privateNetwork<T extends Pick<NetworkOptions, 'dht' | 'lsd'>> (net: T): T {
  return { ...net, dht: false, lsd: false }
}

function joinAnd (parts: string[]): string {
  return parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)!}`
}

/**
 * The trackers a torrent is announced to. BEP 27: a private torrent's own,
 * whatever the user configured (their --tracker or mirror.tracker must not
 * learn a private infohash); a public torrent's are replaced by the user's
 * when configured.
 */
export function announceList (o: { private: boolean, user: string[] | null, torrent: string[] }): string[] {
  return o.private ? o.torrent : (o.user ?? o.torrent)
}
