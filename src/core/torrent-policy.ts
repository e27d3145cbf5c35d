import { MirrorError } from './errors.js'
import { MIN_PIECE_LENGTH } from './piece-length.js'
import { pushFileName } from './project-name.js'
import { MAX_PUSH_OBJECT_BYTES } from './push-object.js'

/** The bencoded info dictionary as decoded, before anyone trusted it. */
export interface RawInfo {
  name?: unknown
  'name.utf-8'?: unknown
  length?: unknown
  files?: unknown
  'piece length'?: unknown
  pieces?: unknown
}

export interface BundleTorrentShape {
  /** The torrent's name: the bundle's file name, or the folder of a signed publish. */
  name: string
  /** The bundle's size. */
  length: number
  pieceLength: number
  pieceCount: number
  /** Where the bundle lands, relative to the download directory. */
  bundlePath: string
  /** The push object beside it (a signed publish), relative to the download directory. */
  push: { path: string, length: number } | null
  /** The pack's index (.idx) and reverse index (.rev) beside it, when the publish ships them. */
  index: { path: string, length: number } | null
  reverseIndex: { path: string, length: number } | null
}

/** Largest piece length accepted from other publishers (we write <= 16 MiB). */
export const MAX_ACCEPTED_PIECE_LENGTH = 64 * 1024 * 1024
const SAFE_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/

function unsafe (ref: string, why: string): never {
  throw new MirrorError('UNSAFE_TORRENT', `${ref}: ${why}`, { ref })
}

function text (v: unknown): string | undefined {
  // ArrayBuffer.isView, not instanceof: bencode decodes a "__proto__" key into an object whose prototype is bytes
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8')
  return typeof v === 'string' ? v : undefined
}

/**
 * Checks the raw info dictionary of a torrent that claims to carry a bundle,
 * before anything is written. Two shapes are accepted:
 * - one file, a plain `<name>.bundle` (no directories, no '..', nothing absolute);
 * - a signed publish's folder `<name>` holding exactly `<name>.bundle` and
 *   `<name>.push` (its push object, at most MAX_PUSH_OBJECT_BYTES), and
 *   optionally the pack's `<name>.idx`, with or without `<name>.rev`
 *   (each bounded by the bundle's size: an index has 28-36 bytes an object,
 *   a pack at least as many).
 * Also: the bundle within `maxSize`, and a piece table consistent with the length.
 */
export function checkBundleTorrent (info: RawInfo, opts: { maxSize: number, ref: string }): BundleTorrentShape {
  const { ref } = opts
  const name = text(info.name)
  if (name === undefined) unsafe(ref, 'has no name')
  const utf8 = info['name.utf-8']
  if (utf8 !== undefined && text(utf8) !== name) unsafe(ref, 'name.utf-8 differs from name')

  let length: number
  let total: number
  let bundlePath: string
  let push: BundleTorrentShape['push'] = null
  let index: BundleTorrentShape['index'] = null
  let reverseIndex: BundleTorrentShape['reverseIndex'] = null
  if (info.files === undefined) {
    if (!plainName(name) || !name.endsWith('.bundle')) unsafe(ref, `file name ${JSON.stringify(name.slice(0, 80))} is not a plain <name>.bundle`)
    length = sizeOf(info.length, ref, 'has no valid length')
    total = length
    bundlePath = name
  } else {
    if (!plainName(name) || name.endsWith('.bundle')) unsafe(ref, `folder name ${JSON.stringify(name.slice(0, 80))} is not a plain name`)
    const files = folderFiles(info.files, ref)
    const bundle = files.get(`${name}.bundle`)
    const pushed = files.get(pushFileName(name))
    const idx = files.get(`${name}.idx`)
    const rev = files.get(`${name}.rev`)
    const expected = 2 + (idx === undefined ? 0 : 1) + (rev === undefined ? 0 : 1)
    if (files.size !== expected || bundle === undefined || pushed === undefined || (rev !== undefined && idx === undefined)) {
      unsafe(ref, `holds ${[...files.keys()].map(f => JSON.stringify(f.slice(0, 80))).join(', ')}; a bundle torrent's folder holds exactly ${name}.bundle and ${pushFileName(name)}, and optionally ${name}.idx and ${name}.rev`)
    }
    if (pushed > MAX_PUSH_OBJECT_BYTES) unsafe(ref, `its push object is ${pushed} bytes, over the ${MAX_PUSH_OBJECT_BYTES}-byte limit`)
    for (const [file, size] of [[`${name}.idx`, idx], [`${name}.rev`, rev]] as const) {
      if (size !== undefined && size > 2 * bundle + 65536) unsafe(ref, `its ${file} is ${size} bytes, more than an index of a ${bundle}-byte bundle can be`)
    }
    length = bundle
    total = bundle + pushed + (idx ?? 0) + (rev ?? 0)
    bundlePath = `${name}/${name}.bundle`
    push = { path: `${name}/${pushFileName(name)}`, length: pushed }
    if (idx !== undefined) index = { path: `${name}/${name}.idx`, length: idx }
    if (rev !== undefined) reverseIndex = { path: `${name}/${name}.rev`, length: rev }
  }
  if (length > opts.maxSize) {
    throw new MirrorError('TOO_LARGE', `${ref}: the bundle is ${length} bytes, over the limit of ${opts.maxSize}`, { ref, length, maxSize: opts.maxSize })
  }
  const pieceLength = info['piece length']
  if (typeof pieceLength !== 'number' || !Number.isSafeInteger(pieceLength) || pieceLength < MIN_PIECE_LENGTH || pieceLength > MAX_ACCEPTED_PIECE_LENGTH ||
      (pieceLength & (pieceLength - 1)) !== 0) {
    unsafe(ref, `piece length ${String(pieceLength)} is not a power of two between 16 KiB and 64 MiB`)
  }
  const pieceCount = Math.ceil(total / pieceLength)
  const pieces = info.pieces
  if (!ArrayBuffer.isView(pieces) || pieces.byteLength !== pieceCount * 20) {
    unsafe(ref, `piece table does not match the length (${pieceCount} pieces expected)`)
  }
  return { name, length, pieceLength, pieceCount, bundlePath, push, index, reverseIndex }
}

function plainName (name: string): boolean {
  return SAFE_FILE_NAME.test(name) && !name.includes('..')
}

function sizeOf (v: unknown, ref: string, why: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) unsafe(ref, why)
  return v
}

/** A folder's files by name: each one plain path component, no duplicates, a valid size. */
function folderFiles (files: unknown, ref: string): Map<string, number> {
  if (!Array.isArray(files) || files.length === 0 || files.length > 16) unsafe(ref, 'has a malformed file list')
  const out = new Map<string, number>()
  for (const f of files as Array<Record<string, unknown>>) {
    const parts = f?.path
    const name = Array.isArray(parts) && parts.length === 1 ? text(parts[0]) : undefined
    if (name === undefined || !plainName(name)) unsafe(ref, 'holds a file that is not a plain name in its folder')
    const utf8 = f['path.utf-8']
    if (utf8 !== undefined && !(Array.isArray(utf8) && utf8.length === 1 && text(utf8[0]) === name)) unsafe(ref, 'path.utf-8 differs from path')
    if (out.has(name)) unsafe(ref, `holds ${name} twice`)
    out.set(name, sizeOf(f.length, ref, `has no valid length for ${name}`))
  }
  return out
}
