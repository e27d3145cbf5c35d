import type http from 'node:http'
import type { Store } from '../io/store/store.js'
import type { DaemonMetrics } from './daemon-metrics.js'
import type { EmbeddedTracker } from './embedded-tracker.js'
import { listenHttp, requestPath, type HttpService } from './listen-http.js'
import { renderStatusPage } from './status-page.js'
import type { StatusView } from './status-view.js'
import { answerStore } from './store-http.js'
import { answerClonePage, type ClonePageDeps } from './clone-page-http.js'

export interface DaemonHttpDeps {
  store: Store
  /** The daemon and its seeder as they are now. */
  status: () => StatusView
  metrics: DaemonMetrics
  tracker: EmbeddedTracker
  /** What the browser clone page reads: a watched remote's records, a magnet's pointer. */
  clonePage: ClonePageDeps
}

/** The status page's headers: nothing but its own inline style may load or run. */
const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': 'default-src \'none\'; style-src \'unsafe-inline\'; base-uri \'none\'; form-action \'none\'; frame-ancestors \'none\'',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store'
}

/**
 * mirror-daemon --http (docs/daemon-http.md), read-only:
 * - `/` the status page (HTML, no script), `/status.json` the same as JSON;
 * - `/metrics` Prometheus text exposition;
 * - `/bundles/<file>` (Range) and `/<project>/bundle-list`: the store, as
 *   mirror-seed --http serves it (store-http.ts answerStore);
 * - `/announce` and `/scrape`: the embedded tracker, over HTTP, and
 *   WebSocket upgrades of `/announce`;
 * - `/clone/`: the browser clone page and the records it reads
 *   (clone-page-http.ts).
 * Anything else: 404; a method other than GET or HEAD: 405. `close()`
 * closes the tracker (its WebSocket peers) and the server.
 */
export async function serveDaemon (deps: DaemonHttpDeps, o: { host: string, port: number }): Promise<HttpService> {
  const service = await listenHttp(async (req, res) => await answer(deps, req, res), { ...o, what: '--http' })
  service.server.on('upgrade', (req: http.IncomingMessage, socket, head: Buffer) => {
    if (requestPath(req) === '/announce') deps.tracker.upgrade(req, socket, head)
    else socket.on('error', () => {}).end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
  })
  return {
    ...service,
    close: async () => {
      await deps.tracker.close()
      await service.close()
    }
  }
}

async function answer (deps: DaemonHttpDeps, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, { Allow: 'GET, HEAD' }).end(); return }
  const path = requestPath(req)
  switch (path) {
    case '/':
      send(req, res, PAGE_HEADERS, renderStatusPage(deps.status()))
      return
    case '/status.json':
      send(req, res, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }, `${JSON.stringify(deps.status(), null, 2)}\n`)
      return
    case '/metrics': {
      const { contentType, text } = await deps.metrics.exposition()
      send(req, res, { 'Content-Type': contentType, 'Cache-Control': 'no-store' }, text)
      return
    }
    case '/announce':
    case '/scrape':
      deps.tracker.answer(req, res, path === '/announce' ? 'announce' : 'scrape')
      return
  }
  if (await answerClonePage(deps.clonePage, req, res)) return
  if (!await answerStore(deps.store, req, res)) res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n')
}

function send (req: http.IncomingMessage, res: http.ServerResponse, headers: Record<string, string>, body: string): void {
  res.writeHead(200, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) })
  res.end(req.method === 'HEAD' ? undefined : body)
}
