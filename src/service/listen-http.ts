import http from 'node:http'
import type { AddressInfo } from 'node:net'
import createDebug from 'debug'
import { MirrorError } from '../core/errors.js'

const debug = createDebug('mirror:http')

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>

/** A read-only HTTP service listening: where, the node server (for upgrades), and an idempotent, bounded close. */
export interface HttpService {
  url: string
  server: http.Server
  close: () => Promise<void>
}

/**
 * Listens on `o.host:o.port` (port 0: any free one) and answers every
 * request with `handler`; a handler that throws gets a 500 (or, once the
 * headers went, a cut connection), never a crash. A port in use or an
 * address this host does not have is a USAGE error naming `o.what`.
 * `close()` also cuts the connections still open (keep-alive, a slow
 * download), so that it returns at once.
 */
export async function listenHttp (handler: Handler, o: { host: string, port: number, what: string }): Promise<HttpService> {
  const server = http.createServer((req, res) => {
    void handler(req, res).catch((err: unknown) => {
      debug('%s %s: %s', req.method, req.url, (err as Error).message)
      if (!res.headersSent) res.writeHead(500).end()
      else res.destroy()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new MirrorError('USAGE', `${o.what} ${o.host}:${o.port}: ${err.code ?? err.message}`)))
    server.listen(o.port, o.host, () => resolve())
  })
  const address = server.address() as AddressInfo
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
  let closing: Promise<void> | null = null
  return {
    url: `http://${shown}:${address.port}`,
    server,
    close: async () => {
      closing ??= new Promise<void>(resolve => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await closing
    }
  }
}

/** The request's path, without the query. */
export function requestPath (req: http.IncomingMessage): string {
  return (req.url ?? '/').split('?')[0]!
}
