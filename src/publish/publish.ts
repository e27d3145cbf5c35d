import { createReadStream } from 'node:fs'
import { mkdir, readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import type { BundleMeta } from '../core/bundle-meta.js'
import { MirrorError } from '../core/errors.js'
import { DEFAULT_TRACKERS, resolveNetworkOptions, type NetworkFlags, type NetworkOptions } from '../core/network-options.js'
import type { OnProgress } from '../core/progress.js'
import { choosePieceLength } from '../core/piece-length.js'
import { infoHashOf } from '../core/torrent-info.js'
import { bundleBaseName, projectName, pushFileName, sanitizeName } from '../core/project-name.js'
import { PieceHasher } from '../core/piece-hasher.js'
import { parsePushObject, type FileDigest, type PushObject } from '../core/push-object.js'
import { parseMirrorUrl } from '../core/mirror-url.js'
import { formatUrlList } from '../core/records.js'
import { refListId, type RefState } from '../core/ref-list.js'
import { RECORD_REFS, ZERO_OID } from '../core/refs.js'
import { normalizeWebSeed, webSeedFor } from '../core/web-seed.js'
import { checkPrivateTrackers, parseVisibility, privateNetwork, publicRefusal, type Visibility } from '../core/visibility.js'
import { writeFileAtomic } from '../io/fs/atomic.js'
import { hashFile } from '../io/fs/hash-file.js'
import { findSigningKey } from '../io/keys/find-signing-key.js'
import type { SigningKey } from '../io/keys/signing-key.js'
import { pushRecords, writeRecords, type PushOutcome, type RecordOids } from '../io/git/records.js'
import { openRepository, readMirrorConfig, type Repository } from '../io/git/repository.js'
import { originAccess } from '../io/http/origin-access.js'
import { Store, type StoredBundle } from '../io/store/store.js'
import { encodeTorrent, magnetOf, preloadTorrentParser, readTorrent, retargetTorrent, setPrivateFlag } from '../io/torrent/torrent-file.js'
import { createBundle } from './create-bundle.js'
import { putPointer, type PointerReport } from './put-pointer.js'
import { signedOrigin } from './signed-origin.js'
import { resolvePublishedState } from './resolve-published-state.js'
import { earlierPushObjects, newest, signPushObject } from './sign-push-object.js'

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
  /** Full git mirrors to record (http(s) in refs/mirrors/fetch/http, git:// and ssh in fetch/git); default git config mirror.fetchMirror. */
  fetchMirrors?: string[]
  network: NetworkFlags
  /** The origin URL a push object names for clones by the key alone (--origin-url); default: the remote's, when it is http(s) or git:// without credentials; null: none. */
  originUrl?: string | null
  /**
   * --public or --private. Unsaid: git config mirror.visibility, else public
   * unless the origin needs authentication (or cannot be told to be
   * readable by anyone): then ORIGIN_NOT_PUBLIC, before anything is
   * fetched, written or pushed. Said: recorded in mirror.visibility.
   */
  visibility?: Visibility
  /** Sign with this key file; false: do not sign; undefined: git config mirror.signingKey, if set. */
  signingKey?: string | false
  /** How long a new push object is valid (default 90 days). */
  validForSeconds?: number
  /** Unix seconds; for tests. */
  now?: number
  onProgress?: OnProgress
}

export const DEFAULT_VALID_FOR_SECONDS = 90 * 24 * 3600

export interface PublishResult {
  store: string
  bundle: { path: string, file: string, size: number, sha256: string | null, refs: number, reused: boolean }
  torrentPath: string
  infoHash: string
  magnet: string
  trackers: string[]
  webSeeds: string[]
  /** The full git mirrors recorded under refs/mirrors/fetch/*. */
  fetchMirrors: string[]
  records: RecordOids
  push: { remote: string, outcome: PushOutcome } | null
  /** The push object the torrent carries, when signed. */
  pushObject: { id: string, sequence: number, expires: number, key: string, path: string, reused: boolean } | null
  entry: StoredBundle
  /** The network options in force (flags over git config), for seeding next: a private publish's have no DHT or LSD. */
  network: NetworkOptions
  visibility: Visibility
  /** The visibility was written to git config mirror.visibility by this run (it was said and differed). */
  visibilityRecorded: boolean
  /** A signed public publish's DHT pointer (its BEP 46 magnet, and whether the put reached the DHT); null when none is put. */
  pointer: PointerReport | null
}

/**
 * mirror-publish: bundle what the remote advertises, make its torrent, record
 * both under refs/mirrors/bundle/*, push the records. Reuses the stored
 * bundle when the published state has not changed.
 */
