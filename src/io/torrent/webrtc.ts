import createDebug from 'debug'

const debug = createDebug('mirror:webrtc')

let enabling: Promise<void> | null = null

/**
 * Makes webtorrent's WebRTC (node-datachannel through webrtc-polyfill)
 * usable by a Node seeder serving browsers, once per process. Two fixes,
 * each found by cloning from headless Chromium 156 on loopback
 * (docs/browser.md):
 *
 * 1. webrtc-polyfill never fires the final `icecandidate` event (the one
 *    with `candidate: null`) that ends ICE gathering, so simple-peer,
 *    non-trickle as bittorrent-tracker uses it, waits out its 5 s
 *    ICECOMPLETE_TIMEOUT before sending every offer and answer: 5.4 s to
 *    connect instead of 0.4. Gathering's end is known from
 *    iceGatheringState, so that is told as the end of candidates.
 * 2. A seeder that also sends offers (up to 5 a WebSocket announce) races
 *    the browser's: each side keeps a different connection of the pair and
 *    destroys the one the other kept ("Connection failed" in the page,
 *    every time with fix 1 missing, sometimes with it). A complete torrent
 *    (`left` 0) therefore announces over WebSocket with numwant 0: it only
 *    answers offers, which is all a seeder needs. Other trackers' announces
 *    (HTTP, UDP) are unchanged.
 *
 * Both patch library prototypes, checked to exist: a version that renames
 * them fails here, loudly, instead of silently connecting slowly.
 */
export async function enableWebRtc (): Promise<void> {
  enabling ??= (async () => {
    // computed specifiers: the packages have no types, and this keeps their `any` to these lines
    const peerModule: string = '@thaunknown/simple-peer/lite.js'
    const trackerModule: string = 'bittorrent-tracker/websocket-tracker'
    const Peer = (await import(peerModule)).default as { prototype: Record<string, unknown>, WEBRTC_SUPPORT: boolean }
    const WebSocketTracker = (await import(trackerModule)).default as { prototype: Record<string, unknown> }
    if (!Peer.WEBRTC_SUPPORT) throw new Error('webtorrent has no WebRTC here (node-datachannel did not load)')
    const onIceStateChange = Peer.prototype._onIceStateChange
    const announce = WebSocketTracker.prototype.announce
    if (typeof onIceStateChange !== 'function' || typeof Peer.prototype._onIceCandidate !== 'function' || typeof announce !== 'function') {
      throw new Error('simple-peer or bittorrent-tracker changed: check the two fixes in src/io/torrent/webrtc.ts')
    }
    Peer.prototype._onIceStateChange = function (this: { destroyed: boolean, _iceComplete: boolean, _pc?: { iceGatheringState?: string }, _onIceCandidate: (e: { candidate: null }) => void }) {
      onIceStateChange.call(this)
      if (!this.destroyed && !this._iceComplete && this._pc?.iceGatheringState === 'complete') this._onIceCandidate({ candidate: null })
    }
    WebSocketTracker.prototype.announce = function (this: unknown, opts: { left?: number, numwant?: number }) {
      return announce.call(this, opts.left === 0 ? { ...opts, numwant: 0 } : opts)
    }
    debug('WebRTC enabled')
  })()
  await enabling
}
