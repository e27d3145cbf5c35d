import { refused } from '../core/check-push-object.js'
import { guessHead } from '../core/ref-list.js'
import { rm } from 'node:fs/promises'
import { isMirrorError, MirrorError } from '../core/errors.js'
import { pointerMagnet, type PointerItem, type PointerName } from '../core/pointer.js'
import type { PushObject } from '../core/push-object.js'
import type { PointerDht } from '../io/dht/pointer-dht.js'
import type { PushObjectStore } from '../io/store/push-objects.js'
import type { Store } from '../io/store/store.js'
import { readMagnet } from '../io/torrent/torrent-file.js'
import type { Swarm } from '../io/torrent/swarm.js'
import type { Discovery } from './discover.js'
import { downloadBundle, type DownloadBundleOptions, type DownloadedBundle } from './download-bundle.js'
import { verifyBundle, type Trust, type VerifiedBundle } from './verify-bundle.js'

/** What a pointer led to: the verified download (in the cache: released by now, or committed by the caller), or, below `minSeq`, nothing new. */
export type PointerFound =
  | { unchanged: true, item: PointerItem }
  | { unchanged: false, item: PointerItem, bundle: DownloadedBundle, verified: VerifiedBundle, discovery: Discovery, trust: Trust, seq: number, po: PushObject, infoHash: string }

/**
 * What a BEP 46 magnet leads to, with no origin: the pointer from the DHT
 * (the highest valid seq), refused when older than the push object this
 * user accepted for that key and project; the torrent it names, from peers
 * (its metadata too), into the cache; the push object it carries, checked
 * against exactly the pointer's key and project (every check of the signed
 * path), whose sequence must be the pointer's. The result is a Discovery
 * as an origin's would be: the signed refs as the listing (HEAD on the
 * branch it points at), the torrent as the only record, and the trust that
 * the clone verifies the bundle with again when it stages it (the download
 * stays in the cache, so that costs a check of its pieces, not a download).
 */
export async function discoverPointer (
  deps: { swarm: Swarm, store: Store, pointers: PointerDht, accepted: PushObjectStore, now: () => number },
  name: PointerName,
  o: Omit<DownloadBundleOptions, 'onStream'> & { dhtTimeoutMs: number, origin: string | null, minSeq?: number }
): Promise<PointerFound> {
  const magnet = pointerMagnet(name)
  o.onProgress?.({ phase: 'dht', detail: `pointer of ${name.project}` })
  const item = await deps.pointers.get(name, { timeoutMs: o.dhtTimeoutMs })
  if (item === null) {
    throw new MirrorError('REMOTE_UNREACHABLE', `no DHT node has a pointer for ${name.project} signed by ${name.key.text} (within ${Math.round(o.dhtTimeoutMs / 1000)} s)`, { magnet })
  }
  if (o.minSeq !== undefined && item.seq < o.minSeq) return { item, unchanged: true }
  const accepted = await deps.accepted.accepted(name.key.id, name.project)
  if (accepted !== null && item.seq < accepted.sequence) {
    throw refused('rollback', `the DHT pointer's sequence ${item.seq} is older than sequence ${accepted.sequence}, accepted before`, { sequence: item.seq, accepted: accepted.sequence })
  }
  const trust: Trust = { keys: [name.key], project: name.project, accepted: deps.accepted, now: deps.now }
  const what = `the torrent of ${magnet} (seq ${item.seq})`
  const source = { kind: 'magnet' as const, magnet: await readMagnet(`magnet:?xt=urn:btih:${item.infoHash}`, what), infoHash: item.infoHash, what }
  const bundle = await downloadBundle(deps, source, o)
  try {
    const verified = await verifyBundle(trust, bundle, { recordPush: null, url: magnet, ...(o.signal === undefined ? {} : { signal: o.signal }) })
    if (verified.po.sequence !== item.seq) {
      throw refused('pointer', `the DHT pointer says sequence ${item.seq}, the push object its torrent carries is sequence ${verified.po.sequence}`, { sequence: verified.po.sequence, pointer: item.seq })
    }
    const branches = verified.po.refs.filter(r => r.name !== 'HEAD')
    const head = verified.po.refs.find(r => r.name === 'HEAD')
    return {
      unchanged: false,
      item,
      bundle,
      verified,
      discovery: {
        // --origin-url, else the origin the push object names (signed by the key trusted here), else none
        url: o.origin ?? verified.po.origin ?? '',
        listing: { refs: branches, head: head === undefined ? null : guessHead(branches, head.oid) },
        records: { magnet: Buffer.from(`magnet:?xt=urn:btih:${item.infoHash}\n`) },
        recordsError: null,
        packBytes: 0
      },
      trust,
      seq: item.seq,
      po: verified.po,
      infoHash: item.infoHash
    }
  } catch (err) {
    // refused: not one byte of it is kept (a download that stopped stays, to resume)
    if (bundle.dir !== null && isMirrorError(err) && ['VERIFY_FAILED', 'BAD_PUSH_OBJECT', 'BAD_BUNDLE'].includes(err.code)) await rm(bundle.dir, { recursive: true, force: true })
    throw err
  } finally {
    await bundle.release()   // stays in the cache: the clone takes it from there
  }
}
