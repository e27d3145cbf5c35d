import type { NetworkOptions } from '../core/network-options.js'
import type { OnProgress } from '../core/progress.js'
import { chooseSource } from '../clone/choose-source.js'
import { downloadBundle } from '../clone/download-bundle.js'
import { fetchRecordsVia } from '../io/git/fetch-records.js'
import type { Git } from '../io/git/run-git.js'
import { commitDownload } from '../io/store/commit-download.js'
import type { Store, StoredBundle } from '../io/store/store.js'
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
 * refs/mirrors/bundle/* (the torrent, else the magnet), check it before
 * writing anything, download the bundle into the store the way a clone
 * does (resuming a partial download), check its header, commit it to the
 * store and seed it.
 */
export async function seedRemote (
  deps: { git: Git, store: Store, seeder: Seeder, net: NetworkOptions }, url: string, o: SeedRemoteOptions
): Promise<SeedRemoteResult> {
  const { store, seeder } = deps
  o.onProgress?.({ phase: 'records', detail: url })
  const { records } = await fetchRecordsVia(deps.git, await store.makeTemp('records'), url)
  const source = await chooseSource(records, { url, maxSize: o.maxSize })
  const bundle = await downloadBundle({ client: seeder.client, store, net: deps.net }, source, o)
  let entry: StoredBundle
  try {
    entry = bundle.entry ?? await commitDownload(store, bundle.dir!, bundle)
  } finally {
    await bundle.release()
  }
  await seeder.seed(entry)
  return { url, entry, downloaded: bundle.entry === null ? { fromPeers: bundle.fromPeers, fromWebSeeds: bundle.fromWebSeeds } : null }
}
