// Minimal typings for the untyped BitTorrent libraries: only what we use.
declare module 'create-torrent' {
  interface CreateTorrentOptions {
    name?: string
    pieceLength?: number
    announceList?: string[][]
    urlList?: string[]
    createdBy?: string
    creationDate?: Date | number
    private?: boolean
    onProgress?: (hashedLength: number, totalLength: number) => void
  }
  function createTorrent (input: string | Buffer | NodeJS.ReadableStream, opts: CreateTorrentOptions, cb: (err: Error | null, torrent: Buffer) => void): void
  export default createTorrent
}

declare module 'parse-torrent' {
  export interface ParsedTorrent {
    infoHash: string
    name: string
    info: Record<string, unknown>
    infoBuffer: Uint8Array
    announce: string[]
    urlList: string[]
    files: Array<{ path: string, name: string, length: number, offset: number }>
    length: number
    pieceLength: number
    lastPieceLength: number
    pieces: string[]
    created?: Date
    createdBy?: string
    private?: boolean
  }
  /** What a magnet URI parses to: no info dictionary. */
  export interface ParsedMagnet {
    infoHash: string
    announce?: string[]
    urlList?: string[]
    [key: string]: unknown
  }
  function parseTorrent (torrentId: Uint8Array): Promise<ParsedTorrent>
  function parseTorrent (magnetUri: string): Promise<ParsedMagnet>
  export default parseTorrent
  export function toMagnetURI (parsed: Partial<ParsedTorrent> & { infoHash: string }): string
  export function toTorrentFile (parsed: ParsedTorrent): Uint8Array
}

declare module 'bencode' {
  const bencode: {
    encode (data: unknown): Uint8Array
    decode (data: Uint8Array): any
  }
  export default bencode
}

declare module 'webtorrent' {
  import { EventEmitter } from 'node:events'
  import type { ParsedTorrent } from 'parse-torrent'

  export interface Wire extends EventEmitter {
    type: string              // 'tcpIncoming' | 'tcpOutgoing' | 'utp…' | 'webSeed' | 'webrtc'
    peerId?: string
    remoteAddress?: string
    remotePort?: number
    uploaded: number
    downloaded: number
    destroyed: boolean
    /** Sent as the BEP 10 extended handshake; set fields in the torrent's 'wire' event, before it goes out. */
    extendedHandshake: Record<string, unknown>
    /** The BEP 10 extended handshake the peer sent, once it arrived. */
    peerExtendedHandshake: Record<string, unknown>
  }

  export interface Torrent extends EventEmitter {
    infoHash: string
    name: string
    length: number
    downloaded: number
    uploaded: number
    received: number
    progress: number
    done: boolean
    ready: boolean
    destroyed: boolean
    /** Set once the info dictionary is known (at once for a .torrent, from peers for a magnet). */
    metadata: Uint8Array | null
    info: Record<string, unknown> | undefined
    torrentFile: Uint8Array
    numPeers: number
    downloadSpeed: number
    uploadSpeed: number
    wires: Wire[]
    pieces: Array<unknown | null>
    pieceLength: number
    /** BEP 27, from the info dictionary (or the add option). */
    private?: boolean
    /** Where the files are written. */
    path: string
    files: Array<{ path: string, name: string, length: number, offset: number }>
    /** Which pieces verified ('verified' fires with the index of each). */
    bitfield: { get (index: number): boolean }
    destroy (opts?: { destroyStore?: boolean }, cb?: (err?: Error | null) => void): void
  }

  export interface AddOptions {
    path?: string
    skipVerify?: boolean
    announce?: string[]
    destroyStoreOnDestroy?: boolean
    strategy?: string
    /** BEP 27: overrides the torrent's own flag (no DHT, no PEX for it) */
    private?: boolean
  }

  export interface Options {
    torrentPort?: number
    dhtPort?: number
    dht?: boolean | Record<string, unknown>
    tracker?: boolean | Record<string, unknown>
    lsd?: boolean
    utPex?: boolean
    natUpnp?: boolean
    natPmp?: boolean
    utp?: boolean
    webSeeds?: boolean
    maxConns?: number
  }

  export default class WebTorrent extends EventEmitter {
    constructor (opts?: Options)
    torrents: Torrent[]
    destroyed: boolean
    torrentPort: number
    /** The peer id it gives in handshakes and announces, hex. */
    peerId: string
    address (): { address: string, port: number } | null
    add (torrent: Uint8Array | ParsedTorrent | { infoHash: string, announce: string[], urlList: string[] }, opts: AddOptions, onTorrent?: (t: Torrent) => void): Torrent
    remove (torrentId: string | Torrent, opts: { destroyStore?: boolean }, cb?: (err?: Error | null) => void): Promise<void>
    destroy (cb?: (err?: Error | null) => void): void
  }
}
