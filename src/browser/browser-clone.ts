import { refused } from '../core/check-push-object.js'
import { MirrorError } from '../core/errors.js'
import { projectName } from '../core/project-name.js'
import { isPointerMagnet, parsePointerMagnet, pointerMagnet } from '../core/pointer.js'
import { parsePublicKey } from '../core/public-key.js'
import type { PushObject } from '../core/push-object.js'
import { RECORD_REFS } from '../core/refs.js'
import type { Ref } from '../core/ref-list.js'
import { accept, checkBundle, checkSigned, type PageTrust } from './check-signed.js'
import { downloadInBrowser } from './download-in-browser.js'
import { indexBundle, readHeader, viewRepository, type RepositoryView } from './index-pack.js'
import { readPointer } from './read-pointer.js'
import { readRecords, readTorrentRecord, torrentFor, type PageTorrent } from './read-records.js'

export interface BrowserCloneArgs {
  /** The daemon that served the page (its origin): records, tracker and web seed. */
  server: string
  /** A remote the daemon watches: its name or URL. */
  remote: string
  /** Public keys ("ssh-ed25519 AAAA...") trusted to sign for it; none: the records decide, as for an unsigned mirror-clone. */
  trustedKeys: string[]
  /** Download from WebRTC peers (through the daemon's tracker and the torrent's WebSocket trackers). */
  peers: boolean
  /** Download from web seeds (the daemon's /bundles/ and the torrent's own). */
  webSeeds: boolean
  maxSize: number
  stallMs: number
  signal: AbortSignal
  onProgress: (p: { phase: 'records' | 'download' | 'verify' | 'index', loaded?: number, total?: number }) => void
}

export interface BrowserCloneResult {
  name: string
  url: string
  infoHash: string
  size: number
  /** The bundle's refs, HEAD included: what the clone holds. */
  refs: Ref[]
  head: string | null
  /** The push object that verified, when keys were trusted. */
  signed: { key: string, sequence: number, id: string } | null
  /** Later bundles of the publish's bundle list that the page does not apply (it clones the base). */
  laterBundles: number
  fromPeers: number
  fromWebSeeds: number
  peers: number
  objects: number
  view: RepositoryView
  /** Milliseconds. */
  times: { records: number, download: number, verify: number, index: number, total: number }
  /** Chromium's JS heap in use at the end (performance.memory), bytes; null elsewhere. */
  heapBytes: number | null
}

/** What the records (or a pointer) say to download, and what to check it against. */
interface Plan {
  name: string
  url: string
  torrent: PageTorrent
  trust: PageTrust | null
  /** The origin's refs/mirrors/push, as checked (null: none, or no key trusted). */
  recordPush: Uint8Array | null
  /** refs/mirrors/push when it names a later bundle of a signed chain than the base downloaded here. */
  tip: PushObject | null
  /** The pointer's seq: the push object in the torrent must be that sequence. */
  pointerSeq: number | null
  laterBundles: number
}

/**
 * The browser clone, step by step as mirror-clone does it, with the same
 * checks and the same refusals: read the records (through the daemon),
 * check the origin's push object when keys are trusted, check the torrent
 * against the bundle-torrent policy, download it (WebRTC peers, web
 * seeds), check the bundle against its push object, index its pack into
 * the page's file system, and read back what the page shows. A BEP 46
 * magnet is found as mirror-clone finds it: the pointer (through the
 * daemon's DHT node, its signature checked here), its key the one trusted.
 * There is no origin fetch after it: a browser cannot speak git's protocol
 * to an arbitrary origin, so the clone is the state the bundle holds.
 */
