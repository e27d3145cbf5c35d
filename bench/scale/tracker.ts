// A BitTorrent HTTP tracker (bittorrent-tracker's Server) on a chosen address,
// so a host in another network namespace can announce to it. No UDP, no WebSocket.
import type { EventEmitter } from 'node:events'
import type http from 'node:http'
import { withDeadline } from '../../test/helpers/wait.js'

export interface BenchTracker {
  port: number
  announceUrl: string
  /** Announces answered so far: [infoHash hex, left, event, peer address] */
  readonly announces: ReadonlyArray<{ infoHash: string, left: number, event: string, addr: string }>
  close(): Promise<void>
}

interface TrackerServer extends EventEmitter {
  http: http.Server | null
  listen(port: { http: number }, hostname: { http: string }): void
  close(cb: (err?: Error | null) => void): void
}
type TrackerServerCtor = new (opts: Record<string, unknown>) => TrackerServer

export async function startBenchTracker (host: string, port = 0): Promise<BenchTracker> {
  const specifier: string = 'bittorrent-tracker/server'
  const Server = (await import(specifier)).default as TrackerServerCtor
  const server = new Server({ http: true, udp: false, ws: false, stats: false, interval: 30_000 })
  await withDeadline(new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.once('listening', () => { server.off('error', reject); resolve() })
    server.listen({ http: port }, { http: host })   // the object form: no udp6 bind on an IPv4 address
  }), 10_000, `tracker listening on ${host}:${port}`)
  server.on('error', () => { /* per-request errors are answered to the client */ })
  const announces: Array<{ infoHash: string, left: number, event: string, addr: string }> = []
  for (const event of ['start', 'update', 'complete', 'stop']) {
    server.on(event, (addr: string, params: { info_hash: string, left: number }) => {
      announces.push({ infoHash: params.info_hash, left: Number(params.left), event, addr })
    })
  }
  const a = server.http?.address()
  if (a === null || a === undefined || typeof a === 'string') throw new Error('tracker has no TCP address')
  let closing: Promise<void> | undefined
  return {
    port: a.port,
    announceUrl: `http://${host}:${a.port}/announce`,
    announces,
    close: () => (closing ??= withDeadline(new Promise<void>(resolve => {
      server.close(() => resolve())
      server.http?.closeAllConnections()
    }), 5000, 'tracker closed').catch(() => {}))
  }
}
