import { MirrorError } from './errors.js'
import { MAX_LIST_ENTRIES } from './bundle-list.js'
import { RECORD_REFS, type RecordName } from './refs.js'

/**
 * What mirror-daemon --http hands the browser clone page for a watched
 * remote (GET /clone/records?remote=...): the records it read, their bytes
 * in base64, and its bundle list's entries as git read them.
 *
 *   { "name": "origin", "url": "https://...", "records": { "torrent": "<base64>", ... },
 *     "list": [ { "sha256": "<64 hex>", "size": <n>, "infoHash": "<40 hex>", ... }, ... ] | null }
 */
export interface PageRecords {
  name: string
  url: string
  records: Partial<Record<RecordName, Uint8Array>>
  /** The list's entries, the base first; null when the remote publishes no list (or one git could not read). */
  list: ListedBundle[] | null
}

export interface ListedBundle { sha256: string, size: number, infoHash: string }

/** The JSON as the daemon writes it (clone-page-http.ts). */
export function formatPageRecords (r: PageRecords): string {
  const records = Object.fromEntries(Object.entries(r.records).map(([k, v]) => [k, Buffer.from(v).toString('base64')]))
  return `${JSON.stringify({ name: r.name, url: r.url, records, list: r.list })}\n`
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const HEX64 = /^[0-9a-f]{64}$/
const HEX40 = /^[0-9a-f]{40}$/

/**
 * The daemon's answer, checked as the network input it is (the page trusts
 * no field's shape): BAD_RECORD naming `what` and the field for anything
 * else. Unknown record names and unknown keys of a list entry are ignored
 * (a newer daemon may send more); a record that is not canonical base64,
 * a list entry without a 64-hex sha256, a safe-integer size or a 40-hex
 * infohash, or more than MAX_LIST_ENTRIES of them, are refused.
 */
export function parsePageRecords (json: string, what: string): PageRecords {
  let v: unknown
  try { v = JSON.parse(json) } catch { throw bad(what, 'is not JSON') }
  if (!isObject(v)) throw bad(what, 'is not an object')
  if (typeof v.name !== 'string' || v.name === '' || v.name.length > 256) throw bad(what, 'has no remote name')
  if (typeof v.url !== 'string' || v.url === '' || v.url.length > 2048) throw bad(what, 'has no remote URL')
  if (!isObject(v.records)) throw bad(what, 'has no records object')
  const records: Partial<Record<RecordName, Uint8Array>> = {}
  for (const name of Object.keys(RECORD_REFS) as RecordName[]) {
    const b64 = v.records[name]
    if (b64 === undefined) continue
    if (typeof b64 !== 'string' || !BASE64.test(b64) || b64.length % 4 !== 0) throw bad(what, `records.${name} is not base64`)
    records[name] = Buffer.from(b64, 'base64')
  }
  return { name: v.name, url: v.url, records, list: parseListed(v.list, what) }
}

function parseListed (v: unknown, what: string): ListedBundle[] | null {
  if (v === null || v === undefined) return null
  if (!Array.isArray(v)) throw bad(what, 'list is not an array')
  if (v.length === 0 || v.length > MAX_LIST_ENTRIES) throw bad(what, `list has ${v.length} entries (1 to ${MAX_LIST_ENTRIES})`)
  return v.map((e, i) => {
    if (!isObject(e) || typeof e.sha256 !== 'string' || !HEX64.test(e.sha256) || !Number.isSafeInteger(e.size) || (e.size as number) <= 0 ||
      typeof e.infoHash !== 'string' || !HEX40.test(e.infoHash)) {
      throw bad(what, `list entry ${i + 1} is not {sha256, size, infoHash}`)
    }
    return { sha256: e.sha256, size: e.size as number, infoHash: e.infoHash }
  })
}

/**
 * What mirror-daemon --http hands the page for a BEP 46 magnet (GET
 * /clone/pointer?magnet=...): the DHT item its node got (the page checks
 * the signature itself, over BEP 44's salt, seq and v, with the magnet's
 * key) and the torrent it names when the daemon's store holds it:
 *
 *   { "seq": 3, "infoHash": "<40 hex>", "sig": "<128 hex>", "torrent": "<base64>" | null }
 */
export interface PagePointer {
  seq: number
  infoHash: string
  sig: string
  torrent: Uint8Array | null
}

export function formatPagePointer (p: PagePointer): string {
  return `${JSON.stringify({ seq: p.seq, infoHash: p.infoHash, sig: p.sig, torrent: p.torrent === null ? null : Buffer.from(p.torrent).toString('base64') })}\n`
}

/** The daemon's answer for a pointer, checked: BAD_RECORD naming `what` and the field. */
export function parsePagePointer (json: string, what: string): PagePointer {
  let v: unknown
  try { v = JSON.parse(json) } catch { throw bad(what, 'is not JSON') }
  if (!isObject(v)) throw bad(what, 'is not an object')
  // BEP 44: seq is a 64-bit integer; the page takes what JSON holds exactly
  if (!Number.isSafeInteger(v.seq) || (v.seq as number) < 0) throw bad(what, 'seq is not a non-negative integer')
  if (typeof v.infoHash !== 'string' || !HEX40.test(v.infoHash)) throw bad(what, 'infoHash is not 40 hex digits')
  if (typeof v.sig !== 'string' || !/^[0-9a-f]{128}$/.test(v.sig)) throw bad(what, 'sig is not 128 hex digits')
  if (v.torrent !== null && (typeof v.torrent !== 'string' || !BASE64.test(v.torrent) || v.torrent.length % 4 !== 0)) throw bad(what, 'torrent is not base64 or null')
  return { seq: v.seq as number, infoHash: v.infoHash, sig: v.sig, torrent: v.torrent === null ? null : Buffer.from(v.torrent as string, 'base64') }
}

/**
 * The tracker and web seed URLs of a decoded torrent's `announce`,
 * `announce-list` (lists of lists) and `url-list` values: byte strings
 * that are http(s) or ws(s) URLs of printable ASCII, in order, without
 * duplicates, at most 64. Anything else in them is dropped.
 */
export function torrentUrls (values: unknown[]): string[] {
  const out: string[] = []
  const walk = (v: unknown, depth: number): void => {
    if (out.length >= 64) return
    if (ArrayBuffer.isView(v)) {
      const s = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1')
      if (/^(https?|wss?):\/\/[\x21-\x7e]{1,2040}$/.test(s) && !out.includes(s)) out.push(s)
    } else if (Array.isArray(v) && depth < 2) v.forEach(x => walk(x, depth + 1))
  }
  values.forEach(v => walk(v, 0))
  return out
}

function isObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function bad (what: string, why: string): MirrorError {
  return new MirrorError('BAD_RECORD', `${what} ${why}`, { what })
}
