import createDebug from 'debug'
import type WebTorrent from 'webtorrent'
import type { AddOptions, Torrent, Wire } from 'webtorrent'
import type { NetworkOptions } from '../../core/network-options.js'
import { announceList } from '../../core/visibility.js'
import { enableWebRtc } from './webrtc.js'

/** The only importer of webtorrent. */
export type { Torrent, Wire } from 'webtorrent'
export type TorrentClient = WebTorrent

const debug = createDebug('mirror:torrent')

/**
 * The most block requests (16 KiB each) a peer may have outstanding with us,
 * advertised as `reqq` in the BEP 10 extended handshake. webtorrent
 * advertises none, and its leechers keep a second's worth of blocks
 * requested: on loopback that is 150+ MB that a seeder reads into memory
 * and queues for the socket (measured: a seeder serving 1 GB peaked at
 * 410 MB RSS, 175 MB with 250). 250 blocks (4 MiB) in flight still allow
 * 40 MB/s per peer at a 100 ms round trip; libtorrent's default was 250 too.
 * Peers that honour reqq (webtorrent, libtorrent, aria2c) stay within it.
 */
export const REQUEST_QUEUE_BLOCKS = 250

/**
 * webtorrent, imported without its load-time warning when utp-native is
 * missing ("WebTorrent: uTP not supported" and a stack trace, on stderr):
 * the package ships without utp-native (scripts/pack.ts: its install script
 * compiles where no prebuilt binary fits) and the swarm runs with uTP off.
 */
async function loadWebTorrent (): Promise<typeof WebTorrent> {
  const warn = console.warn
  console.warn = (...args: unknown[]) => {
    if (!(typeof args[0] === 'string' && args[0].startsWith('WebTorrent: uTP not supported'))) warn(...args)
  }
  try {
    return (await import('webtorrent')).default
  } finally {
    console.warn = warn
  }
}

/**
 * A webtorrent client configured exactly as the network options say:
 * nothing public is contacted that the options did not ask for. TCP only:
 * webtorrent 2.8's uTP tries uTP first and takes >20 s to fall back.
 * WebRTC (browser peers, met through WebSocket trackers) only with
 * `o.webrtc`: each such peer is a node-datachannel connection, a cost a
 * clone or a seeder of TCP peers has no use for.
 * webtorrent is loaded here, on first use: loading it takes 0.26 s, most of
 * a command's start-up, and a publish without --seed never needs it.
 */
export async function createTorrentClient (net: NetworkOptions, o: { webrtc?: boolean } = {}): Promise<TorrentClient> {
  const WebTorrent = await loadWebTorrent()
  if (o.webrtc === true) await enableWebRtc()
  const client = new WebTorrent({
    ...(net.port === null ? {} : { torrentPort: net.port }),
    dht: net.dht ? (net.dhtBootstrap === null ? {} : { bootstrap: net.dhtBootstrap }) : false,
    // WebSocket trackers (ws://, wss://) mean WebRTC peers: a node-datachannel connection each, off unless asked for.
    // With WebRTC, --no-tracker keeps the tracker client: Swarm#announceAlso's trackers (a daemon's own) are still announced to
    tracker: net.trackers?.length === 0 && o.webrtc !== true ? false : (o.webrtc === true ? {} : { wrtc: false }),
    lsd: net.lsd,
    natUpnp: net.upnp,
    natPmp: net.upnp,
    utp: false
  })
  client.on('add', (torrent: Torrent) => {
    torrent.on('wire', (wire: Wire) => { wire.extendedHandshake.reqq = REQUEST_QUEUE_BLOCKS })   // before the extended handshake is sent
  })
  debug('client: %o', net)
  return client
}

/**
 * The announce list a torrent is shared under: a private torrent's own
 * trackers (BEP 27), else the trackers the user configured, else the
 * torrent's.
 */
export function announceFor (net: NetworkOptions, torrent: { announce?: string[], private?: boolean }): string[] {
  return announceList({ private: torrent.private === true, user: net.trackers, torrent: torrent.announce ?? [] })
}

/**
 * client.add(), keeping a private torrent (BEP 27) to its trackers.
 * webtorrent 2.8.5 does half of it (read in node_modules/webtorrent/lib/
 * torrent.js, checked by test/io/swarm-private.test.ts): its discovery gets
 * `dht: !this.private && client.dht`, and ut_pex is attached to a wire only
 * `if (!this.private)`; but it passes `lsd: this.client.lsd` whatever the
 * torrent, so a private torrent's infohash would be multicast to the local
 * network every 5 minutes (bittorrent-lsd). LSD is a client option, read
 * once when the torrent's discovery starts (_startDiscovery, after add()
 * returns): for a private torrent, that one read sees false. `private` is
 * also passed as an option, which webtorrent's parsed copy follows.
 */
export function addTorrent (client: TorrentClient, torrentId: Parameters<TorrentClient['add']>[0], opts: AddOptions & { private: boolean }): Torrent {
  const { private: isPrivate, ...rest } = opts
  const torrent = client.add(torrentId, isPrivate ? { ...rest, private: true } : rest)
  if (isPrivate) {
    const t = torrent as unknown as { _startDiscovery: () => void }
    const start = t._startDiscovery
    if (typeof start !== 'function') throw new Error('webtorrent has no Torrent#_startDiscovery: check how a private torrent keeps off LSD in this version')
    t._startDiscovery = function (this: unknown) {
      const c = client as unknown as { lsd: boolean }
      const lsd = c.lsd
      c.lsd = false
      try { start.call(this) } finally { c.lsd = lsd }
    }
  }
  return torrent
}

/** Idempotent and bounded: resolves within `timeoutMs` whatever webtorrent does. */
export async function closeTorrentClient (client: TorrentClient, timeoutMs = 5000): Promise<void> {
  if (client.destroyed) return
  await new Promise<void>(resolve => {
    const timer = setTimeout(resolve, timeoutMs)
    timer.unref()
    try {
      client.destroy(() => { clearTimeout(timer); resolve() })
    } catch {
      clearTimeout(timer)
      resolve()
    }
  })
}
