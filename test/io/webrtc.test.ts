// enableWebRtc (io/torrent/webrtc.ts): the two patches it makes to
// simple-peer and bittorrent-tracker, once per process however often it is
// called, and what each does: the WebSocket announce patch on a tracker
// object that records what it would send, the end-of-candidates patch on
// two real node-datachannel peers connecting non-trickle on loopback
// (unpatched, each side waits out simple-peer's 5 s ICECOMPLETE_TIMEOUT:
// measured here 5.0 s to the offer and 10.0 s to connect; patched, 0.01 s).
// Each test file runs in its own process: the first test sees the library
// prototypes before any patch.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { enableWebRtc } from '../../src/io/torrent/webrtc.js'
import { withDeadline } from '../helpers/wait.js'

// the modules enableWebRtc patches, as it imports them (computed specifiers: the packages have no types)
const peerModule: string = '@thaunknown/simple-peer/lite.js'
const trackerModule: string = 'bittorrent-tracker/websocket-tracker'

interface PeerLike {
  on (event: string, fn: (...args: any[]) => void): void
  signal (data: unknown): void
  destroy (): void
}
type PeerCtor = (new (opts: Record<string, unknown>) => PeerLike) & { prototype: Record<string, unknown>, WEBRTC_SUPPORT: boolean }
const loadPeer = async (): Promise<PeerCtor> => (await import(peerModule)).default as PeerCtor
const loadTracker = async (): Promise<{ prototype: Record<string, unknown> }> => (await import(trackerModule)).default as { prototype: Record<string, unknown> }

/** A prototype's own properties (class methods are not enumerable) and their values. */
const ownValues = (proto: object): Record<string, unknown> =>
  Object.fromEntries(Object.getOwnPropertyNames(proto).map(k => [k, Object.getOwnPropertyDescriptor(proto, k)?.value]))

test('enableWebRtc: patches simple-peer and the WebSocket tracker once, however often and however concurrently it is called', { timeout: 30_000 }, async () => {
  const Peer = await loadPeer()
  const WebSocketTracker = await loadTracker()
  const original = { ice: Peer.prototype._onIceStateChange, announce: WebSocketTracker.prototype.announce }
  const before = { peer: ownValues(Peer.prototype), tracker: ownValues(WebSocketTracker.prototype) }
  assert.equal(typeof original.ice, 'function')
  assert.equal(typeof original.announce, 'function')

  await Promise.all([enableWebRtc(), enableWebRtc()])
  const patched = { ice: Peer.prototype._onIceStateChange, announce: WebSocketTracker.prototype.announce }
  assert.notEqual(patched.ice, original.ice, 'simple-peer\'s _onIceStateChange is patched')
  assert.notEqual(patched.announce, original.announce, 'WebSocketTracker#announce is patched')

  await enableWebRtc()
  await enableWebRtc()
  // a second patch would wrap the first: another function in the prototype
  assert.equal(Peer.prototype._onIceStateChange, patched.ice, 'not patched again')
  assert.equal(WebSocketTracker.prototype.announce, patched.announce, 'not patched again')
  // nothing else of either prototype is touched
  assert.deepEqual(ownValues(Peer.prototype), { ...before.peer, _onIceStateChange: patched.ice })
  assert.deepEqual(ownValues(WebSocketTracker.prototype), { ...before.tracker, announce: patched.announce })
})

/** What a WebSocketTracker would do with an announce: the offers it would generate, the message it would send. */
function recordingTracker (): { self: Record<string, unknown>, generated: number[], sent: Array<Record<string, unknown>> } {
  const generated: number[] = []
  const sent: Array<Record<string, unknown>> = []
  const self = {
    destroyed: false,
    reconnecting: false,
    socket: { connected: true },
    client: { _infoHashBinary: 'i'.repeat(20), _peerIdBinary: 'p'.repeat(20) },
    _generateOffers: (n: number, cb: (offers: unknown[]) => void) => { generated.push(n); cb(Array.from({ length: n }, (_, i) => ({ offer: `o${i}` }))) },
    _send: (params: Record<string, unknown>) => { sent.push(params) }
  }
  return { self, generated, sent }
}

