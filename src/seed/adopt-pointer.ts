import { readFile } from 'node:fs/promises'
import { isMirrorError } from '../core/errors.js'
import { parsePushObject } from '../core/push-object.js'
import type { PointerDht } from '../io/dht/pointer-dht.js'
import type { Store, StoredBundle } from '../io/store/store.js'

/** How long a reseeder asks the DHT for a pointer it may keep alive. */
const GET_TIMEOUT_MS = 20_000

/**
 * A reseeded signed bundle's DHT pointer, taken over: the push object its
 * torrent carries names the key and the project; when the DHT holds a
 * pointer of theirs, validly signed (PointerDht checks the signature and
 * the item), that names exactly this torrent, it is kept in the entry's
 * meta.json, for the seeder to re-put before it expires (BEP 44 items live
 * about two hours; a publisher's own seeder may be gone). Only the item's
 * own signature is relied on: the push object is read for its names. The
 * entry unchanged when there is none, or nothing to take over.
 */
export async function adoptPointer (deps: { store: Store, pointers: PointerDht }, entry: StoredBundle): Promise<StoredBundle> {
  if (entry.pushPath === null || entry.meta.pointer !== null) return entry
  let po
  try {
    po = parsePushObject(await readFile(entry.pushPath), entry.pushPath)
  } catch {
    return entry
  }
  let item
  try {
    item = await deps.pointers.get({ key: po.signer, project: po.project }, { timeoutMs: GET_TIMEOUT_MS })
  } catch (err) {
    if (isMirrorError(err)) return entry   // nothing, or nothing valid: no pointer to keep
    throw err
  }
  if (item === null || item.infoHash !== entry.meta.infoHash) return entry
  return await deps.store.update(entry, { ...entry.meta, pointer: { key: po.signer.text, project: po.project, seq: item.seq, infoHash: item.infoHash, sig: item.sig } })
}
