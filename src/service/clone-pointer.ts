import { readFile } from 'node:fs/promises'
import { MirrorError } from '../core/errors.js'
import type { PagePointer } from '../core/page-records.js'
import { parsePointerMagnet } from '../core/pointer.js'
import type { PointerDht } from '../io/dht/pointer-dht.js'
import type { Store } from '../io/store/store.js'

/**
 * What the browser clone page gets for a BEP 46 magnet (a browser cannot
 * reach the DHT): the pointer this daemon's DHT node finds, as found (the
 * page checks its signature with the magnet's key), and the torrent it
 * names when the store holds it (null otherwise: the page then says
 * this daemon does not seed it). BAD_RECORD for a magnet that does not
 * parse, REMOTE_UNREACHABLE when no DHT node has the pointer, USAGE when
 * the daemon runs without the DHT.
 */
export async function pointerForPage (deps: { pointers: PointerDht | null, store: Store, timeoutMs: number }, magnet: string): Promise<PagePointer> {
  const name = parsePointerMagnet(magnet, 'the magnet')
  if (deps.pointers === null) throw new MirrorError('USAGE', 'this daemon runs without the DHT (--no-dht), where BEP 46 pointers are found')
  const item = await deps.pointers.get(name, { timeoutMs: deps.timeoutMs })
  if (item === null) {
    throw new MirrorError('REMOTE_UNREACHABLE', `no DHT node has a pointer for ${name.project} signed by ${name.key.text} (within ${Math.round(deps.timeoutMs / 1000)} s)`)
  }
  const entry = (await deps.store.list()).find(e => e.meta.infoHash === item.infoHash)
  return { ...item, torrent: entry === undefined ? null : await readFile(entry.torrentPath) }
}
