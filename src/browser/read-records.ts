import bencode from 'bencode'
import { MirrorError } from '../core/errors.js'
import { parsePageRecords, torrentUrls, type PageRecords } from '../core/page-records.js'
import { checkBundleTorrent, type BundleTorrentShape, type RawInfo } from '../core/torrent-policy.js'
import { createHash } from './shims/node-crypto.js'

/**
 * The records of `remote` (a name or URL the daemon watches) through the
 * daemon that served the page (core/page-records.ts): a browser cannot ask
 * a git server for them (no smart protocol without CORS). NO_RECORDS, with
 * the daemon's reason, when it does not watch that remote or has seeded
 * nothing of it yet.
 */
export async function readRecords (server: string, remote: string, signal: AbortSignal): Promise<PageRecords> {
  const text = await askDaemon(`${server}/clone/records?remote=${encodeURIComponent(remote)}`, remote, signal)
  return parsePageRecords(text, `the daemon's records of ${remote}`)
}

/** A daemon's JSON answer holds a few record blobs or a torrent; more than this is not read. */
const MAX_ANSWER_CHARS = 40 << 20

/**
 * GET of one of the daemon's /clone/ paths: the answer's text, at most
 * MAX_ANSWER_CHARS (TOO_LARGE); a failure status is NO_RECORDS with the
 * daemon's `{"error": ...}` line, or its status, about `what`.
 */
export async function askDaemon (url: string, what: string, signal: AbortSignal): Promise<string> {
  const res = await fetch(url, { signal, cache: 'no-store' })
  if (Number(res.headers.get('content-length') ?? 0) > MAX_ANSWER_CHARS) throw new MirrorError('TOO_LARGE', `the daemon's answer for ${what} is over ${MAX_ANSWER_CHARS} bytes`)
  const text = await res.text()
  if (text.length > MAX_ANSWER_CHARS) throw new MirrorError('TOO_LARGE', `the daemon's answer for ${what} is over ${MAX_ANSWER_CHARS} characters`)
  if (res.ok) return text
  let why: unknown
  try { why = (JSON.parse(text) as { error?: unknown }).error } catch {}
  throw new MirrorError('NO_RECORDS', typeof why === 'string' ? why.slice(0, 500) : `the daemon answered ${res.status} for ${what}`)
}

/** A torrent record, decoded and checked against the bundle-torrent policy (as mirror-clone checks it), with its infohash. */
export interface PageTorrent {
  infoHash: string
  shape: BundleTorrentShape
  info: Record<string, unknown>
  announce: string[]
  urlList: string[]
}

export function readTorrentRecord (bytes: Uint8Array, o: { maxSize: number, what: string }): PageTorrent {
  let t: Record<string, unknown>
  try { t = bencode.decode(bytes) as Record<string, unknown> } catch { throw new MirrorError('BAD_RECORD', `${o.what} is not a bencoded torrent`) }
  const info = t?.info
  if (info === null || typeof info !== 'object' || ArrayBuffer.isView(info)) throw new MirrorError('BAD_RECORD', `${o.what} has no info dictionary`)
  const shape = checkBundleTorrent(info as RawInfo, { maxSize: o.maxSize, ref: o.what })
  const infoHash = createHash('sha1').update(bencode.encode(info)).digest('hex')
  return { infoHash, shape, info: info as Record<string, unknown>, announce: torrentUrls([t['announce-list'], t.announce]), urlList: torrentUrls([t['url-list']]) }
}

/** The torrent webtorrent is given: the same info dictionary (so the same infohash), with the page's own trackers and web seeds. */
export function torrentFor (t: PageTorrent, o: { announce: string[], urlList: string[] }): Uint8Array {
  return bencode.encode({ info: t.info, announce: o.announce[0] ?? '', 'announce-list': o.announce.map(a => [a]), 'url-list': o.urlList })
}
