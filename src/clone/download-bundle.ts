import { open } from 'node:fs/promises'
import path from 'node:path'
import type { BundleHeader } from '../core/bundle-header.js'
import { isMirrorError, MirrorError } from '../core/errors.js'
import type { NetworkOptions } from '../core/network-options.js'
import type { OnProgress } from '../core/progress.js'
import { checkBundleTorrent, type BundleTorrentShape, type RawInfo } from '../core/torrent-policy.js'
import { MAX_PUSH_OBJECT_BYTES } from '../core/push-object.js'
import { checkFullBundle } from '../io/fs/check-full-bundle.js'
import type { Store, StoredBundle } from '../io/store/store.js'
import { announceFor, type TorrentClient } from '../io/torrent/client.js'
import { downloadTorrent, removeTorrent } from '../io/torrent/download.js'
import { sourceInfoHash, type BundleSource } from './choose-source.js'

export interface DownloadBundleOptions {
  maxSize: number
  stallTimeoutMs: number
  signal?: AbortSignal
  onProgress?: OnProgress
  /**
   * When the bundle is downloaded (not found in the store): called as the
   * download starts with a reader of the bundle's bytes in order, as their
   * pieces verify, so indexing can run alongside; and with what the torrent
   * carries beside the bundle (`packIndex`: the pack's .idx).
   */
  onStream?: (read: (signal: AbortSignal) => AsyncGenerator<Buffer>, torrent: { packIndex: boolean }) => void
}

export interface DownloadedBundle {
  infoHash: string
  /** The complete bundle on disk. */
  file: string
  header: BundleHeader
  /** The push object the torrent carries beside the bundle (a signed publish), unverified. */
  pushObject: Buffer | null
  /** The pack's index and reverse index the torrent carries beside the bundle (a signed publish), unverified. */
  index: string | null
  reverseIndex: string | null
  torrentFile: Buffer
  /** The store entry, when the bundle was in the store already (nothing was downloaded). */
  entry: StoredBundle | null
  /** Otherwise the download directory (the store's tmp/download-<infohash>) holding `file`. */
  dir: string | null
  /** Lets other runs use the download directory: call once `dir` is committed or deleted. */
  release: () => Promise<void>
  fromPeers: number
  fromWebSeeds: number
}

/**
 * A full bundle from the swarm: taken from the store if it is there,
 * otherwise downloaded (peers from trackers and the DHT, web seeds) into
 * the store's tmp/download-<infohash>, resuming what an interrupted run left
 * (a private directory while another live run holds that one), and its
 * header checked. Nothing is written outside the store. A failure's
 * `data` carries the bytes that came (fromPeers, fromWebSeeds).
 */
export async function downloadBundle (
  deps: { client: TorrentClient, store: Store, net: NetworkOptions }, source: BundleSource, o: DownloadBundleOptions
): Promise<DownloadedBundle> {
  const infoHash = sourceInfoHash(source)
  const known = await deps.store.findByInfoHash(infoHash)
  if (known !== null) {
    const header = await checkFullBundle(known.bundlePath, source.what, { downloaded: false })
    const torrentFile = source.kind === 'torrent' ? source.torrentFile : Buffer.alloc(0)
    const pushObject = known.pushPath === null ? null : await readPushObject(known.pushPath)
    // the store keeps the torrent's layout: its index files, when the record's torrent names them
    const shape = source.kind === 'torrent' ? source.shape : null
    const index = shape?.index == null ? null : path.join(known.dir, shape.index.path)
    const reverseIndex = shape?.reverseIndex == null ? null : path.join(known.dir, shape.reverseIndex.path)
    return { infoHash, file: known.bundlePath, header, pushObject, index, reverseIndex, torrentFile, entry: known, dir: null, release: async () => {}, fromPeers: 0, fromWebSeeds: 0 }
  }

  const claim = await deps.store.claimDownload(infoHash)
  try {
    const dir = claim.dir
    let shape: BundleTorrentShape | null = source.kind === 'torrent' ? source.shape : null
    const { torrent, stats, torrentFile } = await downloadTorrent(deps.client, source.kind === 'torrent' ? source.parsed : source.magnet, {
      path: dir,
      announce: announceFor(deps.net, source.kind === 'torrent' ? source.parsed.announce : source.magnet.announce),
      stallTimeoutMs: o.stallTimeoutMs,
      ...(source.kind === 'magnet'
        ? { checkMetadata: (info: unknown) => { shape = checkBundleTorrent(info as RawInfo, { maxSize: o.maxSize, ref: source.what }) } }
        : {}),
      ...(o.onStream === undefined
        ? {}
        : { onReady: read => { const onStream = o.onStream!; const { bundlePath, index } = shape!; onStream(signal => read(bundlePath, signal), { packIndex: index !== null }) } }),
      ...(o.signal === undefined ? {} : { signal: o.signal }),
      ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress })
    })
    await removeTorrent(deps.client, torrent)
    if (shape === null) throw new Error('the torrent completed without its metadata being checked')
    const got: BundleTorrentShape = shape
    const file = path.join(dir, got.bundlePath)
    const header = await checkFullBundle(file, source.what, { downloaded: true }).catch((err: unknown) => {
      if (isMirrorError(err)) Object.assign(err.data, { fromPeers: stats.fromPeers, fromWebSeeds: stats.fromWebSeeds })
      throw err
    })
    const pushObject = got.push === null ? null : await readPushObject(path.join(dir, got.push.path))
    const index = got.index === null ? null : path.join(dir, got.index.path)
    const reverseIndex = got.reverseIndex === null ? null : path.join(dir, got.reverseIndex.path)
    return { infoHash, file, header, pushObject, index, reverseIndex, torrentFile, entry: null, dir, release: claim.release, fromPeers: stats.fromPeers, fromWebSeeds: stats.fromWebSeeds }
  } catch (err) {
    await claim.release()
    throw err
  }
}

/** The push object file, read only up to its limit (the policy bounded its size already; the disk is checked again). */
async function readPushObject (file: string): Promise<Buffer> {
  let fh
  try {
    fh = await open(file, 'r')
  } catch (err) {
    throw new MirrorError('BAD_BUNDLE', `the push object beside the bundle cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file })
  }
  try {
    const buf = Buffer.alloc(Math.min((await fh.stat()).size, MAX_PUSH_OBJECT_BYTES + 1))
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await fh.close()
  }
}