export async function publish (o: PublishOptions): Promise<PublishResult> {
  preloadTorrentParser()   // loads while git works, instead of after the bundle
  o.webSeeds.forEach(u => normalizeWebSeed(u, 'check.bundle'))   // bad URLs fail before any work (a folder URL is checked with the key)
  const repo = await openRepository(o.cwd, o.env)
  if (repo.shallow) {
    throw new MirrorError('SHALLOW_REPOSITORY', 'repository is shallow: a bundle needs the full history (run git fetch --unshallow first)')
  }
  const config = await readMirrorConfig(repo.git)
  const net = resolveNetworkOptions(o.network, config)
  const recorded = parseVisibility(config.visibility)
  const chosen = o.visibility ?? recorded
  if (chosen === 'private') checkPrivateTrackers(net.trackers)   // never the default public trackers
  const fetchMirrors = [...new Set(o.fetchMirrors ?? config.fetchMirror ?? [])]
  const mirrors = fetchMirrorRecords(fetchMirrors)
  const target = await resolvePublishedState(repo, {
    remote: o.remote,
    push: o.push,
    checkRemote: async remote => {
      if (chosen !== null) return
      const refusal = publicRefusal(remote.url, await originAccess(remote.url), net)
      if (refusal !== null) throw new MirrorError('ORIGIN_NOT_PUBLIC', refusal, { remote: remote.name, url: remote.url })
    }
  })
  const visibility: Visibility = chosen ?? 'public'
  const isPrivate = visibility === 'private'
  const store = await Store.open(o.store ?? path.join(repo.gitDir, 'mirror'))

  const end = refListId(target.state.refs)
  const project = sanitizeName(o.name ?? projectName(target.remote?.url ?? (repo.bare ? repo.gitDir : path.dirname(repo.gitDir))))
  const key = o.signingKey === false ? null : await findSigningKey(repo.git, o.signingKey)
  const base = bundleBaseName(project, end)
  const fileName = `${base}.bundle`
  const folder = key === null ? null : base
  const webSeeds = o.webSeeds.map(u => webSeedFor(u, fileName, folder))
  const trackers = isPrivate ? checkPrivateTrackers(net.trackers) : net.trackers ?? [...DEFAULT_TRACKERS]
  const signing: Signing | null = key === null
    ? null
    : {
        key,
        project,
        now: o.now ?? Math.floor(Date.now() / 1000),
        validForSeconds: o.validForSeconds ?? DEFAULT_VALID_FOR_SECONDS,
        origin: signedOrigin(o.originUrl, target.remote?.url ?? null),
        previous: await earlierPushObjects(repo.git, store.pushObjects, key, project,
          target.remote !== null && target.remoteRecords.has(RECORD_REFS.push) ? { name: target.remote.name, oid: target.remoteRecords.get(RECORD_REFS.push)! } : null)
      }

  let entry = await store.get(ZERO_OID, end)
  const reused = entry !== null && entry.meta.file === fileName && entry.meta.folder === folder && await store.isUnchanged(entry)
  let signed: { po: PushObject, reused: boolean } | null = null
  if (reused) {
    if (signing !== null) {
      const r = await resign(o, store, entry!, signing, { trackers, webSeeds, private: isPrivate })
      signed = r
      entry = r.entry
    }
    entry = await retarget(store, entry!, { trackers, webSeeds, private: isPrivate })
  } else {
    if (entry !== null) await rm(entry.dir, { recursive: true, force: true })   // changed on disk, renamed, signed or no longer: rebuild
    const built = await build(o, repo, store, target.state, { end, fileName, folder, trackers, webSeeds, signing, private: isPrivate })
    entry = built.entry
    if (built.po !== null) signed = { po: built.po, reused: false }
  }

  const torrentBytes = await readFile(entry.torrentPath)
  const magnet = await magnetOf(await readTorrent(torrentBytes, entry.torrentPath))
  o.onProgress?.({ phase: 'records' })
  const records = await writeRecords(repo.git, {
    torrent: torrentBytes,
    // a magnet carries no private flag: a client opening it would look the infohash up on the DHT before it learns
    ...(isPrivate ? {} : { magnet: Buffer.from(`${magnet}\n`) }),
    ...(webSeeds.length > 0 ? { http: Buffer.from(formatUrlList(webSeeds.map(u => folder === null ? u : `${u}${encodeURIComponent(folder)}/${encodeURIComponent(fileName)}`))) } : {}),
    ...mirrors,
    ...(signed !== null ? { push: signed.po.bytes } : {})
  })
  let push: PublishResult['push'] = null
  if (o.push && target.remote !== null) {
    o.onProgress?.({ phase: 'push', detail: target.remote.name })
    push = { remote: target.remote.name, outcome: await pushRecords(repo.git, target.remote.name, records, target.remoteRecords) }
  }
  if (signed !== null) await store.pushObjects.add(signed.po)   // the chain's HEAD moves once the push object is out (or kept local by --no-push)
  let pointer: PointerReport | null = null
  if (signed !== null && key !== null && !isPrivate && net.dht) {
    // a private publish never puts one: its infohash stays off the DHT
    const put = await putPointer(store, entry, { key, project, seq: signed.po.sequence, net, ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress }) })
    entry = put.entry
    pointer = put.report
  } else if (entry.meta.pointer !== null) {
    entry = await store.update(entry, { ...entry.meta, pointer: null })   // no seeder re-puts a pointer this publish did not make
  }
  const visibilityRecorded = o.visibility !== undefined && o.visibility !== recorded
  if (visibilityRecorded) await repo.git.run(['config', '--local', 'mirror.visibility', visibility])   // the next publish keeps to it unless told otherwise
  return {
    store: store.root,
    bundle: { path: entry.bundlePath, file: entry.meta.file, size: entry.meta.size, sha256: entry.meta.sha256, refs: entry.meta.refs.length, reused },
    torrentPath: entry.torrentPath,
    infoHash: entry.meta.infoHash,
    magnet,
    trackers,
    webSeeds,
    fetchMirrors,
    records,
    push,
    pushObject: signed === null
      ? null
      : { id: signed.po.id, sequence: signed.po.sequence, expires: signed.po.expires, key: signed.po.signer.text, path: entry.pushPath!, reused: signed.reused },
    entry,
    network: isPrivate ? privateNetwork(net) : net,
    visibility,
    visibilityRecorded,
    pointer
  }
}

