import { readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import type { BundleMeta } from '../core/bundle-meta.js'
import { MirrorError } from '../core/errors.js'
import { DEFAULT_TRACKERS, resolveNetworkOptions, type NetworkFlags, type NetworkOptions } from '../core/network-options.js'
import type { OnProgress } from '../core/progress.js'
import { bundleFileName, projectName } from '../core/project-name.js'
import { formatUrlList } from '../core/records.js'
import { refListId, type RefState } from '../core/ref-list.js'
import { ZERO_OID } from '../core/refs.js'
import { normalizeWebSeed } from '../core/web-seed.js'
import { pushRecords, writeRecords, type PushOutcome, type RecordOids } from '../io/git/records.js'
import { openRepository, readMirrorConfig, type Repository } from '../io/git/repository.js'
import { Store, type StoredBundle } from '../io/store/store.js'
import { magnetOf, readTorrent, retargetTorrent } from '../io/torrent/torrent-file.js'
import { createBundle } from './create-bundle.js'
import { makeBundleTorrent } from './make-bundle-torrent.js'
import { resolvePublishedState } from './resolve-published-state.js'

export interface PublishOptions {
  cwd: string
  env?: NodeJS.ProcessEnv
  /** Remote name or URL; default origin. */
  remote?: string
  push: boolean
  /** Default <git-dir>/mirror. */
  store?: string
  /** Project name in the bundle's file name; default from the remote URL. */
  name?: string
  webSeeds: string[]
  network: NetworkFlags
  onProgress?: OnProgress
}

export interface PublishResult {
  store: string
  bundle: { path: string, file: string, size: number, sha256: string | null, refs: number, reused: boolean }
  torrentPath: string
  infoHash: string
  magnet: string
  trackers: string[]
  webSeeds: string[]
  records: RecordOids
  push: { remote: string, outcome: PushOutcome } | null
  entry: StoredBundle
  /** The network options in force (flags over git config), for seeding next. */
  network: NetworkOptions
}

/**
 * mirror-publish: bundle what the remote advertises, make its torrent, record
 * both under refs/mirrors/bundle/*, push the records. Reuses the stored
 * bundle when the published state has not changed.
 */
export async function publish (o: PublishOptions): Promise<PublishResult> {
  o.webSeeds.forEach(u => normalizeWebSeed(u, 'check.bundle'))   // bad URLs fail before any work
  const repo = await openRepository(o.cwd, o.env)
  if (repo.shallow) {
    throw new MirrorError('SHALLOW_REPOSITORY', 'repository is shallow: a bundle needs the full history (run git fetch --unshallow first)')
  }
  const net = resolveNetworkOptions(o.network, await readMirrorConfig(repo.git))
  const target = await resolvePublishedState(repo, { remote: o.remote, push: o.push })
  const store = await Store.open(o.store ?? path.join(repo.gitDir, 'mirror'))

  const end = refListId(target.state.refs)
  const project = o.name ?? projectName(target.remote?.url ?? (repo.bare ? repo.gitDir : path.dirname(repo.gitDir)))
  const fileName = bundleFileName(project, end)
  const webSeeds = o.webSeeds.map(u => normalizeWebSeed(u, fileName))
  const trackers = net.trackers ?? [...DEFAULT_TRACKERS]

  let entry = await store.get(ZERO_OID, end)
  const reused = entry !== null && entry.meta.file === fileName && await store.isUnchanged(entry)
  if (reused) {
    entry = await retarget(store, entry!, trackers, webSeeds)
  } else {
    if (entry !== null) await rm(entry.dir, { recursive: true, force: true })   // changed on disk, or renamed: rebuild
    entry = await build(o, repo, store, target.state, { end, fileName, trackers, webSeeds })
  }

  const torrentBytes = await readFile(entry.torrentPath)
  const magnet = magnetOf(await readTorrent(torrentBytes, entry.torrentPath))
  o.onProgress?.({ phase: 'records' })
  const records = await writeRecords(repo.git, {
    torrent: torrentBytes,
    magnet: Buffer.from(`${magnet}\n`),
    ...(webSeeds.length > 0 ? { http: Buffer.from(formatUrlList(webSeeds)) } : {})
  })
  let push: PublishResult['push'] = null
  if (o.push && target.remote !== null) {
    o.onProgress?.({ phase: 'push', detail: target.remote.name })
    push = { remote: target.remote.name, outcome: await pushRecords(repo.git, target.remote.name, records, target.remoteRecords) }
  }
  return {
    store: store.root,
    bundle: { path: entry.bundlePath, file: entry.meta.file, size: entry.meta.size, sha256: entry.meta.sha256, refs: entry.meta.refs.length, reused },
    torrentPath: entry.torrentPath,
    infoHash: entry.meta.infoHash,
    magnet,
    trackers,
    webSeeds,
    records,
    push,
    entry,
    network: net
  }
}

/** A new store entry: bundle and torrent made under tmp/, committed by one rename. */
async function build (
  o: PublishOptions, repo: Repository, store: Store, state: RefState,
  t: { end: string, fileName: string, trackers: string[], webSeeds: string[] }
): Promise<StoredBundle> {
  const tmp = await store.makeTemp('publish')
  try {
    const bundle = await createBundle(repo, state, tmp, t.fileName, o.onProgress)
    const { torrent, parsed } = await makeBundleTorrent(
      { path: bundle.path, size: bundle.size, fileName: t.fileName },
      { trackers: t.trackers, webSeeds: t.webSeeds, onProgress: o.onProgress })
    const meta: BundleMeta = {
      format: 1,
      start: ZERO_OID,
      end: t.end,
      file: t.fileName,
      size: bundle.size,
      sha256: bundle.sha256,
      infoHash: parsed.infoHash,
      refs: state.refs,
      head: state.head,
      created: new Date().toISOString(),
      mtimeMs: bundle.mtimeMs
    }
    return await store.commit(tmp, meta, torrent)
  } catch (err) {
    await rm(tmp, { recursive: true, force: true })
    throw err
  }
}

/** Same infohash, new announce list or web seeds when the options changed. */
async function retarget (store: Store, entry: StoredBundle, trackers: string[], webSeeds: string[]): Promise<StoredBundle> {
  const current = await readFile(entry.torrentPath)
  const parsed = await readTorrent(current, entry.torrentPath)
  const same = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i])
  if (same(parsed.announce, trackers) && same(parsed.urlList, webSeeds)) return entry
  const torrent = retargetTorrent(current, trackers, webSeeds)
  if ((await readTorrent(torrent, 'the updated torrent')).infoHash !== entry.meta.infoHash) {
    throw new Error('retargeting the torrent changed its infohash')
  }
  return await store.update(entry, entry.meta, torrent)
}
