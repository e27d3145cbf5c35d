// Files under a root over HTTP with single byte ranges, as BitTorrent web
// seeds (BEP 19) need: 206 + Content-Range, 416 when unsatisfiable, HEAD.
// Optionally paced (bytesPerSecond), so a download through it takes known seconds.
import { createReadStream, type ReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { parseRange } from '../../src/core/byte-range.js'
import { closeServer, listenLoopback, newStats, splitUrl, type RequestRecord } from './http-stats.js'

export interface StaticServer {
  port: number
  /** http://127.0.0.1:PORT/<relPath>, each segment percent-encoded */
  url(relPath: string): string
  readonly bytesSent: number
  readonly requests: RequestRecord[]
  resetStats(): void
  close(): Promise<void>
}

// the product's own Range parser (core/byte-range.ts), so the test server and mirror-seed --http answer alike
export { parseRange, type ByteRange } from '../../src/core/byte-range.js'

export interface StaticServerOptions {
  /**
   * Pace every response body to about this many bytes per second (a body of
   * n bytes takes about n / bytesPerSecond seconds), per response. Unset: full speed.
   */
  bytesPerSecond?: number
}

export async function startStaticServer (root: string, opts: StaticServerOptions = {}): Promise<StaticServer> {
  const rate = opts.bytesPerSecond
  if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) throw new Error(`bytesPerSecond must be a positive number, not ${rate}`)
  const realRoot = await realpath(root)
  let stats = newStats()

  const server = http.createServer((req, res) => {
    const { path: urlPath, query } = splitUrl(req.url)
    let bytes = 0
    res.once('close', () => {
      stats.requests.push({ method: req.method ?? '', path: urlPath, query, status: res.statusCode, bytes })
    })
    const count = (n: number): void => { bytes += n; stats.bytesSent += n }
    serve(realRoot, req, res, urlPath, count, rate).catch(() => {
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
  const port = await listenLoopback(server)

  let closing: Promise<void> | undefined
  return {
    port,
    url: (relPath: string) =>
      `http://127.0.0.1:${port}/${relPath.replace(/^\/+/, '').split('/').map(encodeURIComponent).join('/')}`,
    get bytesSent () { return stats.bytesSent },
    get requests () { return stats.requests },
    resetStats: () => { stats = newStats() },
    close: () => (closing ??= closeServer(server))
  }
}

async function serve (
  root: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  urlPath: string,
  count: (n: number) => void,
  rate: number | undefined
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end()
    return
  }
  const file = await resolveInside(root, urlPath)
  if (file === 'forbidden') { res.writeHead(403).end(); return }
  const st = file === null ? null : await stat(file).catch(() => null)
  if (file === null || st === null || !st.isFile()) { res.writeHead(404).end(); return }

  const size = st.size
  const range = parseRange(req.headers.range, size)
  const headers: http.OutgoingHttpHeaders = {
    'Accept-Ranges': 'bytes',
    'Content-Type': 'application/octet-stream',
    'Last-Modified': st.mtime.toUTCString()
  }
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}` }).end()
    return
  }
  const { start, end } = range ?? { start: 0, end: size - 1 }
  const length = end - start + 1
  headers['Content-Length'] = length
  if (range !== null) headers['Content-Range'] = `bytes ${start}-${end}/${size}`
  res.writeHead(range === null ? 200 : 206, headers)
  if (req.method === 'HEAD' || length === 0) { res.end(); return }

  if (rate !== undefined) {
    sendPaced(createReadStream(file, { start, end, highWaterMark: pacedChunkSize(rate) }), res, rate, count)
    return
  }
  const stream = createReadStream(file, { start, end })
  stream.on('data', (chunk) => count(chunk.length))
  stream.on('error', () => res.destroy())
  res.once('close', () => stream.destroy())
  stream.pipe(res)
}

/** About 20 chunks a second, between 1 KiB and 64 KiB each. */
function pacedChunkSize (rate: number): number {
  return Math.max(1024, Math.min(64 * 1024, Math.floor(rate / 20)))
}

/**
 * Write each chunk, then hold the stream until the bytes sent so far are due
 * at `rate` since the first one (and the socket has drained): n bytes end after
 * n / rate seconds, whatever the timer jitter.
 */
function sendPaced (stream: ReadStream, res: http.ServerResponse, rate: number, count: (n: number) => void): void {
  const began = Date.now()
  let sent = 0
  let timer: NodeJS.Timeout | undefined
  stream.on('data', (chunk: Buffer | string) => {
    const n = chunk.length
    count(n)
    sent += n
    const drained = res.write(chunk)
    stream.pause()
    let waits = drained ? 1 : 2
    const done = (): void => { if (--waits === 0 && !res.destroyed) stream.resume() }
    if (!drained) res.once('drain', done)
    timer = setTimeout(done, Math.max(0, began + (sent / rate) * 1000 - Date.now()))
  })
  stream.on('end', () => res.end())
  stream.on('error', () => res.destroy())
  res.once('close', () => { clearTimeout(timer); stream.destroy() })
}

/** The real path of urlPath under root; 'forbidden' if it escapes root (also via symlinks), null if absent. */
async function resolveInside (root: string, urlPath: string): Promise<string | null | 'forbidden'> {
  let rel: string
  try { rel = decodeURIComponent(urlPath) } catch { return 'forbidden' }
  if (rel.includes('\0')) return 'forbidden'
  const inside = (p: string): boolean => p === root || p.startsWith(root + path.sep)
  const candidate = path.resolve(root, './' + rel)
  if (!inside(candidate)) return 'forbidden'
  let real: string
  try { real = await realpath(candidate) } catch { return null }
  return inside(real) ? real : 'forbidden'
}