export async function browserClone (a: BrowserCloneArgs): Promise<BrowserCloneResult> {
  const t0 = performance.now()
  const lap = (() => { let t = t0; return () => { const now = performance.now(); const d = now - t; t = now; return Math.round(d) } })()
  a.onProgress({ phase: 'records' })
  const plan = isPointerMagnet(a.remote) ? await fromPointer(a) : await fromRecords(a)
  const { torrent, trust, url } = plan
  const times = { records: lap(), download: 0, verify: 0, index: 0, total: 0 }

  const announce = a.peers ? [`${a.server.replace(/^http/, 'ws')}/announce`, ...torrent.announce.filter(u => /^wss?:/.test(u))] : []
  // BEP 19: a single file's web seed is its URL; a folder's is the URL its files' paths follow
  const ownSeed = torrent.shape.push === null ? `${a.server}/bundles/${encodeURIComponent(torrent.shape.name)}` : `${a.server}/bundles`
  const urlList = a.webSeeds ? [ownSeed, ...torrent.urlList.filter(u => /^https?:/.test(u))] : []
  if (announce.length === 0 && urlList.length === 0) throw new MirrorError('USAGE', 'neither peers nor web seeds: nothing to download from')
  const got = await downloadInBrowser({
    torrent: torrentFor(torrent, { announce, urlList }),
    infoHash: torrent.infoHash,
    read: [torrent.shape.bundlePath, ...(torrent.shape.push === null ? [] : [torrent.shape.push.path])],
    peers: a.peers,
    stallMs: a.stallMs,
    signal: a.signal,
    onProgress: (loaded, total) => a.onProgress({ phase: 'download', loaded, total })
  })
  times.download = lap()

  a.onProgress({ phase: 'verify' })
  const bundle = got.files.get(torrent.shape.bundlePath)
  if (bundle === undefined) throw new MirrorError('BAD_BUNDLE', `torrent ${torrent.infoHash} came without its bundle`)
  const header = readHeader(bundle)
  let po: PushObject | null = null
  if (trust !== null) {
    const push = got.files.get(torrent.shape.push!.path)
    if (push === undefined) throw unsignedTorrent(trust, url)
    if (plan.tip === null && plan.recordPush !== null && !Buffer.from(plan.recordPush).equals(Buffer.from(push))) {
      throw refused('mismatch', `the push object in the torrent differs from ${RECORD_REFS.push} on ${url}`)
    }
    po = (await checkSigned(trust, push, `the push object in torrent ${torrent.infoHash}`, plan.tip)).po
    if (plan.pointerSeq !== null && po.sequence !== plan.pointerSeq) {
      throw refused('pointer', `the DHT pointer says sequence ${plan.pointerSeq}, the push object its torrent carries is sequence ${po.sequence}`, { sequence: po.sequence, pointer: plan.pointerSeq })
    }
    await checkBundle(po, bundle, header.refs)
  }
  times.verify = lap()

  a.onProgress({ phase: 'index' })
  const repo = await indexBundle(bundle, header)
  if (po !== null) accept(po)
  const view = await viewRepository(repo)
  times.index = lap()
  times.total = Math.round(performance.now() - t0)
  return {
    name: plan.name,
    url,
    infoHash: torrent.infoHash,
    size: bundle.length,
    refs: header.refs,
    head: repo.head,
    signed: po === null ? null : { key: po.signer.text, sequence: po.sequence, id: po.id },
    laterBundles: plan.laterBundles,
    fromPeers: got.fromPeers,
    fromWebSeeds: got.fromWebSeeds,
    peers: got.peers,
    objects: repo.objects,
    view,
    times,
    heapBytes: (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? null
  }
}

function unsignedTorrent (t: PageTrust, url: string): MirrorError {
  return refused('missing', `the torrent carries no push object (an unsigned publish), and ${t.keys.length === 1 ? 'a key is' : 'keys are'} trusted for ${url}`)
}

/** A watched remote: its records through the daemon, checked before anything is downloaded. */
async function fromRecords (a: BrowserCloneArgs): Promise<Plan> {
  const { name, url, records, list } = await readRecords(a.server, a.remote, a.signal)
  const trust: PageTrust | null = a.trustedKeys.length === 0
    ? null
    : { keys: a.trustedKeys.map((k, i) => parsePublicKey(k, `trusted key ${i + 1}`)), project: projectName(url), now: Math.floor(Date.now() / 1000) }
  // the origin's refs/mirrors/push is checked before anything is downloaded
  const signed = trust !== null && records.push !== undefined ? (await checkSigned(trust, records.push, `${RECORD_REFS.push} on ${url}`)).po : null
  if (records.torrent === undefined) {
    throw new MirrorError('NO_RECORDS', `${url} publishes no ${RECORD_REFS.torrent} (the page needs the torrent itself: a magnet's metadata would come from peers alone)`, { url })
  }
  const torrent = readTorrentRecord(records.torrent, { maxSize: a.maxSize, what: `${RECORD_REFS.torrent} on ${url}` })
  // a signed chain: refs/mirrors/push is its newest push object, an increment's (the list names its bundle after the base); the base's comes in its torrent
  const tip = signed !== null && (list ?? []).slice(1).some(e => e.sha256 === signed.bundle.sha256 && e.size === signed.bundle.size) ? signed : null
  if (trust !== null && torrent.shape.push === null) throw unsignedTorrent(trust, url)
  if (trust !== null && signed !== null && tip === null && torrent.shape.length !== signed.bundle.size) {
    throw refused('bundle-size', `the torrent's bundle is ${torrent.shape.length} bytes, the signed size is ${signed.bundle.size}`, { size: torrent.shape.length })
  }
  return { name, url, torrent, trust, recordPush: trust === null ? null : records.push ?? null, tip, pointerSeq: null, laterBundles: Math.max(0, (list?.length ?? 0) - 1) }
}

/** A BEP 46 magnet: the pointer (its key is the one trusted), the torrent it names from the daemon's store. */
async function fromPointer (a: BrowserCloneArgs): Promise<Plan> {
  const name = parsePointerMagnet(a.remote, 'the magnet')
  const magnet = pointerMagnet(name)
  const pointer = await readPointer(a.server, name, a.signal)
  if (pointer.torrent === null) {
    throw new MirrorError('NO_RECORDS', `this daemon does not seed the torrent the pointer for ${name.project} names (${pointer.infoHash}): the page takes its metadata from the daemon`)
  }
  const what = `the torrent of ${magnet} (seq ${pointer.seq})`
  const torrent = readTorrentRecord(pointer.torrent, { maxSize: a.maxSize, what })
  if (torrent.infoHash !== pointer.infoHash) throw new MirrorError('BAD_RECORD', `${what} is ${torrent.infoHash}, not the infohash the pointer names`)
  const trust: PageTrust = { keys: [name.key], project: name.project, now: Math.floor(Date.now() / 1000) }
  if (torrent.shape.push === null) throw unsignedTorrent(trust, magnet)
  return { name: name.project, url: magnet, torrent, trust, recordPush: null, tip: null, pointerSeq: pointer.seq, laterBundles: 0 }
}
