import createDebug from 'debug'
import WebTorrent from 'webtorrent'
import type { NetworkOptions } from '../../core/network-options.js'

/** The only importer of webtorrent. */
export type { Torrent, Wire } from 'webtorrent'
export type TorrentClient = WebTorrent

const debug = createDebug('mirror:torrent')

/**
 * A webtorrent client configured exactly as the network options say:
 * nothing public is contacted that the options did not ask for. TCP only:
 * webtorrent 2.8's uTP tries uTP first and takes >20 s to fall back.
 */
export function createTorrentClient (net: NetworkOptions): TorrentClient {
  const client = new WebTorrent({
    ...(net.port === null ? {} : { torrentPort: net.port }),
    dht: net.dht ? (net.dhtBootstrap === null ? {} : { bootstrap: net.dhtBootstrap }) : false,
    tracker: net.trackers?.length === 0 ? false : {},
    lsd: net.lsd,
    natUpnp: net.upnp,
    natPmp: net.upnp,
    utp: false
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
