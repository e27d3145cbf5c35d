import bencode from 'bencode'
import { MirrorError } from '../core/errors.js'
import { RECORD_REFS, type RecordName } from '../core/refs.js'
import { checkBundleTorrent, type BundleTorrentShape, type RawInfo } from '../core/torrent-policy.js'
import { createHash } from './shims/node-crypto.js'

/** A watched remote's records, as the daemon hands them to the page (GET /clone/records?remote=...). */
export interface PageRecords {
  name: string
  url: string
  records: Partial<Record<RecordName, Uint8Array>>
  /** The bundle list's entries as the daemon's git read them (the base first); null without a list. */
  list: ListedBundle[] | null
}

export interface ListedBundle { sha256: string, size: number, infoHash: string }

/** The records' JSON is a few record blobs; more than this is not read. */
const MAX_RECORDS_JSON = 40 << 20

/**
 * The records of `remote` (a name or URL the daemon watches) through the
 * daemon that served the page: a browser cannot ask a git server for them
 * (no smart protocol without CORS). NO_RECORDS, with the daemon's reason,
 * when it does not watch that remote or has seeded nothing of it yet.
 */
export async function readRecords (server: string, remote: string, signal: AbortSignal): Promise<PageRecords> {
  const res = await fetch(`${server}/clone/records?remote=${encodeURIComponent(remote)}`, { signal, cache: 'no-store' })
  const text = await boundedText(res, MAX_RECORDS_JSON, 'the records')
  let body: { name?: unknown, url?: unknown, records?: Record<string, unknown>, list?: unknown, error?: unknown }
  try { body = JSON.parse(text) } catch { throw new MirrorError('BAD_RECORD', `the daemon's answer for ${remote} is not JSON`) }
  if (!res.ok) throw new MirrorError('NO_RECORDS', typeof body.error === 'string' ? body.error : `the daemon answered ${res.status} for ${remote}`)
  if (typeof body.name !== 'string' || typeof body.url !== 'string' || typeof body.records !== 'object' || body.records === null) {
    throw new MirrorError('BAD_RECORD', `the daemon's answer for ${remote} is not a records object`)
  }
  const records: Partial<Record<RecordName, Uint8Array>> = {}
  for (const name of Object.keys(RECORD_REFS) as RecordName[]) {
    const v = body.records[name]
    if (typeof v === 'string') records[name] = Buffer.from(v, 'base64')
  }
  return { name: body.name, url: body.url, records, list: listed(body.list) }
}

/** The list's entries, those well formed (the daemon read them with git; at most 1000, git's bundle-list bound). */
function listed (v: unknown): ListedBundle[] | null {
  if (!Array.isArray(v)) return null
  return v.slice(0, 1000).filter((e): e is ListedBundle =>
    typeof e === 'object' && e !== null && /^[0-9a-f]{64}$/.test(String(e.sha256)) && Number.isSafeInteger(e.size) && /^[0-9a-f]{40}$/.test(String(e.infoHash)))
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
  return { infoHash, shape, info: info as Record<string, unknown>, announce: urls([t['announce-list'], t.announce]), urlList: urls([t['url-list']]) }
}

/** The torrent webtorrent is given: the same info dictionary (so the same infohash), with the page's own trackers and web seeds. */
export function torrentFor (t: PageTorrent, o: { announce: string[], urlList: string[] }): Uint8Array {
  return bencode.encode({ info: t.info, announce: o.announce[0] ?? '', 'announce-list': o.announce.map(a => [a]), 'url-list': o.urlList })
}

/** The strings of bencoded lists (nested once, as announce-list is), http(s) and ws(s) URLs only. */
function urls (values: unknown[]): string[] {
  const out: string[] = []
  const walk = (v: unknown, depth: number): void => {
    if (ArrayBuffer.isView(v)) {
      const s = new TextDecoder().decode(v)
      if (/^(https?|wss?):\/\/[\x21-\x7e]+$/.test(s) && out.length < 64) out.push(s)
    } else if (Array.isArray(v) && depth < 2) v.forEach(x => walk(x, depth + 1))
  }
  values.forEach(v => walk(v, 0))
  return [...new Set(out)]
}

async function boundedText (res: Response, max: number, what: string): Promise<string> {
  if (Number(res.headers.get('content-length') ?? 0) > max) throw new MirrorError('TOO_LARGE', `${what} are over ${max} bytes`)
  const text = await res.text()
  if (text.length > max) throw new MirrorError('TOO_LARGE', `${what} are over ${max} bytes`)
  return text
}
