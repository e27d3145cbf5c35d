import { readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { parseBundleHeader, type BundleHeader } from '../core/bundle-header.js'
import { MirrorError } from '../core/errors.js'
import { gitProgressTo, type OnProgress } from '../core/progress.js'
import type { Ref } from '../core/ref-list.js'
import { moveFile } from '../io/fs/move-file.js'
import type { Git } from '../io/git/run-git.js'
import type { Store } from '../io/store/store.js'

/** A header larger than this is not a bundle we take (100k refs need about 6 MB). */
const MAX_HEADER_BYTES = 64 * 1024 * 1024

/**
 * Indexes a full bundle while it downloads: its header is parsed from the
 * first bytes, then the pack streams into `git index-pack --stdin` in the
 * clone, which hashes every object as it arrives (what `git fetch` from the
 * bundle file would do, once the file were complete). With
 * --check-self-contained-and-connected, index-pack also refuses a pack
 * that is not whole, so no connectivity walk is needed after it, as for a
 * clone over the network. Returns the bundle's header; its refs are not
 * written (the clone stages them once the download is complete: stagingRefs).
 */
export async function indexStream (repo: Git, bytes: AsyncIterable<Buffer>, o: { onProgress?: OnProgress, signal?: AbortSignal } = {}): Promise<BundleHeader> {
  const split = splitBundle(bytes)
  const onStderr = gitProgressTo('index', o.onProgress)
  await repo.run(['index-pack', '--stdin', '--fix-thin', '--check-self-contained-and-connected', ...(onStderr === undefined ? [] : ['-v'])], {
    input: split.pack,
    ...(onStderr === undefined ? {} : { onStderr }),
    ...(o.signal === undefined ? {} : { signal: o.signal })
  })
  return split.header()
}

/**
 * A full bundle's bytes split into its header, parsed from the first bytes
 * (bounded), and its pack: `pack` yields the pack's bytes; `header()`
 * returns the header once `pack` has been read to its end.
 */
export function splitBundle (bytes: AsyncIterable<Buffer>): { pack: AsyncGenerator<Buffer>, header: () => BundleHeader } {
  let header: BundleHeader | null = null
  async function * pack (): AsyncGenerator<Buffer> {
    let head = Buffer.alloc(0)
    for await (const chunk of bytes) {
      if (header !== null) { yield chunk; continue }
      head = Buffer.concat([head, chunk])
      const parsed = parseBundleHeader(head)
      if (parsed === null) {
        if (head.length > MAX_HEADER_BYTES) throw new MirrorError('BAD_BUNDLE', `the bundle's header runs past ${MAX_HEADER_BYTES} bytes`)
        continue
      }
      if (parsed.prerequisites.length > 0) throw new MirrorError('BAD_BUNDLE', 'it is incremental (has prerequisites), not a full bundle')
      header = parsed
      yield head.subarray(parsed.length)
    }
    if (header === null) throw new MirrorError('BAD_BUNDLE', 'the bundle ends inside its header')
  }
  return {
    pack: pack(),
    header: () => {
      if (header === null) throw new MirrorError('BAD_BUNDLE', 'the bundle ends inside its header')
      return header
    }
  }
}

/** Work on the bundle's bytes as they download, in a scratch directory of the cache's tmp/ (index-*). */
export interface Streaming<T> {
  done: Promise<T>
  stop: AbortController
  /** The scratch directory, once made. */
  scratch: string | null
}

/** index-pack reading the bundle as it downloads, into a scratch repository in the cache. */
export interface Indexing extends Streaming<Indexed> {
  /** From now on its progress is shown (during the download, the download's is). */
  downloaded: () => void
}

export interface Indexed { scratch: string, refs: Ref[] }

/**
 * Starts indexing into a scratch repository in the cache's tmp/ (index-*),
 * not into the clone: a crash, even SIGKILL, leaves nothing in the
 * destination (the cache prunes a day-old leftover), and the pack moves
 * into the clone by a rename.
 */
export function startIndexing (deps: { git: Git, store: Store, onProgress?: OnProgress | undefined }, read: (signal: AbortSignal) => AsyncGenerator<Buffer>, signal?: AbortSignal): Indexing {
  const stop = new AbortController()
  const both = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal])
  let shown = false
  const onProgress = deps.onProgress
  const s: Indexing = {
    stop,
    scratch: null,
    downloaded: () => { shown = true },
    done: Promise.resolve({ scratch: '', refs: [] })
  }
  s.done = (async () => {
    const scratch = await deps.store.makeTemp('index')
    s.scratch = scratch
    await deps.git.run(['init', '--bare', '--quiet', scratch])
    const header = await indexStream(deps.git.at(scratch), read(both), {
      signal: both,
      ...(onProgress === undefined ? {} : { onProgress: p => { if (shown) onProgress(p) } })
    })
    return { scratch, refs: header.refs }
  })()
  s.done.catch(() => {})   // awaited where used; a stopped one is not an error
  return s
}

/**
 * Moves the pack index-pack wrote into the clone (pack, then idx: git sees
 * a pack once its .idx is there). A rename where the cache and the clone
 * share a file system, a copy where they do not. Returns the files now in
 * the clone, for the caller to remove should staging its refs fail.
 */
export async function adoptPack (indexed: Indexed, repo: Git): Promise<string[]> {
  const from = path.join(indexed.scratch, 'objects', 'pack')
  const to = path.join((await repo.run(['rev-parse', '--absolute-git-dir'])).stdout.trim(), 'objects', 'pack')
  const files = (await readdir(from)).filter(f => /^pack-[0-9a-f]+\.(pack|rev|idx)$/.test(f))
  const order = (f: string): number => ['pack', 'rev', 'idx'].indexOf(f.slice(f.lastIndexOf('.') + 1))
  const moved: string[] = []
  for (const f of files.sort((x, y) => order(x) - order(y))) {
    await moveFile(path.join(from, f), path.join(to, f))
    moved.push(path.join(to, f))
  }
  return moved
}

/** Stops the work if it still runs, waits for it and removes its scratch directory: nothing of it outlives the clone. */
export async function stopStreaming (s: Streaming<unknown> | null): Promise<null> {
  if (s === null) return null
  s.stop.abort()
  await s.done.catch(() => null)
  if (s.scratch !== null) await rm(s.scratch, { recursive: true, force: true })
  return null
}
