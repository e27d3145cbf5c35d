import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { MirrorError } from '../core/errors.js'
import type { OnProgress } from '../core/progress.js'
import { choosePieceLength } from '../core/piece-length.js'
import { infoHashOf } from '../core/torrent-info.js'
import { PieceHasher } from '../core/piece-hasher.js'
import { parsePushObject, type FileDigest, type PushObject } from '../core/push-object.js'
import { hashFile } from '../io/fs/hash-file.js'
import type { Store, StoredBundle } from '../io/store/store.js'
import { readTorrent } from '../io/torrent/torrent-file.js'
import { makeFolderTorrent, type Signing } from './build-entry.js'
import { newest, signPushObject } from './sign-push-object.js'

/**
 * An unchanged signed entry keeps its push object while that is the newest
 * of the chain and has more than half its validity left; otherwise the
 * same bundle is signed again (next sequence) and its torrent remade.
 */
export async function resignEntry (
  o: { onProgress?: OnProgress }, store: Store, entry: StoredBundle, s: Signing, t: { trackers: string[], webSeeds: string[], private: boolean }
): Promise<{ po: PushObject, reused: boolean, entry: StoredBundle }> {
  let current: PushObject | null = null
  try {
    current = parsePushObject(await readFile(entry.pushPath!), entry.pushPath!)
  } catch { /* missing or damaged: sign again */ }
  const last = newest(s.previous)
  if (current !== null && current.id === entry.meta.pushObject && current.signer.raw.equals(s.key.publicKey.raw) &&
      current.project === s.project && (last === null || current.id === last.id || current.sequence > last.sequence) &&
      current.expires - s.now > s.validForSeconds / 2 && current.origin === s.origin) {
    return { po: current, reused: true, entry }
  }
  o.onProgress?.({ phase: 'torrent', detail: 'signing the unchanged bundle again' })
  const pieces = await bundlePieces(entry)
  // the same bytes (isUnchanged held): the previous push object's digests stand, no need to read the bundle again
  const bundle = current !== null && current.bundle.size === entry.meta.size && current.bundle.sha256 === entry.meta.sha256
    ? current.bundle
    : {
        sha256: entry.meta.sha256 ?? (await hashFile(entry.bundlePath)).sha256,
        size: entry.meta.size,
        infoHash: infoHashOf({ name: entry.meta.file, pieceLength: pieces.pieceLength, pieces: pieces.table(), files: { length: entry.meta.size } })
      }
  const dataDir = path.dirname(entry.bundlePath)
  const folder = entry.meta.folder!
  const digestOf = async (file: string): Promise<FileDigest | null> => await hashFile(path.join(dataDir, file)).catch(() => null)
  const index = await digestOf(`${folder}.idx`)
  const po = signPushObject(s.key, {
    ...s,
    previous: current === null ? s.previous : [...s.previous, current],
    state: { refs: entry.meta.refs, head: entry.meta.head },
    bundle,
    index,
    reverseIndex: index === null ? null : await digestOf(`${folder}.rev`)
  })
  const { torrent, infoHash } = await makeFolderTorrent(dataDir, folder, po, { bundleSize: entry.meta.size, pieces, ...t })
  return { po, reused: false, entry: await store.update(entry, { ...entry.meta, infoHash, pushObject: po.id }, torrent) }
}

/**
 * The piece hashes of a stored bundle. Its folder torrent begins with the
 * bundle, so every whole piece is in that torrent's table already: only the
 * last, short piece is read again. A torrent laid out otherwise (an older
 * publish) means reading the bundle once.
 */
async function bundlePieces (entry: StoredBundle): Promise<PieceHasher> {
  const size = entry.meta.size
  const pieceLength = choosePieceLength(size)
  const whole = size - (size % pieceLength)
  let pieces = new PieceHasher(pieceLength)
  try {
    const info = (await readTorrent(await readFile(entry.torrentPath), entry.torrentPath)).info as { files?: Array<{ path?: Uint8Array[] }>, 'piece length'?: number, pieces?: Uint8Array }
    const first = info.files?.[0]?.path
    if (first?.length === 1 && Buffer.from(first[0]!).toString() === entry.meta.file && info['piece length'] === pieceLength && info.pieces !== undefined) {
      pieces = new PieceHasher(pieceLength, { table: info.pieces, length: whole })
    }
  } catch { /* hash it all */ }
  for await (const chunk of createReadStream(entry.bundlePath, { start: pieces.length, highWaterMark: 1 << 20 })) pieces.update(chunk as Buffer)
  if (pieces.length !== size) throw new MirrorError('STORE_CORRUPT', `${entry.bundlePath} is not ${size} bytes any more`)
  return pieces
}
