import { createHash } from 'node:crypto'
import path from 'node:path'
import type { BundleHeader } from '../core/bundle-header.js'
import { lastBytes } from '../io/fs/last-bytes.js'
import { pipeToFile } from '../io/fs/pipe-to-file.js'
import type { Store } from '../io/store/store.js'
import { splitBundle, type Streaming } from './index-stream.js'

/** A signed bundle's pack, copied out of the bundle while it downloaded. Nothing of it is checked yet. */
export interface CopiedPack {
  /** The scratch directory (the cache's tmp/index-*) holding `file`. */
  scratch: string
  /** The pack's bytes, as they followed the bundle's header. */
  file: string
  header: BundleHeader
  /** Of the whole bundle file, header included: what the push object signs. */
  bundle: { sha256: string, size: number }
  /** The pack's last 20 bytes: its checksum, which its .idx must name. */
  trailer: Buffer
}

/**
 * The signed fast path's half of the overlap: while the bundle downloads,
 * its bytes (as their pieces verify) are hashed (SHA-256, for the push
 * object's digest) and its pack copied out into a scratch directory of
 * the cache, so that once the download ends the checks need no read of
 * the bundle and the pack moves into the clone by a rename. Nothing is
 * written outside the cache before the checks pass (stageSignedPack).
 */
export function startCopying (deps: { store: Store }, read: (signal: AbortSignal) => AsyncGenerator<Buffer>, signal?: AbortSignal): Streaming<CopiedPack> {
  const stop = new AbortController()
  const both = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal])
  const s: Streaming<CopiedPack> = { stop, scratch: null, done: new Promise<CopiedPack>(() => {}) }   // replaced at once
  s.done = (async () => {
    const scratch = await deps.store.makeTemp('index')
    s.scratch = scratch
    const sha256 = createHash('sha256')
    let size = 0
    async function * hashed (): AsyncGenerator<Buffer> {
      for await (const chunk of read(both)) {
        sha256.update(chunk)
        size += chunk.length
        yield chunk
      }
    }
    const split = splitBundle(hashed())
    const trailer = lastBytes(20)
    const file = path.join(scratch, 'pack')
    await pipeToFile(split.pack, [trailer.tap], file, { mode: 0o444, signal: both })
    return { scratch, file, header: split.header(), bundle: { sha256: sha256.digest('hex'), size }, trailer: trailer.bytes() }
  })()
  s.done.catch(() => {})   // awaited where used; a stopped one is not an error
  return s
}
