// Ask a BitTorrent peer on loopback which pieces it has: one TCP connection,
// a BEP 3 handshake without extensions, then its bitfield. Proves that a seeder
// listens, serves this infohash and has verified every piece.
import { createHash, randomBytes } from 'node:crypto'
import net from 'node:net'
import bencode from 'bencode'

export interface TorrentFacts {
  /** hex */
  infoHash: string
  pieces: number
}

/** Infohash and piece count of a v1 .torrent's bytes. */
export function torrentFacts (torrent: Uint8Array): TorrentFacts {
  const dict = bencode.decode(torrent) as { info?: { pieces?: Uint8Array } }
  if (dict.info?.pieces === undefined) throw new Error('not a v1 torrent: no info.pieces')
  return {
    infoHash: createHash('sha1').update(bencode.encode(dict.info)).digest('hex'),
    pieces: dict.info.pieces.length / 20
  }
}

const PROTOCOL = Buffer.from('\x13BitTorrent protocol', 'latin1')
const BITFIELD = 5
const HAVE = 4

/**
 * How many of `facts.pieces` the peer at 127.0.0.1:port says it has: its bitfield
 * plus any HAVE messages within `timeoutMs` (default 3 s). A peer with no pieces
 * sends no bitfield: 0. `host` is another loopback address if the peer has one. Rejects if it cannot connect or hangs up before its handshake.
 */
export async function peerPieceCount (port: number, facts: TorrentFacts, timeoutMs = 3000, host = '127.0.0.1'): Promise<number> {
  const infoHash = Buffer.from(facts.infoHash, 'hex')
  return await new Promise<number>((resolve, reject) => {
    const have = new Set<number>()
    let buf = Buffer.alloc(0)
    let shookHands = false
    const sock = net.connect({ host, port })
    const finish = (err?: Error): void => {
      clearTimeout(timer)
      sock.destroy()
      if (err !== undefined && !shookHands) reject(err)
      else resolve(have.size)
    }
    const timer = setTimeout(() => finish(new Error(`no BitTorrent handshake from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs)
    sock.on('connect', () => {
      sock.write(Buffer.concat([PROTOCOL, Buffer.alloc(8), infoHash, Buffer.from('-GT0000-'), randomBytes(12)]))
    })
    sock.on('error', err => finish(err))
    sock.on('close', () => finish(new Error(`${host}:${port} closed the connection before its handshake`)))
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      if (!shookHands) {
        if (buf.length < 68) return
        if (!buf.subarray(0, 20).equals(PROTOCOL) || !buf.subarray(28, 48).equals(infoHash)) {
          finish(new Error(`${host}:${port} answered with another protocol or infohash`))
          return
        }
        shookHands = true
        buf = buf.subarray(68)
      }
      while (buf.length >= 4) {
        const len = buf.readUInt32BE(0)
        if (buf.length < 4 + len) return
        const id = len > 0 ? buf[4] : undefined
        const payload = buf.subarray(5, 4 + len)
        buf = buf.subarray(4 + len)
        if (id === BITFIELD) {
          for (let i = 0; i < facts.pieces; i++) if ((payload[i >> 3]! & (0x80 >> (i & 7))) !== 0) have.add(i)
        } else if (id === HAVE && payload.length === 4) {
          have.add(payload.readUInt32BE(0))
        }
        if (have.size === facts.pieces) { finish(); return }
      }
    })
  })
}

const EXTENDED = 20

/**
 * The extension names (BEP 10 `m`: ut_metadata, ut_pex, ...) the peer at
 * host:port offers for this infohash: a handshake with the extension bit
 * set, then its extended handshake. Rejects if it sends none within
 * `timeoutMs` (default 3 s).
 */
export async function peerExtensions (port: number, infoHashHex: string, timeoutMs = 3000, host = '127.0.0.1'): Promise<string[]> {
  const infoHash = Buffer.from(infoHashHex, 'hex')
  return await new Promise<string[]>((resolve, reject) => {
    let buf = Buffer.alloc(0)
    let shookHands = false
    const sock = net.connect({ host, port })
    const finish = (err: Error | null, names?: string[]): void => {
      clearTimeout(timer)
      sock.destroy()
      if (err !== null) reject(err)
      else resolve(names!)
    }
    const timer = setTimeout(() => finish(new Error(`no extended handshake from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs)
    sock.on('connect', () => {
      const reserved = Buffer.alloc(8)
      reserved[5] = 0x10   // BEP 10
      sock.write(Buffer.concat([PROTOCOL, reserved, infoHash, Buffer.from('-GT0000-'), randomBytes(12)]))
    })
    sock.on('error', err => finish(err))
    sock.on('close', () => finish(new Error(`${host}:${port} closed the connection before its extended handshake`)))
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      if (!shookHands) {
        if (buf.length < 68) return
        if (!buf.subarray(0, 20).equals(PROTOCOL) || !buf.subarray(28, 48).equals(infoHash)) {
          finish(new Error(`${host}:${port} answered with another protocol or infohash`))
          return
        }
        shookHands = true
        buf = buf.subarray(68)
      }
      while (buf.length >= 4) {
        const len = buf.readUInt32BE(0)
        if (buf.length < 4 + len) return
        const payload = buf.subarray(4, 4 + len)
        buf = buf.subarray(4 + len)
        if (payload[0] === EXTENDED && payload[1] === 0) {
          const dict = bencode.decode(payload.subarray(2)) as { m?: Record<string, unknown> }
          finish(null, Object.keys(dict.m ?? {}).sort())
          return
        }
      }
    })
  })
}
