import { createHash } from 'node:crypto'
import bencode from 'bencode'
import type { ParsedMagnet, ParsedTorrent } from 'parse-torrent'
import { bencodeProblem } from '../../core/bencode-check.js'
import { MirrorError } from '../../core/errors.js'
import { parseMagnetRecord } from '../../core/records.js'
import { infoHashOf, torrentInfo, type TorrentContent } from '../../core/torrent-info.js'
import { VERSION } from '../../core/version.js'

/** The only importer of create-torrent and parse-torrent. */
export type { ParsedTorrent }
export type { TorrentContent }

/**
 * parse-torrent, loaded on first use: loading it takes 0.1 s, a good part
 * of a command's start-up. A command that will need it can start loading it
 * early (preloadTorrentParser) while it waits for git.
 */
let parser: Promise<typeof import('parse-torrent')> | null = null
const loadParser = async (): Promise<typeof import('parse-torrent')> => await (parser ??= import('parse-torrent'))

/** Starts loading parse-torrent in the background (its errors surface where it is used). */
export function preloadTorrentParser (): void {
  loadParser().catch(() => {})
}

export interface MakeTorrentOptions {
  name: string
  pieceLength: number
  trackers: string[]
  webSeeds: string[]
  /** BEP 27 (create-torrent's `private`): in the info dictionary, so another infohash. */
  private?: boolean
  onProgress?: (hashed: number, total: number) => void
}

/**
 * A single-file torrent of `file`. The info dictionary depends only on the
 * bytes, the name and the piece length, so the same bundle gives the same
 * infohash; trackers and web seeds live outside it.
 */
export async function makeTorrent (file: string, o: MakeTorrentOptions): Promise<Buffer> {
  const { default: createTorrent } = await import('create-torrent')   // the product hashes its own torrents (encodeTorrent)
  return await new Promise((resolve, reject) => {
    createTorrent(file, {
      name: o.name,
      pieceLength: o.pieceLength,
      announceList: o.trackers.map(t => [t]),   // [] means none: never the library's public defaults
      ...(o.webSeeds.length > 0 ? { urlList: o.webSeeds } : {}),   // no empty url-list, as retargetTorrent writes it
      ...(o.private === true ? { private: true } : {}),
      createdBy: `git-torrent-mirror/${VERSION}`,
      ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress })
    }, (err, torrent) => err === null ? resolve(Buffer.from(torrent)) : reject(err))
  })
}

/**
 * The .torrent of content hashed while it was written (no second read of a
 * bundle): the same dictionary create-torrent makes, so the same bytes,
 * name and piece length give the same infohash either way.
 */
export function encodeTorrent (c: TorrentContent, o: { trackers: string[], webSeeds: string[] }): { torrent: Buffer, infoHash: string } {
  const torrent: Record<string, unknown> = {
    info: torrentInfo(c),
    'creation date': Math.ceil(Date.now() / 1000),
    encoding: 'UTF-8',
    'created by': `git-torrent-mirror/${VERSION}`
  }
  return { torrent: retargetTorrent(bencode.encode(torrent), o.trackers, o.webSeeds), infoHash: infoHashOf(c) }
}

/**
 * Parses torrent bytes from anywhere (a record blob, the store). Never a
 * string: parse-torrent would treat one as a path, a magnet or a URL.
 */
export async function readTorrent (bytes: Uint8Array, what: string): Promise<ParsedTorrent> {
  const problem = bencodeProblem(bytes)   // before the decoder, which some bytes hang (core/bencode-check.ts)
  if (problem !== null) throw new MirrorError('BAD_RECORD', `${what} does not parse as a torrent (bencoding: ${problem})`, { what })
  try {
    const parsed = await (await loadParser()).default(bytes)
    if (parsed.info === undefined || typeof parsed.infoHash !== 'string') throw new Error('no info dictionary')
    return parsed
  } catch (err) {
    throw new MirrorError('BAD_RECORD', `${what} does not parse as a torrent (${(err as Error).message})`, { what })
  }
}

/** A magnet reduced to what a download needs: no exact-source (xs) URL is ever fetched. */
export interface MagnetSource { infoHash: string, announce: string[], urlList: string[] }

/**
 * Parses a magnet URI from a record. Only the infohash, http(s)/udp
 * trackers and http(s) web seeds are kept.
 */
export async function readMagnet (uri: string, what: string): Promise<MagnetSource> {
  const reduced = parseMagnetRecord(uri, what).uri   // only what a download uses reaches magnet-uri (core/records.ts)
  let parsed: ParsedMagnet
  try {
    parsed = await (await loadParser()).default(reduced)
  } catch (err) {
    throw new MirrorError('BAD_RECORD', `${what} is not a magnet URI (${(err as Error).message})`, { what })
  }
  if (typeof parsed.infoHash !== 'string' || !/^[0-9a-f]{40}$/.test(parsed.infoHash)) {
    throw new MirrorError('BAD_RECORD', `${what} has no BitTorrent v1 infohash`, { what })
  }
  const scheme = (u: string, ok: string[]): boolean => { try { return ok.includes(new URL(u).protocol) } catch { return false } }
  return {
    infoHash: parsed.infoHash,
    announce: (parsed.announce ?? []).filter((u: string) => scheme(u, ['http:', 'https:', 'udp:'])),
    urlList: (parsed.urlList ?? []).filter((u: string) => scheme(u, ['http:', 'https:']))
  }
}

export async function magnetOf (t: ParsedTorrent): Promise<string> {
  return (await loadParser()).toMagnetURI({ infoHash: t.infoHash, name: t.name, announce: t.announce, urlList: t.urlList })
}

/**
 * The same torrent (same info dictionary, same infohash) with another
 * announce list and web seeds: what a republish with new options needs,
 * without hashing the bundle again.
 */
export function retargetTorrent (torrent: Uint8Array, trackers: string[], webSeeds: string[]): Buffer {
  const dict = bencode.decode(torrent) as Record<string, unknown>
  delete dict.announce
  delete dict['announce-list']
  delete dict['url-list']
  if (trackers.length > 0) {
    dict.announce = trackers[0]
    dict['announce-list'] = trackers.map(t => [t])
  }
  if (webSeeds.length > 0) dict['url-list'] = webSeeds
  return Buffer.from(bencode.encode(dict))
}

/**
 * The same torrent with the BEP 27 private flag set or cleared: the info
 * dictionary changes by that one key, so the infohash does, and always to
 * the same value for the same content (a republish that switches between
 * --public and --private, and back, needs no new bundle or hashing).
 */
export function setPrivateFlag (torrent: Uint8Array, isPrivate: boolean): { torrent: Buffer, infoHash: string } {
  const dict = bencode.decode(torrent) as { info: Record<string, unknown> }
  if (isPrivate) dict.info.private = 1
  else delete dict.info.private
  const info = bencode.encode(dict.info)
  return { torrent: Buffer.from(bencode.encode(dict)), infoHash: createHash('sha1').update(info).digest('hex') }
}
