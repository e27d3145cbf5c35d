import createDebug from 'debug'
import type WebTorrent from 'webtorrent'
import type { Torrent, Wire } from 'webtorrent'
import type { NetworkOptions } from '../../core/network-options.js'

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
 * webtorrent is loaded here, on first use: loading it takes 0.26 s, most of
 * a command's start-up, and a publish without --seed never needs it.
 */
export async function createTorrentClient (net: NetworkOptions): Promise<TorrentClient> {
  const WebTorrent = await loadWebTorrent()
  const client = new WebTorrent({
    ...(net.port === null ? {} : { torrentPort: net.port }),
    dht: net.dht ? (net.dhtBootstrap === null ? {} : { bootstrap: net.dhtBootstrap }) : false,
    tracker: net.trackers?.length === 0 ? false : {},
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
 * The announce list a torrent is shared under: the trackers the user
 * configured, else the ones the torrent names.
 */
export function announceFor (net: NetworkOptions, torrentTrackers: string[]): string[] {
  return net.trackers ?? torrentTrackers
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
