import { rm, stat } from 'node:fs/promises'
import path from 'node:path'
import type { BundleMeta } from '../core/bundle-meta.js'
import { MirrorError } from '../core/errors.js'
import type { NetworkOptions } from '../core/network-options.js'
import type { OnProgress } from '../core/progress.js'
import { refListId } from '../core/ref-list.js'
import { RECORD_REFS, ZERO_OID } from '../core/refs.js'
import { checkBundleTorrent } from '../core/torrent-policy.js'
import { readBundleHeader } from '../io/fs/read-bundle-header.js'
import { fetchRecords } from '../io/git/fetch-records.js'
import type { Git } from '../io/git/run-git.js'
import type { Store, StoredBundle } from '../io/store/store.js'
import { announceFor } from '../io/torrent/client.js'
import { downloadTorrent, removeTorrent } from '../io/torrent/download.js'
import { readTorrent } from '../io/torrent/torrent-file.js'
import type { Seeder } from './seeder.js'

export interface SeedRemoteOptions {
  maxSize: number
  stallTimeoutMs: number
  signal?: AbortSignal
  onProgress?: OnProgress
}

export interface SeedRemoteResult {
  url: string
  entry: StoredBundle
  downloaded: { fromPeers: number, fromWebSeeds: number } | null
}

/**
 * mirror-seed <url>: read what the remote publishes under
 * refs/mirrors/bundle/*, check the torrent before writing anything, download
 * the bundle into the store (resuming a partial download), check its header,
 * commit it to the store and seed it.
 */
export async function seedRemote (
  deps: { git: Git, store: Store, seeder: Seeder, net: NetworkOptions }, url: string, o: SeedRemoteOptions
): Promise<SeedRemoteResult> {
  const { store, seeder } = deps
  const ref = `${RECORD_REFS.torrent} on ${url}`
  o.onProgress?.({ phase: 'records', detail: url })
  const records = await readRecords(deps.git, store, url)
  if (records.torrent === undefined) {
    throw new MirrorError('NO_RECORDS', `${url} publishes no bundle (no ${RECORD_REFS.torrent})`, { url })
  }
  const parsed = await readTorrent(records.torrent, ref)
  const shape = checkBundleTorrent(parsed.info, { maxSize: o.maxSize, ref })

  const known = await store.findByInfoHash(parsed.infoHash)
  if (known !== null) {
    await seeder.seed(known)
    return { url, entry: known, downloaded: null }
  }

  const dir = await store.stableTemp(`download-${parsed.infoHash}`)
  const { torrent, stats } = await downloadTorrent(seeder.client, parsed, {
    path: dir,
    announce: announceFor(deps.net, parsed.announce),
    stallTimeoutMs: o.stallTimeoutMs,
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress })
  })
  await removeTorrent(seeder.client, torrent)

  const file = path.join(dir, shape.name)
  const header = await checkedHeader(file, url)
  const st = await stat(file)
  const meta: BundleMeta = {
    format: 1,
    start: ZERO_OID,
    end: refListId(header.refs),
    file: shape.name,
    size: st.size,
    sha256: null,
    infoHash: parsed.infoHash,
    refs: header.refs,
    head: null,
    created: new Date().toISOString(),
    mtimeMs: st.mtimeMs
  }
  const entry = await store.commit(dir, meta, records.torrent)
  await seeder.seed(entry)
  return { url, entry, downloaded: { fromPeers: stats.fromPeers, fromWebSeeds: stats.fromWebSeeds } }
}

/** The records, fetched through a throwaway bare repository inside the store. */
async function readRecords (git: Git, store: Store, url: string): ReturnType<typeof fetchRecords> {
  const scratch = await store.makeTemp('records')
  try {
    await git.at(scratch).run(['init', '--bare', '--quiet', scratch])
    return await fetchRecords(git.at(scratch), url)
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

async function checkedHeader (file: string, url: string): ReturnType<typeof readBundleHeader> {
  try {
    const header = await readBundleHeader(file)
    if (header.prerequisites.length > 0) throw new MirrorError('BAD_BUNDLE', 'it is incremental (has prerequisites); only full bundles are seeded from a remote')
    return header
  } catch (err) {
    await rm(file, { force: true })   // complete per the torrent, but not a bundle we accept: do not resume into it
    const why = err instanceof MirrorError ? err.message : String(err)
    throw new MirrorError('BAD_BUNDLE', `the bundle ${url} publishes is not usable: ${why}`, { url })
  }
}