/**
 * The fetch-mirror records: each URL checked as a client will check it,
 * then sorted by scheme into refs/mirrors/fetch/http (http, https) and
 * refs/mirrors/fetch/git (git://, ssh), in the order given.
 */
export function fetchMirrorRecords (urls: string[]): { fetchGit?: Buffer, fetchHttp?: Buffer } {
  const byRecord: Record<'git' | 'http', string[]> = { git: [], http: [] }
  for (const url of urls) {
    const record = /^https?:\/\//i.test(url) ? 'http' : 'git'
    try {
      parseMirrorUrl(url, record)
    } catch (err) {
      throw new MirrorError('BAD_OPTION', `fetch mirror ${JSON.stringify(url)} ${(err as Error).message}`, { url })
    }
    byRecord[record].push(url)
  }
  return {
    ...(byRecord.git.length > 0 ? { fetchGit: Buffer.from(formatUrlList(byRecord.git)) } : {}),
    ...(byRecord.http.length > 0 ? { fetchHttp: Buffer.from(formatUrlList(byRecord.http)) } : {})
  }
}

interface Signing { key: SigningKey, project: string, now: number, validForSeconds: number, previous: PushObject[], origin: string | null }

/**
 * A new store entry: bundle and torrent made under tmp/, committed by one
 * rename. Signed: the bundle goes into a folder beside its push object,
 * and the torrent carries both.
 */
