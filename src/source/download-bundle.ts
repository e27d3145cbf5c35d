import { freeOnFullDisk } from './free-on-full-disk.js'
import { open, readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import type { BundleHeader } from '../core/bundle-header.js'
import { MirrorError } from '../core/errors.js'
import type { OnProgress } from '../core/progress.js'
import { checkBundleTorrent, type BundleTorrentShape, type RawInfo } from '../core/torrent-policy.js'
import { MAX_PUSH_OBJECT_BYTES } from '../core/push-object.js'
import { checkFullBundle } from '../io/fs/check-full-bundle.js'
import type { Store, StoredBundle } from '../io/store/store.js'
import type { Swarm } from '../io/torrent/swarm.js'
import { newTransferStats, type TransferStats } from '../io/torrent/transfer-stats.js'
import type { TorrentSource } from './torrent-source.js'

export interface DownloadBundleOptions {
  maxSize: number
  stallTimeoutMs: number
  /** A trickle is a stall: the least average rate over every stallTimeoutMs (0: any byte). */
  minBytesPerSecond?: number
  /** The caller's tally of bytes from peers and web seeds, up to date also when the download fails. */
  stats?: TransferStats
  signal?: AbortSignal
  onProgress?: OnProgress
  /** A line for the user: a peer banned, a web seed not answering. */
  onNotice?: ((line: string) => void) | undefined
  /**
   * When the bundle is downloaded (not found in the store): called as the
   * download starts with a reader of the bundle's bytes in order, as their
   * pieces verify, so indexing can run alongside; and with what the torrent
   * carries beside the bundle (`packIndex`: the pack's .idx).
   */
  /** The bundle is an increment of a list (it has prerequisites), not a full bundle. */
  increment?: boolean
  onStream?: (read: (signal: AbortSignal) => AsyncGenerator<Buffer>, torrent: { packIndex: boolean }) => void
}

export interface DownloadedBundle {
  /** The torrent's (null for a bundle downloaded over plain HTTP). */
  infoHash: string | null
  /** The complete bundle on disk. */
  file: string
  header: BundleHeader
  /** The push object the torrent carries beside the bundle (a signed publish), unverified. */
  pushObject: Buffer | null
  /** The pack's index and reverse index the torrent carries beside the bundle (a signed publish), unverified. */
  index: string | null
  reverseIndex: string | null
  /** The .torrent (null over plain HTTP): what a kept bundle is seeded with. */
  torrentFile: Buffer | null
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
 * header checked. Nothing is written outside the store.
 */
export async function downloadBundle (
  deps: { swarm: Swarm, store: Store }, source: TorrentSource, o: DownloadBundleOptions
): Promise<DownloadedBundle> {
  const infoHash = source.infoHash
  const known = await deps.store.findByInfoHash(infoHash)
  if (known !== null) {
    const header = await checkFullBundle(known.bundlePath, source.what, { downloaded: false, increment: o.increment === true })
    const torrentFile = source.kind === 'torrent' ? source.torrentFile : null
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
    const stats = o.stats ?? newTransferStats()
    const { torrentFile } = await deps.swarm.download(source.kind === 'torrent' ? source.parsed : source.magnet, {
      path: dir,
      stallTimeoutMs: o.stallTimeoutMs,
      stats,
      ...(o.minBytesPerSecond === undefined ? {} : { minBytesPerSecond: o.minBytesPerSecond }),
      ...(source.kind === 'magnet'
        ? { checkMetadata: (info: unknown) => { shape = checkBundleTorrent(info as RawInfo, { maxSize: o.maxSize, ref: source.what }) } }
        : {}),
      ...(o.onStream === undefined
        ? {}
        : { onReady: read => { const onStream = o.onStream!; const { bundlePath, index } = shape!; onStream(signal => read(bundlePath, signal), { packIndex: index !== null }) } }),
      ...(o.signal === undefined ? {} : { signal: o.signal }),
      ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress }),
      ...(o.onNotice === undefined ? {} : { onNotice: o.onNotice })
    })
    if (shape === null) throw new Error('the torrent completed without its metadata being checked')
    const got: BundleTorrentShape = shape
    const file = path.join(dir, got.bundlePath)
    const header = await checkFullBundle(file, source.what, { downloaded: true, increment: o.increment === true })
    const pushObject = got.push === null ? null : await readPushObject(path.join(dir, got.push.path))
    const index = got.index === null ? null : path.join(dir, got.index.path)
    const reverseIndex = got.reverseIndex === null ? null : path.join(dir, got.reverseIndex.path)
    return { infoHash, file, header, pushObject, index, reverseIndex, torrentFile, entry: null, dir, release: claim.release, fromPeers: stats.fromPeers, fromWebSeeds: stats.fromWebSeeds }
  } catch (err) {
    const freed = await freeOnFullDisk(err, claim.dir)
    // nothing to resume (a magnet whose metadata never came): no empty directory stays behind
    if ((await readdir(claim.dir).catch(() => [''])).length === 0) await rm(claim.dir, { recursive: true, force: true })
    await claim.release()
    throw freed
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
