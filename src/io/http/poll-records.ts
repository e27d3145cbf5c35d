import createDebug from 'debug'
import type { HttpClient } from 'isomorphic-git'
import { checkRecordListing, MAX_RECORD_REFS, type RecordListing } from '../../core/check-record-listing.js'
import { isMirrorError, MirrorError } from '../../core/errors.js'
import { RECORDS_PREFIX } from '../../core/refs.js'
import { VERSION } from '../../core/version.js'
import { boundedGitHttp } from './bounded-git-http.js'

const debug = createDebug('mirror:poll')

/** How long one poll may take, both requests together. */
export const POLL_TIMEOUT_MS = 15_000
/** Most bytes one answer may have: a listing of a few records is well under 4 KiB; a server that ignores ref-prefix sends all its refs. */
export const POLL_MAX_BYTES = 4 * 1024 * 1024

export interface PollRecordsOptions {
  /** Default POLL_TIMEOUT_MS. Past it: REMOTE_UNREACHABLE. */
  timeoutMs?: number
  /** The caller's stop (ABORTED). */
  signal?: AbortSignal
  /** Default POLL_MAX_BYTES, for each of the two answers. */
  maxBytes?: number
  /** Default MAX_RECORD_REFS. */
  maxRefs?: number
  /** An HTTP client of isomorphic-git's shape; default its node client (simple-get, node's http and https agents). */
  request?: HttpClient['request']
}

/** Whether pollRecords can ask `url`: http(s), and no user name or password in it (polling is anonymous). */
export function canPollRecords (url: string): boolean {
  let u: URL
  try { u = new URL(url) } catch { return false }
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === ''
}

/**
 * Which refs/mirrors/* an http(s) git remote has, and at which oids,
 * without a repository and without a git process: isomorphic-git's
 * listServerRefs, protocol v2 `ls-refs` with `ref-prefix refs/mirrors/`
 * (two requests: GET info/refs, POST git-upload-pack; a server that only
 * speaks v1 sends its whole advertisement, filtered here). This is what a
 * follow loop runs for many remotes on a timer; the record blobs of a
 * changed listing are then read with native git (io/git/fetch-records.ts),
 * once per publish.
 *
 * Measured on loopback (test/io/poll-records.test.ts, mean of 50 calls,
 * 3 runs, 2 cores shared with other work): against git http-backend, one
 * poll 15-24 ms, `git ls-remote URL 'refs/mirrors/*'` 24-45 ms, both over
 * v2 (two requests, a CGI and an upload-pack for each on the server, which
 * is most of both); against a server answering from memory, which leaves
 * the client's own cost, 1.6-2.0 ms against 13-20 ms: a git process per
 * poll is 8 to 10 times what the poll is.
 *
 * Anonymous: no credentials are sent, none asked for (no onAuth, no
 * credential helper, no ~/.netrc, no cookie), and a URL that carries a
 * user name or password is a caller's bug (RangeError; canPollRecords
 * tells beforehand). An origin that needs credentials answers 401:
 * AUTH_REQUIRED, for the caller to ask native git instead. No proxy
 * either: http_proxy is not read.
 *
 * Bounded: the whole poll by `timeoutMs` (REMOTE_UNREACHABLE) and the
 * caller's `signal` (ABORTED); each answer by `maxBytes` and the listing
 * by `maxRefs` (BAD_RECORD); every name and oid is checked
 * (core/check-record-listing.ts) before it is returned. Redirects are
 * followed (at most 10), as git does for info/refs. Errors are
 * MirrorErrors with one line naming the URL.
 */
export async function pollRecords (url: string, o: PollRecordsOptions = {}): Promise<RecordListing> {
  if (!canPollRecords(url)) throw new RangeError(`pollRecords takes an http(s) URL without credentials, not ${redact(url)}`)
  const timeoutMs = o.timeoutMs ?? POLL_TIMEOUT_MS
  const deadline = AbortSignal.timeout(timeoutMs)
  const signal = o.signal === undefined ? deadline : AbortSignal.any([o.signal, deadline])
  const started = performance.now()
  // loaded on the first poll: about 60 ms of import that no other command pays
  const { listServerRefs } = await import('isomorphic-git')
  const request = o.request ?? (await import('isomorphic-git/http/node')).request
  const http = boundedGitHttp({ request, signal, maxBytes: o.maxBytes ?? POLL_MAX_BYTES, url })
  let listed
  try {
    // git drops a trailing slash too: isomorphic-git would ask for "o.git//info/refs"
    listed = await listServerRefs({ http, url: url.replace(/\/+$/, ''), protocolVersion: 2, prefix: RECORDS_PREFIX, headers: { 'User-Agent': `git/2 (git-torrent-mirror/${VERSION})` } })
  } catch (err) {
    const why = pollError(err, url, { callerAborted: o.signal?.aborted === true, timedOut: deadline.aborted, timeoutMs })
    debug('poll %s failed after %d ms: %s', url, Math.round(performance.now() - started), why.message)
    throw why
  }
  const listing = checkRecordListing(listed, { url, maxRefs: o.maxRefs ?? MAX_RECORD_REFS })
  debug('poll %s: %d refs in %d ms', url, listing.refs.size, Math.round(performance.now() - started))
  return listing
}

/** What went wrong, as the one line a caller shows. */
function pollError (err: unknown, url: string, o: { callerAborted: boolean, timedOut: boolean, timeoutMs: number }): MirrorError {
  if (o.callerAborted) return new MirrorError('ABORTED', `interrupted (polling ${url} was stopped)`, { url })
  if (isMirrorError(err)) return err
  if (o.timedOut) return new MirrorError('REMOTE_UNREACHABLE', `${url} did not list its records within ${o.timeoutMs / 1000} s`, { url }, { cause: err })
  const e = err as { code?: string, message?: string, data?: { statusCode?: number, statusMessage?: string } }
  const unreachable = (why: string, data: Record<string, unknown> = {}): MirrorError =>
    new MirrorError('REMOTE_UNREACHABLE', `cannot list the records of ${url}: ${why}`, { url, ...data }, { cause: err })
  switch (e.code) {
    case 'HttpError': {
      const status = e.data?.statusCode
      if (status === 401) return new MirrorError('AUTH_REQUIRED', `${url} asks for credentials; polling is anonymous`, { url, status }, { cause: err })
      return unreachable(`HTTP ${status ?? '?'} ${e.data?.statusMessage ?? ''}`.trim(), { status })
    }
    case 'SmartHttpError': return unreachable('not a smart-HTTP git server')
    case 'ParseError': case 'EmptyServerResponseError': return unreachable('the answer is not git\'s protocol')
  }
  if (typeof e.code === 'string') return unreachable(e.code)   // ECONNREFUSED, ENOTFOUND, ECONNRESET, ...
  return unreachable(String(e.message ?? err).split('\n')[0]!)
}

/** The URL without its password, for a message. */
function redact (url: string): string {
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = '***'
    return u.href
  } catch {
    return JSON.stringify(url.slice(0, 80))
  }
}
