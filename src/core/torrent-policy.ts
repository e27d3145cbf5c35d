import { MirrorError } from './errors.js'
import { MIN_PIECE_LENGTH } from './piece-length.js'

/** The bencoded info dictionary as decoded, before anyone trusted it. */
export interface RawInfo {
  name?: unknown
  'name.utf-8'?: unknown
  length?: unknown
  files?: unknown
  'piece length'?: unknown
  pieces?: unknown
}

export interface BundleTorrentShape { name: string; length: number; pieceLength: number; pieceCount: number }

/** Largest piece length accepted from other publishers (we write <= 16 MiB). */
export const MAX_ACCEPTED_PIECE_LENGTH = 64 * 1024 * 1024
const SAFE_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/

function unsafe (ref: string, why: string): never {
  throw new MirrorError('UNSAFE_TORRENT', `${ref}: ${why}`, { ref })
}

function text (v: unknown): string | undefined {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8')
  return typeof v === 'string' ? v : undefined
}

/**
 * Checks the raw info dictionary of a torrent that claims to carry a bundle,
 * before anything is written: one file, a plain file name ending in .bundle
 * (no directories, no '..', nothing absolute), a size within `maxSize`, and a
 * piece table consistent with the length.
 */
export function checkBundleTorrent (info: RawInfo, opts: { maxSize: number, ref: string }): BundleTorrentShape {
  const { ref } = opts
  if (info.files !== undefined) unsafe(ref, 'holds several files; a bundle torrent holds one')
  const name = text(info.name)
  if (name === undefined) unsafe(ref, 'has no name')
  const utf8 = info['name.utf-8']
  if (utf8 !== undefined && text(utf8) !== name) unsafe(ref, 'name.utf-8 differs from name')
  if (!SAFE_FILE_NAME.test(name) || name.includes('..') || !name.endsWith('.bundle')) {
    unsafe(ref, `file name ${JSON.stringify(name.slice(0, 80))} is not a plain <name>.bundle`)
  }
  const length = info.length
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length <= 0) unsafe(ref, 'has no valid length')
  if (length > opts.maxSize) {
    throw new MirrorError('TOO_LARGE', `${ref}: the bundle is ${length} bytes, over the limit of ${opts.maxSize}`, { ref, length, maxSize: opts.maxSize })
  }
  const pieceLength = info['piece length']
  if (typeof pieceLength !== 'number' || !Number.isSafeInteger(pieceLength) || pieceLength < MIN_PIECE_LENGTH || pieceLength > MAX_ACCEPTED_PIECE_LENGTH ||
      (pieceLength & (pieceLength - 1)) !== 0) {
    unsafe(ref, `piece length ${String(pieceLength)} is not a power of two between 16 KiB and 64 MiB`)
  }
  const pieceCount = Math.ceil(length / pieceLength)
  const pieces = info.pieces
  if (!(pieces instanceof Uint8Array) || pieces.length !== pieceCount * 20) {
    unsafe(ref, `piece table does not match the length (${pieceCount} pieces expected)`)
  }
  return { name, length, pieceLength, pieceCount }
}
