import { readFile } from 'node:fs/promises'
import type http from 'node:http'
import { fileURLToPath } from 'node:url'
import { isMirrorError } from '../core/errors.js'
import { formatPagePointer, formatPageRecords, type PagePointer } from '../core/page-records.js'
import type { WatchedRecords } from './daemon.js'
import { requestPath } from './listen-http.js'

export interface ClonePageDeps {
  /** A watched remote's records, as the daemon last seeded them (Daemon#records). */
  records: (remote: string) => Promise<WatchedRecords | null>
  /** A BEP 46 magnet's pointer, from the daemon's DHT node (clone-pointer.ts). */
  pointer: (magnet: string) => Promise<PagePointer>
}

/** Where `npm run build` puts the page (scripts/build-browser.ts): dist/browser/, beside dist/src/. */
const PAGE_DIR = fileURLToPath(new URL('../../browser/', import.meta.url))

/**
 * The page's headers: its own script and inline style only; it may talk to
 * any http(s) or ws(s) address, because web seeds and WebSocket trackers
 * are wherever the torrent says (the browser's CORS still applies).
 */
const PAGE_HEADERS = {
  'Content-Security-Policy': 'default-src \'none\'; script-src \'self\'; style-src \'unsafe-inline\'; connect-src \'self\' http: https: ws: wss:; base-uri \'none\'; form-action \'none\'; frame-ancestors \'none\'',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache'
}

const assets = new Map<string, Promise<Buffer | null>>()

/**
 * mirror-daemon --http's browser clone (docs/browser.md): answers
 * - `/clone/`: the page, and `/clone/clone.js` its script;
 * - `/clone/records?remote=<name or URL>`: that watched remote's records
 *   and its bundle list's entries (core/page-records.ts), which the page
 *   reads instead of the
 *   origin: a browser cannot speak git's protocol to a git server. Only
 *   remotes the daemon watches: it is not a proxy for any URL;
 * - `/clone/pointer?magnet=<BEP 46 magnet>`: the pointer the daemon's DHT
 *   node finds, and the torrent it names if the store holds it.
 * Failures are JSON `{"error": "<one line>"}`: 400 for a bad magnet, 404 else.
 * Resolves true when it answered, false (having written nothing) for
 * another path.
 */
export async function answerClonePage (deps: ClonePageDeps, req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
  const path = requestPath(req)
  if (path === '/clone') {
    res.writeHead(301, { Location: '/clone/' }).end()
    return true
  }
  if (path === '/clone/' || path === '/clone/clone.js') {
    const html = path === '/clone/'
    const body = await asset(html ? 'index.html' : 'clone.js')
    if (body === null) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('the browser clone page is not built (npm run build)\n')
      return true
    }
    res.writeHead(200, { ...PAGE_HEADERS, 'Content-Type': html ? 'text/html; charset=utf-8' : 'text/javascript; charset=utf-8', 'Content-Length': String(body.length) })
    res.end(req.method === 'HEAD' ? undefined : body)
    return true
  }
  const query = new URL(req.url ?? '/', 'http://x').searchParams
  if (path === '/clone/records') {
    const remote = query.get('remote') ?? ''
    const found = remote === '' ? null : await deps.records(remote)
    if (found === null) sendJson(req, res, 404, failure(remote === '' ? 'no remote given (?remote=<name or URL>)' : `${remote} is not a remote this daemon watches, or nothing it publishes is seeded yet`))
    else sendJson(req, res, 200, formatPageRecords({ ...found, list: found.list?.map(e => ({ sha256: e.sha256, size: e.size, infoHash: e.infoHash })) ?? null }))
    return true
  }
  if (path === '/clone/pointer') {
    try {
      sendJson(req, res, 200, formatPagePointer(await deps.pointer(query.get('magnet') ?? '')))
    } catch (err) {
      if (!isMirrorError(err)) throw err
      sendJson(req, res, err.code === 'BAD_RECORD' ? 400 : 404, failure(err.message))
    }
    return true
  }
  return false
}

function failure (message: string): string {
  return `${JSON.stringify({ error: message })}\n`
}

function sendJson (req: http.IncomingMessage, res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': String(Buffer.byteLength(text)) })
  res.end(req.method === 'HEAD' ? undefined : text)
}

async function asset (name: string): Promise<Buffer | null> {
  let p = assets.get(name)
  if (p === undefined) {
    p = readFile(`${PAGE_DIR}${name}`).catch(() => null)
    assets.set(name, p)
  }
  const got = await p
  if (got === null) assets.delete(name)   // built later: read again
  return got
}