async function build (
  o: PublishOptions, repo: Repository, store: Store, state: RefState,
  t: { end: string, fileName: string, folder: string | null, trackers: string[], webSeeds: string[], signing: Signing | null, private: boolean }
): Promise<{ entry: StoredBundle, po: PushObject | null }> {
  const tmp = await store.makeTemp('publish')
  try {
    const dataDir = t.folder === null ? tmp : path.join(tmp, t.folder)
    await mkdir(dataDir, { recursive: true })
    // signed: the pack's index ships too, so a client that trusts the signature need not index the pack
    const bundle = await createBundle(repo, state, dataDir, t.fileName, { index: t.signing !== null, ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress }) })
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
      start: ZERO_OID,
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
      pointer: null
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
async function makeFolderTorrent (
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

/**
 * An unchanged signed entry keeps its push object while that is the newest
 * of the chain and has more than half its validity left; otherwise the
 * same bundle is signed again (next sequence) and its torrent remade.
 */
async function resign (
  o: PublishOptions, store: Store, entry: StoredBundle, s: Signing, t: { trackers: string[], webSeeds: string[], private: boolean }
): Promise<{ po: PushObject, reused: boolean, entry: StoredBundle }> {
  let current: PushObject | null = null
  try {
    current = parsePushObject(await readFile(entry.pushPath!), entry.pushPath!)
  } catch { /* missing or damaged: sign again */ }
  const last = newest(s.previous)
  if (current !== null && current.id === entry.meta.pushObject && current.signer.raw.equals(s.key.publicKey.raw) &&
      current.project === s.project && (last === null || current.id === last.id || current.sequence > last.sequence) &&
      current.expires - s.now > s.validForSeconds / 2 && current.origin === s.origin) {
    return { po: current, reused: true, entry }
  }
  o.onProgress?.({ phase: 'torrent', detail: 'signing the unchanged bundle again' })
  const pieces = await bundlePieces(entry)
  // the same bytes (isUnchanged held): the previous push object's digests stand, no need to read the bundle again
  const bundle = current !== null && current.bundle.size === entry.meta.size && current.bundle.sha256 === entry.meta.sha256
    ? current.bundle
    : {
        sha256: entry.meta.sha256 ?? (await hashFile(entry.bundlePath)).sha256,
        size: entry.meta.size,
        infoHash: infoHashOf({ name: entry.meta.file, pieceLength: pieces.pieceLength, pieces: pieces.table(), files: { length: entry.meta.size } })
      }
  const dataDir = path.dirname(entry.bundlePath)
  const folder = entry.meta.folder!
  const digestOf = async (file: string): Promise<FileDigest | null> => await hashFile(path.join(dataDir, file)).catch(() => null)
  const index = await digestOf(`${folder}.idx`)
  const po = signPushObject(s.key, {
    ...s,
    previous: current === null ? s.previous : [...s.previous, current],
    state: { refs: entry.meta.refs, head: entry.meta.head },
    bundle,
    index,
    reverseIndex: index === null ? null : await digestOf(`${folder}.rev`)
  })
  const { torrent, infoHash } = await makeFolderTorrent(dataDir, folder, po, { bundleSize: entry.meta.size, pieces, ...t })
  return { po, reused: false, entry: await store.update(entry, { ...entry.meta, infoHash, pushObject: po.id }, torrent) }
}

/**
 * The piece hashes of a stored bundle. Its folder torrent begins with the
 * bundle, so every whole piece is in that torrent's table already: only the
 * last, short piece is read again. A torrent laid out otherwise (an older
 * publish) means reading the bundle once.
 */
async function bundlePieces (entry: StoredBundle): Promise<PieceHasher> {
  const size = entry.meta.size
  const pieceLength = choosePieceLength(size)
  const whole = size - (size % pieceLength)
  let pieces = new PieceHasher(pieceLength)
  try {
    const info = (await readTorrent(await readFile(entry.torrentPath), entry.torrentPath)).info as { files?: Array<{ path?: Uint8Array[] }>, 'piece length'?: number, pieces?: Uint8Array }
    const first = info.files?.[0]?.path
    if (first?.length === 1 && Buffer.from(first[0]!).toString() === entry.meta.file && info['piece length'] === pieceLength && info.pieces !== undefined) {
      pieces = new PieceHasher(pieceLength, { table: info.pieces, length: whole })
    }
  } catch { /* hash it all */ }
  for await (const chunk of createReadStream(entry.bundlePath, { start: pieces.length, highWaterMark: 1 << 20 })) pieces.update(chunk as Buffer)
  if (pieces.length !== size) throw new MirrorError('STORE_CORRUPT', `${entry.bundlePath} is not ${size} bytes any more`)
  return pieces
}

/**
 * The stored torrent for this publish's options: a new announce list or web
 * seeds keep the infohash; a switch between public and private sets or
 * clears BEP 27's flag in the info dictionary, which gives the other
 * infohash (always the same one for the same bundle, so an unchanged state
 * keeps one infohash per visibility), with no new bundle and no hashing.
 */
async function retarget (store: Store, entry: StoredBundle, t: { trackers: string[], webSeeds: string[], private: boolean }): Promise<StoredBundle> {
  const current = await readFile(entry.torrentPath)
  const parsed = await readTorrent(current, entry.torrentPath)
  const same = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i])
  const switched = (parsed.private === true) === t.private ? null : setPrivateFlag(current, t.private)
  if (switched === null && same(parsed.announce, t.trackers) && same(parsed.urlList, t.webSeeds)) return entry
  const meta = switched === null ? entry.meta : { ...entry.meta, infoHash: switched.infoHash }
  return await store.update(entry, meta, retargetTorrent(switched?.torrent ?? current, t.trackers, t.webSeeds))
}
