// The parts of untyped browser packages the page uses.
declare module 'sha.js' {
  interface Hash { update: (data: Uint8Array | string) => Hash, digest: (enc?: 'hex') => string }
  const shajs: (algorithm: string) => Hash
  export default shajs
}

declare module 'webtorrent/dist/webtorrent.min.js' {
  export interface BrowserWire { type: string, downloaded: number }
  export interface BrowserFile { name: string, path: string, length: number, arrayBuffer: () => Promise<ArrayBuffer> }
  export interface BrowserTorrent {
    infoHash: string
    length: number
    downloaded: number
    progress: number
    done: boolean
    files: BrowserFile[]
    wires: BrowserWire[]
    on: (event: string, cb: (...args: any[]) => void) => void
    once: (event: string, cb: (...args: any[]) => void) => void
  }
  export default class WebTorrent {
    static WEBRTC_SUPPORT: boolean
    constructor (opts?: Record<string, unknown>)
    add (id: Uint8Array | string, opts: Record<string, unknown>, cb?: (t: BrowserTorrent) => void): BrowserTorrent
    on (event: string, cb: (...args: any[]) => void): void
    destroy (cb?: (err?: Error) => void): void
  }
}
