import type { StoredPointer } from '../core/bundle-meta.js'
import type { NetworkOptions } from '../core/network-options.js'
import { pointerMagnet, pointerSignedBytes, type PointerName } from '../core/pointer.js'
import { openDht } from '../io/dht/open-dht.js'
import type { SigningKey } from '../io/keys/signing-key.js'
import type { Store, StoredBundle } from '../io/store/store.js'

/** What a publish's `--json` says of the pointer. */
export interface PointerReport {
  /** The BEP 46 magnet naming the project by the publisher's key alone. */
  magnet: string
  seq: number
  infoHash: string
  /** How many DHT nodes took it (0: they held it already); null when the put failed. */
  nodes: number | null
  /** Why the put failed (the DHT unreachable): a warning, never the publish's failure. */
  error: string | null
}

/**
 * A signed publish's DHT pointer (DESIGN.md, BEP 44/46): k = the key,
 * salt = the project, seq = the push object's sequence, v = { ih } of the
 * published torrent. Signed here and kept in the store entry's meta first,
 * so that a seeder re-puts it (mirror-seed) even when this put fails; then
 * put on a DHT node of its own, bounded. The records on the origin are the
 * publish: a DHT that cannot be reached is a warning in the report.
 */
export async function putPointer (
  store: Store, entry: StoredBundle,
  o: { key: SigningKey, project: string, seq: number, net: Pick<NetworkOptions, 'dht' | 'dhtBootstrap'>, onProgress?: (p: { phase: string }) => void }
): Promise<{ entry: StoredBundle, report: PointerReport }> {
  const name: PointerName = { key: o.key.publicKey, project: o.project }
  const infoHash = entry.meta.infoHash
  const sig = o.key.sign(pointerSignedBytes(o.project, o.seq, infoHash)).toString('hex')
  const stored: StoredPointer = { key: o.key.publicKey.text, project: o.project, seq: o.seq, infoHash, sig }
  const kept = await store.update(entry, { ...entry.meta, pointer: stored })
  const report: PointerReport = { magnet: pointerMagnet(name), seq: o.seq, infoHash, nodes: null, error: null }
  o.onProgress?.({ phase: 'dht' })
  try {
    const dht = await openDht(o.net)
    try {
      report.nodes = await dht.pointers.put(name, { infoHash, seq: o.seq, sig })
    } finally {
      await dht.close()
    }
  } catch (err) {
    report.error = (err as Error).message
  }
  return { entry: kept, report }
}
