import { createWriteStream } from 'node:fs'
import { stat, truncate } from 'node:fs/promises'
import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import createDebug from 'debug'
import { localFailure, MirrorError } from '../../core/errors.js'
import { formatBytes, formatRate } from '../../core/format.js'
import { RateWatch } from '../../core/rate-watch.js'
import { VERSION } from '../../core/version.js'

const debug = createDebug('mirror:http')
const MAX_REDIRECTS = 5

export interface HttpDownloadOptions {
  /** Largest file accepted: refused from the headers when they say, else as soon as the transfer passes it. */
  maxBytes: number
  /** Give up when, over any window this long, fewer than minBytesPerSecond × window arrive (at least one byte). */
  stallTimeoutMs: number
  minBytesPerSecond?: number
  signal?: AbortSignal
  /**
   * Called once the response is accepted and `file` holds exactly the
   * prefix this transfer continues (a resumed part, or nothing): from then
   * on the file only grows, so a reader may follow it.
   */
  onStart?: (o: { resumedFrom: number, total: number | null }) => void
  onProgress?: (loaded: number, total: number | null) => void
  /** The caller's tally of bytes received over the network, up to date also when the download fails. */
  tally?: { bytes: number }
  /** URL schemes a redirect may lead to (default http and https; others are never followed). */
  allowProtocols?: readonly string[]
  /** Why a redirect must not be followed to this URL, or null to follow it. */
  checkRedirect?: (url: URL) => string | null
}

/**
 * Downloads `url` into `file` over HTTP(S): what is in `file` already is
 * kept and the rest asked for with a Range request (a server that ignores
 * it sends the whole file again, which replaces the part; a part that does
 * not fit what the server has now is dropped and the file asked for
 * again). Up to five redirects, to allowed http(s) URLs only. Resolves with the file's final size.
 * HTTP_FAILED for an error status or a broken transfer, TOO_LARGE,
 * DOWNLOAD_STALLED for a silent or trickling server, ABORTED; the part
 * stays for a rerun.
 */
export async function downloadToFile (url: string, file: string, o: HttpDownloadOptions): Promise<{ size: number, resumedFrom: number }> {
  const have = await stat(file).then(s => s.size, () => 0)
  const watch = new RateWatch({ windowMs: o.stallTimeoutMs, minBytesPerSecond: o.minBytesPerSecond ?? 0, now: Date.now() })
  const stop = new AbortController()
  const signal = o.signal === undefined ? stop.signal : AbortSignal.any([o.signal, stop.signal])
  let received = 0
  let stalled: MirrorError | null = null
  const seconds = Math.round(o.stallTimeoutMs / 1000)
  const timer = setInterval(() => {
    const s = watch.sample(Date.now(), received)
    if (s === null || stalled !== null) return
    stalled = new MirrorError('DOWNLOAD_STALLED', s.got === 0
      ? `no data from ${url} for ${seconds} s; the partial download is kept`
      : `too slow: ${formatBytes(s.got)} in ${seconds} s from ${url}, under the minimum of ${formatRate(s.needed / (s.windowMs / 1000))}; the partial download is kept`, { url })
    stop.abort()
  }, 250)
  try {
    const allowed = (o.allowProtocols ?? ['http', 'https']).filter(p => p === 'http' || p === 'https')
    let res = await request(url, have, signal, allowed, o.checkRedirect)
    let accepted = await accept(res, url, file, have, o.maxBytes)
    if (accepted === 'restart') {
      // the part on disk does not continue what the server has now (it changed): start again from nothing
      await truncate(file, 0)
      res = await request(url, 0, signal, allowed, o.checkRedirect)
      const again = await accept(res, url, file, 0, o.maxBytes)
      if (again === 'restart') throw new MirrorError('HTTP_FAILED', `${url} answered a whole-file request with a part`, { url })
      accepted = again
    }
    o.onStart?.(accepted)
    let loaded = accepted.resumedFrom
    const count = new Transform({
      transform (chunk: Buffer, _enc, cb) {
        received += chunk.length
        if (o.tally !== undefined) o.tally.bytes += chunk.length
        loaded += chunk.length
        if (loaded > o.maxBytes) { cb(new MirrorError('TOO_LARGE', `${url} sends more than the limit of ${o.maxBytes} bytes`, { url, maxSize: o.maxBytes })); return }
        o.onProgress?.(loaded, accepted.total)
        cb(null, chunk)
      }
    })
    await pipeline(res, count, createWriteStream(file, { flags: 'a', highWaterMark: 1 << 20 }), { signal })
    if (accepted.total !== null && loaded !== accepted.total) {
      throw new MirrorError('HTTP_FAILED', `${url} ended after ${loaded} of ${accepted.total} bytes; the partial download is kept`, { url })
    }
    return { size: loaded, resumedFrom: accepted.resumedFrom }
  } catch (err) {
    if (stalled !== null) throw stalled
    if (o.signal?.aborted === true) throw new MirrorError('ABORTED', 'download interrupted; the partial download is kept and a rerun resumes it', { url })
    if (err instanceof MirrorError) throw err
    const e = err as NodeJS.ErrnoException
    const local = localFailure({ errno: e.code })
    throw new MirrorError(local ?? 'HTTP_FAILED', `${local === null ? `cannot download ${url}` : 'cannot write the download'}: ${e.code ?? e.message}`, { url })
  } finally {
    clearInterval(timer)
  }
}

