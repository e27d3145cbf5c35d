// A BitTorrent HTTP tracker on loopback (bittorrent-tracker's Server), no UDP;
// WebSocket (WebTorrent's browser-peer tracker) on the same port when asked for.
import type http from 'node:http'
import type { EventEmitter } from 'node:events'
import { getText } from './http-request.js'
import { withDeadline } from './wait.js'

export interface Tracker {
  port: number
  /** http://127.0.0.1:PORT/announce */
  announceUrl: string
  /** ws://127.0.0.1:PORT/announce (only answered with `ws: true`) */
  wsAnnounceUrl: string
  /** GET /stats.json */
  stats(): Promise<TrackerStats>
  /** Every announce the tracker has answered, oldest first (recorded after the peer is in the swarm). */
  readonly announces: readonly TrackerAnnounce[]
  /** With `ws: true`: every WebSocket connection made to it, and every message each sent, parsed, as the client wrote it (before the server reads numwant from its offers). */
  readonly ws: { connections: number, messages: readonly WsMessage[] }
  close(): Promise<void>
}

export interface TrackerAnnounce {
  /** hex */
  infoHash: string
  /** the peer's listening port, as announced */
  port: number
  /** bytes left: 0 for a seeder */
  left: number
  event: 'start' | 'update' | 'complete' | 'stop' | 'pause'
  /** how it came: an HTTP GET or a WebSocket message */
  type: 'http' | 'ws'
}

/** A WebSocket client's message; info_hash and peer_id as the 20-character binary strings WebTorrent sends. */
export interface WsMessage {
  action?: string
  info_hash?: string
  peer_id?: string
  event?: string
  left?: number
  numwant?: number
  offers?: unknown[]
  answer?: unknown
  [key: string]: unknown
}

/** The fields of /stats.json that tests read; the rest is passed through. */
export interface TrackerStats {
  torrents: number
  activeTorrents: number
  peersAll: number
  peersSeederOnly: number
  peersLeecherOnly: number
  [key: string]: unknown
}

// The part of bittorrent-tracker's untyped Server that is used here.
interface WsSocket extends EventEmitter { terminate(): void }
interface TrackerServer extends EventEmitter {
  http: http.Server | null
  ws: EventEmitter | null
  listen(port: { http: number }, hostname: { http: string }): void
  close(cb: (err?: Error | null) => void): void
}
type TrackerServerCtor = new (opts: Record<string, unknown>) => TrackerServer

export async function startTracker (opts: { intervalMs?: number, ws?: boolean } = {}): Promise<Tracker> {
  // A computed specifier: the package has no types and this keeps its `any` to this line.
  const specifier: string = 'bittorrent-tracker/server'
  const Server = (await import(specifier)).default as TrackerServerCtor
  const server = new Server({
    http: true,
    udp: false,
    ws: opts.ws === true,
    stats: true,
    ...(opts.intervalMs !== undefined ? { interval: opts.intervalMs } : {})
  })
  // listen(port, '127.0.0.1') would also bind udp6 to 127.0.0.1 (EINVAL); the object form names each socket.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.once('listening', () => { server.off('error', reject); resolve() })
    server.listen({ http: 0 }, { http: '127.0.0.1' })
  })
  server.on('error', () => { /* per-request errors after start are reported to the client */ })
  const announces: TrackerAnnounce[] = []
  for (const event of ['start', 'update', 'complete', 'stop', 'pause'] as const) {
    server.on(event, (_addr: unknown, params: { info_hash: string; port: number; left: number; type: 'http' | 'ws' }) => {
      announces.push({ infoHash: params.info_hash, port: params.port, left: params.left, event, type: params.type })
    })
  }
  const ws = { connections: 0, messages: [] as WsMessage[] }
  const sockets = new Set<WsSocket>()
  server.ws?.on('connection', (socket: WsSocket) => {
    ws.connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('message', (data: Buffer) => {
      try { ws.messages.push(JSON.parse(data.toString('utf8')) as WsMessage) } catch { ws.messages.push({ unparsed: data.toString('utf8') }) }
    })
  })
  const addr = server.http?.address()
  if (addr === null || addr === undefined || typeof addr === 'string') throw new Error('tracker has no TCP address')
  const port = addr.port

  let closing: Promise<void> | undefined
  return {
    port,
    announceUrl: `http://127.0.0.1:${port}/announce`,
    wsAnnounceUrl: `ws://127.0.0.1:${port}/announce`,
    stats: async () => JSON.parse(await getText(`http://127.0.0.1:${port}/stats.json`)) as TrackerStats,
    announces,
    ws,
    close: () => (closing ??= closeTracker(server, sockets))
  }
}

async function closeTracker (server: TrackerServer, sockets: Set<WsSocket>): Promise<void> {
  for (const socket of sockets) socket.terminate()   // http.Server#close neither waits for nor ends an upgraded connection
  await withDeadline(new Promise<void>(resolve => {
    server.close(() => resolve()) // closes its http server; the callback waits for open sockets
    server.http?.closeAllConnections()
  }), 5000, 'tracker did not close')
}
