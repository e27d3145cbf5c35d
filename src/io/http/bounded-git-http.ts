import http from 'node:http'
import https from 'node:https'
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git'
import { checkPktStream } from '../../core/check-pkt-stream.js'
import { MirrorError } from '../../core/errors.js'
import { formatBytes } from '../../core/format.js'

export interface BoundedGitHttpOptions {
  /** isomorphic-git's node client (`isomorphic-git/http/node`), or any client of the same shape. */
  request: HttpClient['request']
  /** Stops every request and the reading of its body; also what a caller's abort or deadline is. */
  signal: AbortSignal
  /** Most bytes one response body may have, as decompressed. */
  maxBytes: number
  /** The remote, for messages. */
  url: string
}

/** The content types of a smart-HTTP answer in pkt-line framing. */
const PKT_TYPES = /^application\/x-git-[a-z-]+-(advertisement|result)\s*(;|$)/i

/**
 * An isomorphic-git HttpClient that reads each answer whole, bounded, before
 * isomorphic-git sees it, because three things the library does not do
 * must happen here:
 * - time: listServerRefs passes no AbortSignal to its client (1.44.19), and
 *   the node client's body iterator loses a stream error that comes while
 *   nobody waits on it, then waits for ever; every request and every read
 *   of a body is raced against `signal` here, and the request is given it
 *   (node destroys the socket).
 * - size: the library buffers what it parses; past `maxBytes` the body is
 *   dropped (its socket destroyed) and the listing refused (BAD_RECORD).
 * - completeness: its pkt-line reader ends quietly where a body breaks off,
 *   and returns the refs read so far; an answer of git's framing that does
 *   not end with a flush-pkt is refused here (REMOTE_UNREACHABLE), and so
 *   is an ERR packet, with the server's reason.
 * Aborting rejects with `signal.reason`; the caller names it.
 */
/**
 * node's own agents, without the idle timeout of its global ones (node 20's
 * http.globalAgent closes a socket after 5 s without data, which the node
 * client reports as "Request timed out": a poll given 120 s gave up after
 * 5, found by the daemon's test of a hung remote). The poll's bound is
 * `signal` alone.
 */
const AGENTS = { 'http:': new http.Agent({ keepAlive: false }), 'https:': new https.Agent({ keepAlive: false }) }

function agentFor (url: string): http.Agent | undefined {
  try { return AGENTS[new URL(url).protocol as keyof typeof AGENTS] } catch { return undefined }
}

export function boundedGitHttp (o: BoundedGitHttpOptions): HttpClient {
  return {
    async request (req: GitHttpRequest): Promise<GitHttpResponse> {
      o.signal.throwIfAborted()
      const res = await raceAbort(o.request({ ...req, agent: agentFor(req.url), signal: o.signal } as GitHttpRequest), o.signal)
      const body = res.body === undefined ? Buffer.alloc(0) : await readBounded(res.body, o)
      const type = String(res.headers?.['content-type'] ?? '')
      if (res.statusCode === 200 && PKT_TYPES.test(type)) {
        const framing = checkPktStream(body)
        if (framing.kind === 'error') throw new MirrorError('REMOTE_UNREACHABLE', `${o.url} refused to list its refs: ${framing.message}`, { url: o.url })
        if (framing.kind !== 'complete') throw new MirrorError('REMOTE_UNREACHABLE', `the answer of ${o.url} broke off or is not in git's framing (${framing.kind})`, { url: o.url })
      }
      return { ...res, body: once(body) }
    }
  }
}

async function readBounded (body: AsyncIterableIterator<Uint8Array>, o: BoundedGitHttpOptions): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { value, done } = await raceAbort(body.next(), o.signal)
      if (value !== undefined) {
        size += value.byteLength
        if (size > o.maxBytes) {
          throw new MirrorError('BAD_RECORD', `the listing of refs/mirrors/ on ${o.url} is over ${formatBytes(o.maxBytes)}; not reading it`, { url: o.url, maxBytes: o.maxBytes })
        }
        chunks.push(value)
      }
      if (done === true) break
    }
  } finally {
    await body.return?.()   // the node client destroys the response: a body left unread holds no socket
  }
  return Buffer.concat(chunks)
}

async function * once (body: Buffer): AsyncGenerator<Uint8Array> {
  yield body
}

/** `p`, or `signal.reason` as soon as the signal aborts, whichever comes first. */
async function raceAbort<T> (p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => {})
    throw signal.reason
  }
  let onAbort!: () => void
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([p, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
    p.catch(() => {})   // the loser's rejection (the request dying of the same abort) is not unhandled
  }
}
