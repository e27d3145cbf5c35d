// What the loopback HTTP servers record, and how they shut down.
import type { Server } from 'node:http'

export interface RequestRecord {
  method: string
  path: string
  query: string
  status: number
  bytes: number
}

export interface HttpStats {
  bytesSent: number
  requests: RequestRecord[]
}

export function newStats (): HttpStats {
  return { bytesSent: 0, requests: [] }
}

export function splitUrl (rawUrl: string | undefined): { path: string; query: string } {
  const url = rawUrl ?? '/'
  const q = url.indexOf('?')
  return q === -1 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) }
}

export async function listenLoopback (server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const addr = server.address()
  if (addr === null || typeof addr === 'string') throw new Error('server has no TCP address')
  return addr.port
}

// Stop accepting, drop idle and busy keep-alive sockets, and give up after timeoutMs.
export async function closeServer (server: Server, timeoutMs = 5000): Promise<void> {
  if (!server.listening) return
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`http server did not close within ${timeoutMs} ms`)), timeoutMs)
    server.close(() => { clearTimeout(timer); resolve() })
    server.closeAllConnections()
  })
}
