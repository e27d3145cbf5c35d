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
 * One connection to host:port: a BEP 3 handshake for `infoHash` (with
 * `reserved`'s extension bits), then each message (id first, no length) to
 * `onMessage` until it returns true: resolves true then, false when
 * `timeoutMs` runs out or the peer hangs up after its handshake. Rejects
 * when it cannot connect, hangs up first, or answers for another torrent.
 */
async function converse (
  o: { host: string, port: number, infoHash: Buffer, reserved?: Buffer, timeoutMs: number, awaiting: string },
  onMessage: (message: Buffer) => boolean
): Promise<boolean> {
  return await new Promise<boolean>((resolve, reject) => {
    let buf = Buffer.alloc(0)
    let shookHands = false
    const sock = net.connect({ host: o.host, port: o.port })
    const finish = (err: Error | null, done = false): void => {
      clearTimeout(timer)
      sock.destroy()
      if (err !== null && !shookHands) reject(err)
      else resolve(done)
    }
    const timer = setTimeout(() => finish(new Error(`no ${o.awaiting} from ${o.host}:${o.port} within ${o.timeoutMs} ms`)), o.timeoutMs)
    sock.on('connect', () => {
      sock.write(Buffer.concat([PROTOCOL, o.reserved ?? Buffer.alloc(8), o.infoHash, Buffer.from('-GT0000-'), randomBytes(12)]))
    })
    sock.on('error', err => finish(err))
    sock.on('close', () => finish(new Error(`${o.host}:${o.port} closed the connection before its ${o.awaiting}`)))
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      if (!shookHands) {
        if (buf.length < 68) return
        if (!buf.subarray(0, 20).equals(PROTOCOL) || !buf.subarray(28, 48).equals(o.infoHash)) {
          finish(new Error(`${o.host}:${o.port} answered with another protocol or infohash`))
          return
        }
        shookHands = true
        buf = buf.subarray(68)
      }
      while (buf.length >= 4) {
        const len = buf.readUInt32BE(0)
        if (buf.length < 4 + len) return
        const message = buf.subarray(4, 4 + len)
        buf = buf.subarray(4 + len)
        if (len > 0 && onMessage(message)) { finish(null, true); return }
      }
    })
  })
}

/**
 * How many of `facts.pieces` the peer at 127.0.0.1:port says it has: its bitfield
 * plus any HAVE messages within `timeoutMs` (default 3 s). A peer with no pieces
 * sends no bitfield: 0. `host` is another loopback address if the peer has one. Rejects if it cannot connect or hangs up before its handshake.
 */
export async function peerPieceCount (port: number, facts: TorrentFacts, timeoutMs = 3000, host = '127.0.0.1'): Promise<number> {
  const have = new Set<number>()
  await converse({ host, port, infoHash: Buffer.from(facts.infoHash, 'hex'), timeoutMs, awaiting: 'BitTorrent handshake' }, message => {
    const payload = message.subarray(1)
    if (message[0] === BITFIELD) {
      for (let i = 0; i < facts.pieces; i++) if ((payload[i >> 3]! & (0x80 >> (i & 7))) !== 0) have.add(i)
    } else if (message[0] === HAVE && payload.length === 4) {
      have.add(payload.readUInt32BE(0))
    }
    return have.size === facts.pieces
  })
  return have.size
}

const EXTENDED = 20

/**
 * The extension names (BEP 10 `m`: ut_metadata, ut_pex, ...) the peer at
 * host:port offers for this infohash: a handshake with the extension bit
 * set, then its extended handshake. Rejects if it sends none within
 * `timeoutMs` (default 3 s).
 */
export async function peerExtensions (port: number, infoHashHex: string, timeoutMs = 3000, host = '127.0.0.1'): Promise<string[]> {
  const reserved = Buffer.alloc(8)
  reserved[5] = 0x10   // BEP 10
  let names: string[] | null = null
  const done = await converse({ host, port, infoHash: Buffer.from(infoHashHex, 'hex'), reserved, timeoutMs, awaiting: 'extended handshake' }, message => {
    if (message[0] !== EXTENDED || message[1] !== 0) return false
    const dict = bencode.decode(message.subarray(2)) as { m?: Record<string, unknown> }
    names = Object.keys(dict.m ?? {}).sort()
    return true
  })
  if (!done || names === null) throw new Error(`no extended handshake from ${host}:${port} within ${timeoutMs} ms`)
  return names
}
