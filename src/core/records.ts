import { MirrorError } from './errors.js'
import { parseMirrorUrl, type MirrorUrl } from './mirror-url.js'

/**
 * Record blobs under refs/mirrors/* are text: one entry a line; blank lines
 * and lines starting with '#' are ignored; anything else that does not parse
 * is rejected with a message naming the ref.
 */
function entries (blob: string): Array<{ line: string, no: number }> {
  const out: Array<{ line: string, no: number }> = []
  for (const [i, raw] of blob.split('\n').entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    out.push({ line, no: i + 1 })
  }
  return out
}

function badRecord (ref: string, no: number, what: string): never {
  throw new MirrorError('BAD_RECORD', `${ref} line ${no}: ${what}`, { ref, line: no })
}

/** A list of http(s) URLs, one a line. */
export function parseUrlList (blob: string, ref: string): URL[] {
  return entries(blob).map(({ line, no }) => {
    let url: URL
    try { url = new URL(line) } catch { return badRecord(ref, no, 'not a URL') }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') badRecord(ref, no, 'only http(s) URLs are allowed')
    return url
  })
}

export function formatUrlList (urls: string[]): string {
  return urls.map(u => `${u}\n`).join('')
}

/** The parameters of a magnet record that a download uses; each kept at most MAX_MAGNET_VALUES times. */
const MAGNET_KEPT = ['dn', 'tr', 'ws', 'as'] as const
export const MAX_MAGNET_VALUES = 64

/**
 * The magnet record: exactly one magnet URI with a BitTorrent v1 infohash.
 * `uri` is the record reduced to what a download uses: that infohash (the
 * first urn:btih:, the one named in `infoHash`), and at most 64 each of
 * dn, tr, ws and as, as written. Everything else goes before a magnet
 * library sees it: xs (never fetched), x.pe, and so= (magnet-uri expands
 * `so=0-4294967294` into an array of 2^32 numbers, and the process dies).
 */
export function parseMagnetRecord (blob: string, ref: string): { uri: string, infoHash: string } {
  const lines = entries(blob)
  if (lines.length !== 1) throw new MirrorError('BAD_RECORD', `${ref}: expected one magnet URI, found ${lines.length} lines`, { ref })
  const { line, no } = lines[0]!
  if (!line.startsWith('magnet:?')) badRecord(ref, no, 'not a magnet URI')
  const params = line.slice('magnet:?'.length).split('&').map(p => ({ key: p.slice(0, p.includes('=') ? p.indexOf('=') : p.length).toLowerCase(), text: p }))
  let btih: string | undefined
  for (const p of params.filter(p => p.key === 'xt')) {
    let value: string
    try { value = decodeURIComponent(p.text.slice(3)) } catch { continue }
    btih ??= /^urn:btih:([0-9a-fA-F]{40})$/.exec(value)?.[1]
  }
  if (btih === undefined) badRecord(ref, no, 'no urn:btih: infohash (40 hex digits)')
  const infoHash = btih.toLowerCase()
  const kept = MAGNET_KEPT.flatMap(key => params.filter(p => p.key === key).slice(0, MAX_MAGNET_VALUES).map(p => p.text))
  return { uri: ['magnet:?xt=urn:btih:' + infoHash, ...kept].join('&'), infoHash }
}

/**
 * refs/mirrors/fetch/git (git:// and ssh URLs) or refs/mirrors/fetch/http
 * (http(s) URLs): full git mirrors, one a line, each checked before it can
 * reach git (parseMirrorUrl).
 */
export function parseMirrorList (blob: string, ref: string, record: 'git' | 'http'): MirrorUrl[] {
  return entries(blob).map(({ line, no }) => {
    try {
      return parseMirrorUrl(line, record)
    } catch (err) {
      return badRecord(ref, no, (err as Error).message)
    }
  })
}
