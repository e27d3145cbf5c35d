import type { TorrentStatus } from '../seed/seeder.js'
import type { RemoteStatus } from './daemon.js'

/** One bundle the daemon seeds, or one a remote lists that is not (yet) seeded. */
export interface BundleView {
  infoHash: string
  /** The bundle's file name in the store; null when it is not seeded (yet). */
  file: string | null
  /** The watched remotes whose list holds it. */
  remotes: string[]
  seeding: boolean
  peers: number
  /** Bytes a second, now. */
  uploadRate: number
  /** Bytes sent to peers since it was seeded by this process. */
  uploaded: number
  peersServed: number
}

/** What `/status.json` says and the status page shows. */
export interface StatusView {
  /** When this view was taken (ISO). */
  at: string
  /** PAUSE: no looks or downloads until RESUME (seeding goes on). */
  paused: boolean
  remotes: RemoteStatus[]
  bundles: BundleView[]
  totals: { bundles: number, peers: number, uploadRate: number, uploaded: number }
}

/**
 * The daemon's remotes (Daemon.status()) and the seeder's torrents
 * (Seeder.status()) as one view: every seeded torrent once, with the
 * remotes that list it, then the bundles a remote lists that are not
 * seeded. Remote URLs lose their user name and password: the page is
 * read by whoever reaches it, and a token in a URL is a credential.
 */
export function statusView (daemon: { paused: boolean, remotes: RemoteStatus[] }, seeding: TorrentStatus[], now: Date): StatusView {
  const listedBy = new Map<string, string[]>()
  for (const r of daemon.remotes) {
    for (const ih of r.bundles) listedBy.set(ih, [...(listedBy.get(ih) ?? []), r.name])
  }
  const seeded = new Set(seeding.map(s => s.infoHash))
  const bundles: BundleView[] = [
    ...seeding.map(s => ({ infoHash: s.infoHash, file: s.name, remotes: listedBy.get(s.infoHash) ?? [], seeding: true, peers: s.peers, uploadRate: s.uploadRate, uploaded: s.uploaded, peersServed: s.peersServed })),
    ...[...listedBy].filter(([ih]) => !seeded.has(ih)).map(([infoHash, remotes]) => ({ infoHash, file: null, remotes, seeding: false, peers: 0, uploadRate: 0, uploaded: 0, peersServed: 0 }))
  ]
  const sum = (f: (s: TorrentStatus) => number): number => seeding.reduce((n, s) => n + f(s), 0)
  return {
    at: now.toISOString(),
    paused: daemon.paused,
    remotes: daemon.remotes.map(r => ({ ...r, url: redactUrl(r.url), bundles: [...r.bundles] })),
    bundles,
    totals: { bundles: seeding.length, peers: sum(s => s.peers), uploadRate: sum(s => s.uploadRate), uploaded: sum(s => s.uploaded) }
  }
}

/** A URL without the user name and password it may carry (`***` instead); anything that is not a URL with a host (a path, scp-like `host:path`) as it is. */
export function redactUrl (url: string): string {
  let u: URL
  try { u = new URL(url) } catch { return url }
  if (u.username === '' && u.password === '') return url
  u.username = '***'
  u.password = ''
  return u.href
}
