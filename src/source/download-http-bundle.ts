import { freeOnFullDisk } from './free-on-full-disk.js'
import { createHash } from 'node:crypto'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { isMirrorError } from '../core/errors.js'
import { followFile } from '../io/fs/follow-file.js'
import { checkFullBundle } from '../io/fs/check-full-bundle.js'
import { downloadToFile } from '../io/http/download-file.js'
import type { Store } from '../io/store/store.js'
import type { DownloadBundleOptions, DownloadedBundle } from './download-bundle.js'

export interface DownloadHttpBundleOptions extends Omit<DownloadBundleOptions, 'stats'> {
  /** The origin's refs/mirrors/push, when it publishes one: what a signed bundle over HTTP is checked against. */
  pushObject: Buffer | null
  /** The caller's tally of bytes received, up to date also when the download fails. */
  tally?: { bytes: number }
  /** URL schemes a redirect may lead to (default http and https). */
  allowProtocols?: readonly string[]
  /** Why a redirect must not be followed to this URL, or null (core/address-policy.ts). */
  checkRedirect?: (url: URL) => string | null
}

/**
 * A full bundle over plain HTTP(S) (refs/mirrors/bundle/http; with
 * `increment`, an increment of a list at its `uri`): downloaded
 * into the cache's tmp/http-<SHA-1 of the URL>/, resuming a part an earlier
 * run left with a Range request, within `maxSize`, abandoned when it stalls
 * or trickles; its bytes are handed to `onStream` as they land (git indexes
 * while it downloads, as for the swarm), and its header is checked (a full
 * bundle). Nothing is written outside the cache.
 */
export async function downloadHttpBundle (deps: { store: Store }, url: string, o: DownloadHttpBundleOptions): Promise<DownloadedBundle> {
  const claim = await deps.store.claimDownload(createHash('sha1').update(url).digest('hex'), 'http')
  try {
    const file = path.join(claim.dir, 'bundle.bundle')
    let started = false
    const download = downloadToFile(url, file, {
      maxBytes: o.maxSize,
      stallTimeoutMs: o.stallTimeoutMs,
      ...(o.minBytesPerSecond === undefined ? {} : { minBytesPerSecond: o.minBytesPerSecond }),
      ...(o.signal === undefined ? {} : { signal: o.signal }),
      ...(o.tally === undefined ? {} : { tally: o.tally }),
      ...(o.allowProtocols === undefined ? {} : { allowProtocols: o.allowProtocols }),
      ...(o.checkRedirect === undefined ? {} : { checkRedirect: o.checkRedirect }),
      onStart: () => {
        started = true
        // the file now only grows: a reader follows it from its first byte (the resumed part, then what arrives)
        o.onStream?.(() => followFile(file, 0, download), { packIndex: false })
      },
      onProgress: (loaded, total) => o.onProgress?.({ phase: 'download', loaded, ...(total === null ? {} : { total }), detail: new URL(url).host })
    })
    download.catch(() => {})   // awaited below; a follower sees its failure too
    await download
    if (!started) throw new Error('the download ended without starting')
    const header = await checkFullBundle(file, url, { downloaded: true, increment: o.increment === true })
    return { infoHash: null, file, header, pushObject: o.pushObject, index: null, reverseIndex: null, torrentFile: null, entry: null, dir: claim.dir, release: claim.release, fromPeers: 0, fromWebSeeds: 0 }
  } catch (err) {
    // a part that stalled or was stopped stays to resume; one refused (over the limit, not a bundle) goes
    if (isMirrorError(err) && ['TOO_LARGE', 'BAD_BUNDLE'].includes(err.code)) await rm(claim.dir, { recursive: true, force: true })
    const freed = await freeOnFullDisk(err, claim.dir)
    await claim.release()
    throw freed
  }
}
