import { stat } from 'node:fs/promises'
import type { BundleList } from '../core/bundle-list.js'
import { chainProblem } from '../core/bundle-chain.js'
import { isMirrorError } from '../core/errors.js'
import { RECORD_REFS } from '../core/refs.js'
import { hashFile } from '../io/fs/hash-file.js'
import { readBundleList } from '../io/git/read-bundle-list.js'
import type { Git } from '../io/git/run-git.js'
import type { Store, StoredBundle } from '../io/store/store.js'

/** The chain the last publish left: its list and, in the same order, the store's entries for it. */
export interface PreviousChain {
  list: BundleList
  entries: StoredBundle[]
}

/**
 * The previous publish's chain, for the next one to extend: the list the
 * remote publishes (what clients have seen), else this repository's own
 * record (a --no-push publish, a server-side repository), each of its
 * bundles found in the store by its SHA-256 and size (or, downloaded by a
 * reseeder, its infohash and size). `{ chain: null,
 * reason }` when there is no list, it does not read, or the store lacks
 * one of its bundles (a CI machine without the cached store): the next
 * publish then starts a new base.
 */
export async function previousChain (git: Git, store: Store, o: { remote: string | null, remoteRecords: Map<string, string> }): Promise<{ chain: PreviousChain | null, reason: string | null }> {
  const blob = await listBlob(git, o)
  if (blob === null) return { chain: null, reason: null }
  let list: BundleList
  try {
    list = await readBundleList(git, blob, `${RECORD_REFS.list} of the last publish`)
  } catch (err) {
    if (!isMirrorError(err, 'BAD_RECORD')) throw err
    return { chain: null, reason: err.message }
  }
  const stored = await store.list()
  const entries: StoredBundle[] = []
  for (const e of list.entries) {
    // a bundle this store built knows its SHA-256; one a reseeder downloaded (a CI cache) is known by its torrent
    const found = stored.find(s => s.meta.size === e.size && (s.meta.sha256 === e.sha256 || (s.meta.sha256 === null && s.meta.infoHash === e.infoHash)))
    const checked = found === undefined ? null : await unchanged(store, found, e.sha256)
    if (checked === null) return { chain: null, reason: `the store ${store.root} lacks bundle ${e.id} of the published list (or it changed on disk)` }
    entries.push(checked)
  }
  const broken = chainProblem(entries.map(e => e.meta))
  if (broken !== null) return { chain: null, reason: `${RECORD_REFS.list} of the last publish: ${broken}` }
  return { chain: { list, entries }, reason: null }
}

/**
 * The entry when its bundle is still the listed one: its size and mtime as
 * last verified, or else (a copy, a cache restored: new mtimes) its bytes
 * hashed again and found to be the list's, which is then recorded; null
 * when it changed.
 */
async function unchanged (store: Store, e: StoredBundle, sha256: string): Promise<StoredBundle | null> {
  if (await store.isUnchanged(e) && e.meta.sha256 !== null) return e
  const st = await stat(e.bundlePath).catch(() => null)
  if (st === null || st.size !== e.meta.size) return null
  const digest = await hashFile(e.bundlePath)
  if (digest.sha256 !== sha256 || digest.size !== e.meta.size) return null
  return await store.update(e, { ...e.meta, sha256, mtimeMs: st.mtimeMs })
}

/** The list blob: the remote's (fetched by its ref, no ref written) when it has one, else the local record; null when neither. */
async function listBlob (git: Git, o: { remote: string | null, remoteRecords: Map<string, string> }): Promise<Buffer | null> {
  const remoteOid = o.remoteRecords.get(RECORD_REFS.list)
  if (remoteOid !== undefined && o.remote !== null) {
    const have = await git.run(['cat-file', '-e', remoteOid], { okCodes: [1, 128] })
    if (have.code !== 0) await git.run(['fetch', '--no-tags', '--no-write-fetch-head', '--quiet', '--', o.remote, RECORD_REFS.list], { okCodes: [1, 128] })
    const fetched = have.code === 0 || (await git.run(['cat-file', '-e', remoteOid], { okCodes: [1, 128] })).code === 0
    if (fetched) return await git.runBuffer(['cat-file', 'blob', remoteOid])
  }
  const local = await git.run(['rev-parse', '-q', '--verify', `${RECORD_REFS.list}^{blob}`], { okCodes: [1, 128] })
  if (local.code !== 0) return null
  return await git.runBuffer(['cat-file', 'blob', local.stdout.trim()])
}

/**
 * The prerequisites of an increment after `refs` (the previous publish's
 * state): the commits its tips are or peel to, each once. null when this
 * repository lacks one of them (history rewritten and collected): the
 * increment could not be made, so a new base is.
 */
export async function prerequisitesAfter (git: Git, refs: ReadonlyArray<{ oid: string }>): Promise<string[] | null> {
  const oids = [...new Set(refs.map(r => r.oid))]
  const r = await git.run(['cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: oids.map(o => `${o}^{}\n`).join('') })
  const commits = new Set<string>()
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue
    if (line.endsWith(' missing') || line.endsWith(' ambiguous')) return null
    const [oid, type] = line.split(' ')
    if (type === 'commit') commits.add(oid!)   // a tag of a tree or blob: nothing of history to start from
  }
  return [...commits].sort()
}
