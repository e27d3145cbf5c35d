import { parsePointerMagnet } from '../core/pointer.js'
import type { PointerDht } from '../io/dht/pointer-dht.js'
import type { PushObjectStore } from '../io/store/push-objects.js'
import type { Store } from '../io/store/store.js'
import type { Swarm } from '../io/torrent/swarm.js'
import { discoverPointer } from '../source/discover-pointer.js'
import { refusedInto, type VerifyReport } from './verify.js'

/**
 * mirror-verify of a BEP 46 magnet: the pointer from the DHT (not older
 * than what this user accepted), the torrent it names from the swarm (into
 * the cache, where a clone of it later finds it), its push object against
 * exactly the magnet's key and project, and the bundle against the push
 * object: what a clone by the magnet checks. Nothing is recorded as
 * accepted. A refused check is the report's verdict; a DHT or swarm that
 * cannot be reached is an error.
 */
export async function verifyPointer (
  deps: { swarm: Swarm, store: Store, pointers: PointerDht, accepted: PushObjectStore, now: () => number },
  magnet: string, o: { timeoutMs: number, maxSize: number, signal?: AbortSignal }
): Promise<VerifyReport & { pointer: { seq: number, infoHash: string } | null }> {
  const name = parsePointerMagnet(magnet, 'the magnet')
  const report: VerifyReport & { pointer: { seq: number, infoHash: string } | null } = {
    valid: false, check: null, reason: null, source: magnet, pushObject: null, projectChecked: true, bundleChecked: false, pointer: null
  }
  try {
    const found = await discoverPointer(deps, name, { maxSize: o.maxSize, stallTimeoutMs: o.timeoutMs, dhtTimeoutMs: o.timeoutMs, origin: null, ...(o.signal === undefined ? {} : { signal: o.signal }) })
    if (found.unchanged) throw new Error('a pointer without minSeq found unchanged')
    report.pushObject = found.po
    report.pointer = { seq: found.seq, infoHash: found.infoHash }
    report.bundleChecked = true
    report.valid = true
  } catch (err) {
    refusedInto(report, err)
  }
  return report
}