test('the WebSocket announce patch: a complete torrent (left 0) asks for no peers and generates no offers; an incomplete one is unchanged', { timeout: 30_000 }, async () => {
  await enableWebRtc()
  const announce = (await loadTracker()).prototype.announce as (this: unknown, opts: Record<string, unknown>) => void

  const cases: Array<{ opts: Record<string, unknown>, generated: number[], numwant: number | undefined, offers: number | undefined }> = [
    { opts: { event: 'started', left: 0, numwant: 50 }, generated: [0], numwant: 0, offers: 0 },
    { opts: { left: 0, numwant: 50 }, generated: [0], numwant: 0, offers: 0 },                       // the periodic update
    { opts: { event: 'started', left: 1000, numwant: 50 }, generated: [5], numwant: 5, offers: 5 },   // a leecher: up to 5 offers, as before
    { opts: { event: 'started', left: 1, numwant: 2 }, generated: [2], numwant: 2, offers: 2 },
    { opts: { event: 'completed', left: 0, numwant: 50 }, generated: [], numwant: 0, offers: undefined },   // no offers with completed or stopped, patched or not
    { opts: { event: 'stopped', left: 0, numwant: 50 }, generated: [], numwant: 0, offers: undefined },
    { opts: { event: 'stopped', left: 10, numwant: 50 }, generated: [], numwant: 50, offers: undefined }
  ]
  for (const c of cases) {
    const r = recordingTracker()
    const opts = { ...c.opts }
    announce.call(r.self, opts)
    const what = JSON.stringify(c.opts)
    assert.deepEqual(r.generated, c.generated, what)
    assert.equal(r.sent.length, 1, what)
    assert.equal(r.sent[0]!.numwant, c.numwant, what)
    assert.equal((r.sent[0]!.offers as unknown[] | undefined)?.length, c.offers, what)
    assert.equal(r.sent[0]!.left, c.opts.left, what)
    assert.deepEqual(opts, c.opts, `${what}: the caller's options are not changed`)
  }
})

test('the ICE patch: two node-datachannel peers, non-trickle, send their offer and answer and connect without waiting out the 5 s ICE timeout', { timeout: 60_000 }, async t => {
  await enableWebRtc()
  const Peer = await loadPeer()
  assert.equal(Peer.WEBRTC_SUPPORT, true, 'node-datachannel loaded')
  const start = Date.now()
  const at: Record<string, number> = {}
  const iceDone = { a: 0, b: 0 }
  const timeouts: string[] = []
  const a = new Peer({ initiator: true, trickle: false })
  const b = new Peer({ trickle: false })
  t.after(() => { a.destroy(); b.destroy() })
  a.on('_iceComplete', () => { iceDone.a++ })
  b.on('_iceComplete', () => { iceDone.b++ })
  a.on('iceTimeout', () => timeouts.push('a'))
  b.on('iceTimeout', () => timeouts.push('b'))
  const connected = new Promise<void>((resolve, reject) => {
    a.on('signal', (s: { type: string }) => { at[`a ${s.type}`] = Date.now() - start; b.signal(s) })
    b.on('signal', (s: { type: string }) => { at[`b ${s.type}`] = Date.now() - start; a.signal(s) })
    a.on('connect', () => { at.connect = Date.now() - start; resolve() })
    a.on('error', reject)
    b.on('error', reject)
  })
  await withDeadline(connected, 30_000, 'the two peers connecting')
  assert.deepEqual(timeouts, [], 'no peer waited out its ICE timeout')
  assert.deepEqual(iceDone, { a: 1, b: 1 }, 'the end of candidates is told once per peer')
  // unpatched: the offer at 5.0 s, the answer 5 s later; 3 s leaves a loaded machine room and still tells the two apart
  assert.ok(at['a offer']! < 3000, JSON.stringify(at))
  assert.ok(at['b answer']! - at['a offer']! < 3000, JSON.stringify(at))
})