/**
 * The response checked against the part on disk: a 206 that continues it,
 * a 200 that replaces it (the part is truncated first), or a 416 that says
 * the part is the whole file. Sizes over the limit are refused here,
 * before a byte of the body is read.
 */
async function accept (res: IncomingMessage, url: string, file: string, have: number, maxBytes: number): Promise<{ resumedFrom: number, total: number | null } | 'restart'> {
  const range = parseContentRange(res.headers['content-range'])
  const length = res.headers['content-length'] === undefined ? null : Number(res.headers['content-length'])
  const tooLarge = (n: number): MirrorError => new MirrorError('TOO_LARGE', `${url} is ${n} bytes, over the limit of ${maxBytes}`, { url, length: n, maxSize: maxBytes })
  if (res.statusCode === 416 && range !== null && range.start === null && range.total === have && have > 0) {
    res.resume()
    return { resumedFrom: have, total: have }   // the part is the whole file
  }
  if (res.statusCode === 206 && have > 0 && range !== null && range.start === have && range.total !== null) {
    if (range.total > maxBytes) { res.destroy(); throw tooLarge(range.total) }
    return { resumedFrom: have, total: range.total }
  }
  if (res.statusCode === 200) {
    const total = length !== null && Number.isSafeInteger(length) && length >= 0 ? length : null
    if (total !== null && total > maxBytes) { res.destroy(); throw tooLarge(total) }
    if (have > 0) await truncate(file, 0)
    return { resumedFrom: 0, total }
  }
  res.resume()
  // a 416 or 206 that does not fit the part: the file changed on the server since the part was written
  if (have > 0 && (res.statusCode === 416 || res.statusCode === 206)) return 'restart'
  throw new MirrorError('HTTP_FAILED', `${url} answered ${res.statusCode ?? '?'} ${res.statusMessage ?? ''}`.trimEnd(), { url, status: res.statusCode })
}

/** "bytes 100-199/1000" or "bytes *\/1000"; null when absent or malformed. */
export function parseContentRange (header: string | undefined): { start: number | null, end: number | null, total: number | null } | null {
  if (header === undefined) return null
  const m = /^bytes (?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec(header.trim())
  if (m === null) return null
  const n = (s: string | undefined): number | null => s === undefined || s === '*' ? null : Number(s)
  return { start: n(m[1]), end: n(m[2]), total: n(m[3]) }
}

/** GET with a Range from `from` when there is a part, following redirects to allowed http(s) URLs. */
async function request (url: string, from: number, signal: AbortSignal, allowed: string[], check?: (url: URL) => string | null): Promise<IncomingMessage> {
  let target = new URL(url)
  for (let hops = 0; ; hops++) {
    const res = await get(target, from, signal)
    const location = res.headers.location
    if (res.statusCode === undefined || res.statusCode < 300 || res.statusCode >= 400 || location === undefined) return res
    res.resume()
    if (hops >= MAX_REDIRECTS) throw new MirrorError('HTTP_FAILED', `${url}: more than ${MAX_REDIRECTS} redirects`, { url })
    const next = new URL(location, target)
    if (!allowed.includes(next.protocol.slice(0, -1))) throw new MirrorError('HTTP_FAILED', `${url} redirects to a ${next.protocol.slice(0, -1)} URL, which is not allowed`, { url })
    const refusal = check?.(next) ?? null
    if (refusal !== null) throw new MirrorError('HTTP_FAILED', `${url} redirects to ${next.host}, which is not contacted: ${refusal}`, { url })
    debug('%s redirects to %s', target.href, next.href)
    target = next
  }
}

async function get (url: URL, from: number, signal: AbortSignal): Promise<IncomingMessage> {
  const lib = url.protocol === 'https:' ? https : http
  return await new Promise<IncomingMessage>((resolve, reject) => {
    const req = lib.get(url, {
      signal,
      headers: { 'user-agent': `git-torrent-mirror/${VERSION}`, 'accept-encoding': 'identity', ...(from > 0 ? { range: `bytes=${from}-` } : {}) }
    }, resolve)
    req.once('error', reject)
  })
}
