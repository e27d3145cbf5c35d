import type { EventEmitter } from 'node:events'
import type http from 'node:http'
import type { Duplex } from 'node:stream'
import createDebug from 'debug'

const debug = createDebug('mirror:tracker')

/** The longest WebSocket message taken (ws's default is 100 MiB; an announce with 10 WebRTC offers is a few KiB). */
const MAX_WS_MESSAGE = 64 << 10

export interface EmbeddedTrackerOptions {
  /** Whether the daemon seeds this infohash (hex) now: the only ones tracked. */
  seeds: (infoHash: string) => boolean
  /** The daemon's own peer (its id, hex, and listening port), listed in the swarms it seeds; null when it has none. */
  self: () => Promise<{ peerId: string, port: number } | null>
  /** Each announce, accepted or refused (for /metrics). */
  onAnnounce?: (accepted: boolean) => void
}

// The part of bittorrent-tracker's untyped Server used here.
interface TrackerSwarm {
  peers: { peek: (id: string) => unknown }
  announce: (params: Record<string, unknown>, cb: (err: Error | null) => void) => void
}
interface WsServer extends EventEmitter {
  clients: Set<{ terminate: () => void }>
  handleUpgrade: (req: http.IncomingMessage, socket: Duplex, head: Buffer, cb: (ws: unknown) => void) => void
}
interface TrackerServer extends EventEmitter {
  ws: WsServer
  onHttpRequest: (req: http.IncomingMessage, res: http.ServerResponse, opts: { action: 'announce' | 'scrape' }) => void
  getSwarm: (infoHash: string, cb: (err: Error | null, swarm?: TrackerSwarm) => void) => void
  createSwarm: (infoHash: string, cb: (err: Error | null, swarm: TrackerSwarm) => void) => void
  close: (cb: () => void) => void
}
type FilterCallback = (err?: Error | null) => void

/**
 * mirror-daemon's tracker: bittorrent-tracker's Server without sockets of
 * its own (no UDP, no HTTP server, WebSocket without a server), fed the
 * daemon's HTTP requests (`/announce`, `/scrape`) and WebSocket upgrades
 * (`ws://HOST:PORT/announce`, for browser peers). Its filter refuses every
 * infohash the daemon does not seed, so that it cannot be used as a
 * tracker for anything else. An accepted HTTP announce also lists the
 * daemon itself (its peer id and port, at the address the announce
 * reached: the one that peer can reach) so that a peer using only this
 * tracker finds the seeder behind it.
 */
export class EmbeddedTracker {
  private readonly swarms = new Map<string, Promise<TrackerSwarm>>()
  private closing: Promise<void> | null = null

  private constructor (private readonly server: TrackerServer, private readonly o: EmbeddedTrackerOptions) {}

  static async open (o: EmbeddedTrackerOptions): Promise<EmbeddedTracker> {
    // A computed specifier: the package has no types and this keeps its `any` to this line.
    const specifier: string = 'bittorrent-tracker/server'
    const Server = (await import(specifier)).default as new (opts: Record<string, unknown>) => TrackerServer
    let tracker: EmbeddedTracker | null = null
    const server = new Server({
      http: false,
      udp: false,
      ws: { noServer: true, clientTracking: true, maxPayload: MAX_WS_MESSAGE },
      stats: false,
      trustProxy: false,
      filter: (infoHash: string, params: Record<string, unknown>, cb: FilterCallback) => tracker!.filter(infoHash, params, cb)
    })
    server.on('warning', (err: Error) => debug('warning: %s', err.message))
    server.on('error', (err: Error) => debug('error: %s', err.message))
    tracker = new EmbeddedTracker(server, o)
    return tracker
  }

  /** GET /announce or /scrape: answered with a bencoded dictionary (a `failure reason` for what is refused). */
  answer (req: http.IncomingMessage, res: http.ServerResponse, action: 'announce' | 'scrape'): void {
    res.setHeader('Content-Type', 'text/plain')
    res.setHeader('Cache-Control', 'no-store')
    this.server.onHttpRequest(req, res, { action })
  }

  /** A WebSocket upgrade of /announce. */
  upgrade (req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closing !== null) { socket.destroy(); return }
    this.server.ws.handleUpgrade(req, socket, head, ws => this.server.ws.emit('connection', ws, req))
  }

  /** Idempotent; cuts the WebSocket peers still connected. */
  async close (): Promise<void> {
    this.closing ??= new Promise<void>(resolve => {
      this.server.close(() => resolve())
      for (const c of this.server.ws.clients) c.terminate()
    })
    await this.closing
  }

  private filter (infoHash: string, params: Record<string, unknown>, cb: FilterCallback): void {
    if (!this.o.seeds(infoHash)) {
      this.o.onAnnounce?.(false)
      cb(new Error('not tracked here: this tracker tracks only the torrents its daemon seeds'))
      return
    }
    this.o.onAnnounce?.(true)
    this.listSelf(infoHash, params).catch((err: Error) => debug('listing itself in %s: %s', infoHash, err.message)).finally(() => cb(null))
  }

  /** Puts the daemon in the swarm of `infoHash`, at the local address an HTTP announce came to (a WebSocket peer is a browser: it cannot reach a TCP peer). */
  private async listSelf (infoHash: string, params: Record<string, unknown>): Promise<void> {
    const req = params.httpReq as http.IncomingMessage | undefined
    const ip = req?.socket.localAddress?.replace(/^::ffff:/, '')
    if (params.type !== 'http' || ip === undefined) return
    const me = await this.o.self()
    if (me === null) return
    const swarm = await this.swarm(infoHash)
    const addr = ip.includes(':') ? `[${ip}]:${me.port}` : `${ip}:${me.port}`
    // an 'update' from a peer it does not know is a start (lib/server/swarm.js); a later one keeps the entry fresh
    swarm.announce({ type: 'http', event: 'update', peer_id: me.peerId, ip, port: me.port, left: 0, addr, numwant: 0 }, () => {})
  }

  /** The tracker's swarm of `infoHash`, made once (two first announces at once would otherwise each make one). */
  private async swarm (infoHash: string): Promise<TrackerSwarm> {
    let s = this.swarms.get(infoHash)
    if (s === undefined) {
      s = new Promise<TrackerSwarm>((resolve, reject) => {
        this.server.getSwarm(infoHash, (err, found) => {
          if (err !== null) reject(err)
          else if (found !== undefined) resolve(found)
          else this.server.createSwarm(infoHash, (err, made) => { if (err !== null) reject(err); else resolve(made) })
        })
      })
      this.swarms.set(infoHash, s)
    }
    return await s
  }
}
