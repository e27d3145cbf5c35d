import { createReadStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import type { BundleMeta } from '../core/bundle-meta.js'
import type { OnProgress } from '../core/progress.js'
import { infoHashOf } from '../core/torrent-info.js'
import { pushFileName } from '../core/project-name.js'
import type { PieceHasher } from '../core/piece-hasher.js'
import type { PushObject } from '../core/push-object.js'
import type { RefState } from '../core/ref-list.js'
import { writeFileAtomic } from '../io/fs/atomic.js'
import { hashFile } from '../io/fs/hash-file.js'
import type { SigningKey } from '../io/keys/signing-key.js'
import type { Repository } from '../io/git/repository.js'
import type { Store, StoredBundle } from '../io/store/store.js'
import { encodeTorrent } from '../io/torrent/torrent-file.js'
import { createBundle } from './create-bundle.js'
import { signPushObject } from './sign-push-object.js'

export interface Signing { key: SigningKey, project: string, now: number, validForSeconds: number, previous: PushObject[], origin: string | null }

/**
 * A new store entry: bundle and torrent made under tmp/, committed by one
 * rename. Signed: the bundle goes into a folder beside its push object,
 * and the torrent carries both.
 */
export async function buildEntry (
  o: { onProgress?: OnProgress }, repo: Repository, store: Store, state: RefState,
  t: { start: string, since: string[], end: string, fileName: string, folder: string | null, trackers: string[], webSeeds: string[], signing: Signing | null, private: boolean }
): Promise<{ entry: StoredBundle, po: PushObject | null }> {
  const tmp = await store.makeTemp('publish')
  try {
    const dataDir = t.folder === null ? tmp : path.join(tmp, t.folder)
    await mkdir(dataDir, { recursive: true })
    // signed: the pack's index ships too, so a client that trusts the signature need not index the pack
    const bundle = await createBundle(repo, state, dataDir, t.fileName, { index: t.signing !== null, since: t.since, ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress }) })
    o.onProgress?.({ phase: 'torrent', loaded: bundle.size, total: bundle.size })
    const content = { name: t.fileName, pieceLength: bundle.pieces.pieceLength, pieces: bundle.pieces.table(), files: { length: bundle.size } }
    let { torrent, infoHash } = encodeTorrent({ ...content, private: t.private }, t)
    let po: PushObject | null = null
    if (t.signing !== null && t.folder !== null) {
      const index = bundle.index === null ? null : { idx: await hashFile(bundle.index.idx), rev: await hashFile(bundle.index.rev) }
      // the push object names the bundle's public torrent of its own (docs/push-object.md), whatever this publish's visibility
      const bundleInfoHash = t.private ? infoHashOf(content) : infoHash
      po = signPushObject(t.signing.key, { ...t.signing, state, bundle: { sha256: bundle.sha256, size: bundle.size, infoHash: bundleInfoHash }, index: index?.idx ?? null, reverseIndex: index?.rev ?? null })
      const folderTorrent = await makeFolderTorrent(dataDir, t.folder, po, { bundleSize: bundle.size, pieces: bundle.pieces, trackers: t.trackers, webSeeds: t.webSeeds, private: t.private })
      torrent = folderTorrent.torrent
      infoHash = folderTorrent.infoHash
    }
    const meta: BundleMeta = {
      format: 1,
      start: t.start,
      end: t.end,
      file: t.fileName,
      size: bundle.size,
      sha256: bundle.sha256,
      infoHash,
      refs: state.refs,
      head: state.head,
      created: new Date().toISOString(),
      mtimeMs: bundle.mtimeMs,
      folder: t.folder,
      pushObject: po?.id ?? null,
      pointer: null,
      retired: null
    }
    return { entry: await store.commit(tmp, meta, torrent), po }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true })
    throw err
  }
}

/**
 * Writes the push object beside the bundle and makes the torrent of the
 * folder: the bundle first, then the pack's .idx and .rev when there, the
 * push object last. `pieces` has seen exactly the bundle's bytes; the small
 * files that follow are hashed on top, so the bundle is not read again.
 */
export async function makeFolderTorrent (
  dataDir: string, folder: string, po: PushObject, o: { bundleSize: number, pieces: PieceHasher, trackers: string[], webSeeds: string[], private: boolean }
): Promise<{ torrent: Buffer, infoHash: string }> {
  if (o.pieces.length !== o.bundleSize) throw new Error('the piece hasher has not seen exactly the bundle')
  await writeFileAtomic(path.join(dataDir, pushFileName(folder)), po.bytes)
  const files = [{ name: `${folder}.bundle`, length: o.bundleSize }]
  const extra = [...(po.index === null ? [] : [`${folder}.idx`]), ...(po.reverseIndex === null ? [] : [`${folder}.rev`]), pushFileName(folder)]
  for (const name of extra) {
    let length = 0
    for await (const chunk of createReadStream(path.join(dataDir, name), { highWaterMark: 1 << 20 })) {
      o.pieces.update(chunk as Buffer)
      length += (chunk as Buffer).length
    }
    files.push({ name, length })
  }
  return encodeTorrent({ name: folder, pieceLength: o.pieces.pieceLength, pieces: o.pieces.table(), files, private: o.private }, o)
}
