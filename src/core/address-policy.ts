import { BlockList, isIP } from 'node:net'

/**
 * Which addresses a URL taken from the network may make this machine
 * contact. Web seeds (a torrent's url-list, a magnet's ws= and as=), HTTP
 * bundle URLs and mirror URLs all come from records anyone who can push to
 * the origin (or who serves it) writes, and the clone fetches them with the
 * user's network position: a record naming http://127.0.0.1:6379/ or a
 * router's 192.168.1.1 would make every clone knock there (server-side
 * request forgery, run from each contributor's machine).
 *
 * The rule: a source may be as local as the origin, no more. Every address
 * is loopback, private (RFC 1918, link-local, carrier-grade NAT, IPv6
 * unique-local and link-local, mDNS and home.arpa names) or public; a
 * source's class must not be more local than the origin's (an origin on
 * 127.0.0.1, as in tests and demos, allows all; an origin on a company's
 * 10.x network allows private and public sources; a public origin, public
 * ones only). Multicast, broadcast and reserved addresses are never
 * contacted, nor, over http(s), the ports browsers refuse (the Fetch
 * standard's "bad ports": SMTP, IRC and the like, where a crafted HTTP
 * request could talk to another protocol).
 *
 * Host names are classed by their text, not resolved: a public name that
 * resolves to a private address is not caught here (DNS answers can change
 * between a check and the connection; see docs/threats.md).
 */
export type AddressClass = 'loopback' | 'private' | 'public'

const RANK: Record<AddressClass, number> = { public: 0, private: 1, loopback: 2 }

const LOOPBACK = new BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
LOOPBACK.addAddress('::1', 'ipv6')

const PRIVATE = new BlockList()
for (const [net, bits] of [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['169.254.0.0', 16], ['100.64.0.0', 10]] as const) PRIVATE.addSubnet(net, bits, 'ipv4')
PRIVATE.addSubnet('fc00::', 7, 'ipv6')
PRIVATE.addSubnet('fe80::', 10, 'ipv6')

/** Never contacted: "this network", multicast, reserved and broadcast, the unspecified and multicast IPv6. */
const NEVER = new BlockList()
for (const [net, bits] of [['0.0.0.0', 8], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) NEVER.addSubnet(net, bits, 'ipv4')
NEVER.addAddress('::', 'ipv6')
NEVER.addSubnet('ff00::', 8, 'ipv6')

/** The Fetch standard's bad ports (https://fetch.spec.whatwg.org/#port-blocking). */
export const BAD_PORTS: ReadonlySet<number> = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111,
  113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548,
  554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566,
  6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080
])

/** A host (name or address, IPv6 with or without brackets) by class; null when it is never to be contacted. */
export function addressClass (host: string): AddressClass | null {
  let h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '')
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h)
  if (mapped !== null) h = mapped[1]!
  const family = isIP(h)
  if (family === 0) {
    if (h === 'localhost' || h.endsWith('.localhost')) return 'loopback'
    if (h.endsWith('.local') || h === 'home.arpa' || h.endsWith('.home.arpa')) return 'private'
    return 'public'
  }
  const type = family === 4 ? 'ipv4' : 'ipv6'
  if (type === 'ipv4' && h === '255.255.255.255') return null
  if (LOOPBACK.check(h, type)) return 'loopback'
  if (NEVER.check(h, type)) return null
  if (PRIVATE.check(h, type)) return 'private'
  return 'public'
}

/**
 * The class of the place the origin is: its URL's host, an scp-like
 * `[user@]host:path`'s host; a local path (or file://) is this machine.
 */
export function originClass (origin: string): AddressClass {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(origin)) {
    let url: URL
    try { url = new URL(origin) } catch { return 'public' }
    return url.protocol === 'file:' ? 'loopback' : addressClass(url.hostname) ?? 'public'
  }
  const scp = /^(?:[^@/:]+@)?(\[[^\]/]+\]|[^:/]+):/.exec(origin)
  return scp === null ? 'loopback' : addressClass(scp[1]!) ?? 'public'   // no host before a colon: a path here
}

/**
 * Why this machine must not contact `url` for a clone of `origin`, or
 * null. `url` is a parsed URL (http, https, git, ssh) or an scp-like ssh
 * `host:path`'s host given as `{ host }`.
 */
export function addressRefusal (target: URL | { host: string, port?: number | null, protocol?: string }, origin: string): string | null {
  const host = target instanceof URL ? target.hostname : target.host
  const protocol = target instanceof URL ? target.protocol : target.protocol ?? ''
  const port = target instanceof URL ? (target.port === '' ? null : Number(target.port)) : target.port ?? null
  const cls = addressClass(host)
  if (cls === null) return `${host} is a multicast, broadcast or reserved address`
  const from = originClass(origin)
  if (RANK[cls] > RANK[from]) return `${host} is a ${cls} address and the origin's is ${from}: a source may be as local as the origin, no more`
  if ((protocol === 'http:' || protocol === 'https:') && port !== null && BAD_PORTS.has(port)) return `port ${port} is one browsers refuse for HTTP (it belongs to another protocol)`
  return null
}
