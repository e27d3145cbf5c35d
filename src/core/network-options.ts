import { MirrorError } from './errors.js'

/** How a command meets the swarm. DESIGN.md: "Options every network command takes". */
export interface NetworkOptions {
  /**
   * Announce URLs the user configured (flags, then git config), in order.
   * null when neither said anything: a publisher then uses DEFAULT_TRACKERS,
   * a downloader or seeder the torrent's own list. [] means no trackers.
   */
  trackers: string[] | null
  dht: boolean
  /** null: the DHT's public bootstrap nodes. */
  dhtBootstrap: string[] | null
  lsd: boolean
  upnp: boolean
  /** null: any free port. */
  port: number | null
}

/** Long-lived public trackers, for a public open-source repository. */
export const DEFAULT_TRACKERS: readonly string[] = [
  'udp://tracker.opentrackr.org:1337/announce',
  'udp://open.stealth.si:80/announce',
  'udp://tracker.torrent.eu.org:451/announce',
  'udp://exodus.desync.com:6969/announce',
  'wss://tracker.openwebtorrent.com',
  'wss://tracker.webtorrent.dev'
]

/** What the command line said; undefined where it said nothing. */
export interface NetworkFlags {
  tracker?: string[] | false   // false: --no-tracker
  dht?: boolean
  dhtBootstrap?: string[]
  lsd?: boolean
  upnp?: boolean
  port?: string
}

/** Git config values under `mirror.*`, as `git config --get-all` prints them. */
export interface MirrorConfig {
  tracker?: string[]
  dht?: string
  dhtBootstrap?: string[]
  lsd?: string
  upnp?: string
  /** mirror.sources: the sources a clone tries, in order (comma list). */
  sources?: string
  /** mirror.allowProtocols: URL schemes a source may use (comma list). */
  allowProtocols?: string
  /** mirror.minRate: a trickle is a stall below this (a size per second, e.g. 32K). */
  minRate?: string
  /** mirror.fetchMirror: full git mirrors a publish records (multi-valued). */
  fetchMirror?: string[]
  /** mirror.visibility: public or private (core/visibility.ts), what mirror-publish --public or --private recorded. */
  visibility?: string
}

/** Flags win over git config, git config over the defaults. */
export function resolveNetworkOptions (flags: NetworkFlags, config: MirrorConfig = {}): NetworkOptions {
  const trackers = flags.tracker === false ? [] : (flags.tracker ?? config.tracker ?? null)
  trackers?.forEach(checkTrackerUrl)
  const bootstrap = flags.dhtBootstrap ?? config.dhtBootstrap ?? null
  bootstrap?.forEach(checkHostPort)
  return {
    trackers: trackers === null ? null : [...new Set(trackers)],
    dht: flags.dht ?? gitBool('mirror.dht', config.dht) ?? true,
    dhtBootstrap: bootstrap === null ? null : [...bootstrap],
    lsd: flags.lsd ?? gitBool('mirror.lsd', config.lsd) ?? true,
    upnp: flags.upnp ?? gitBool('mirror.upnp', config.upnp) ?? true,
    port: flags.port === undefined ? null : parsePort(flags.port)
  }
}

export function checkTrackerUrl (s: string): void {
  let url: URL | undefined
  try { url = new URL(s) } catch {}
  if (url === undefined || !['http:', 'https:', 'udp:', 'ws:', 'wss:'].includes(url.protocol) || /\s/.test(s)) {
    throw new MirrorError('BAD_OPTION', `tracker ${JSON.stringify(s)} is not an http(s), udp or ws(s) URL`, { tracker: s })
  }
}

function checkHostPort (s: string): void {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(s)
  if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    throw new MirrorError('BAD_OPTION', `DHT bootstrap node ${JSON.stringify(s)} is not HOST:PORT`, { node: s })
  }
}

export function parsePort (s: string): number {
  const n = Number(s)
  if (!/^\d+$/.test(s) || n < 1 || n > 65535) throw new MirrorError('USAGE', `port ${JSON.stringify(s)} is not a number from 1 to 65535`)
  return n
}

/** git's boolean spellings (git-config(1) "Values"). */
export function gitBool (key: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined
  const v = value.trim().toLowerCase()
  if (['true', 'yes', 'on', '1'].includes(v)) return true
  if (['false', 'no', 'off', ''].includes(v)) return false
  if (/^[+-]?\d+$/.test(v)) return Number(v) !== 0   // git takes any integer
  throw new MirrorError('BAD_OPTION', `git config ${key}=${JSON.stringify(value)} is not a boolean`, { key })
}
