import type { NetworkOptions } from '../core/network-options.js'
import { openDht } from '../io/dht/open-dht.js'
import type { PointerDht } from '../io/dht/pointer-dht.js'
import { Swarm } from '../io/torrent/swarm.js'
import { PointerKeeper } from './pointer-keeper.js'

/**
 * What a seeder runs on: the swarm and, with the DHT on, one DHT node that
 * the swarm finds peers through and the keeper re-puts pointers through
 * (one node, one port). A DHT that cannot be joined is a warning: the
 * swarm seeds through its trackers. `close()` closes the swarm, then the node.
 */
export async function seedingNetwork (net: NetworkOptions, onWarning: (err: Error) => void = () => {}): Promise<{ swarm: Swarm, keeper: PointerKeeper | null, pointers: PointerDht | null, close: () => Promise<void> }> {
  if (!net.dht) {
    const swarm = new Swarm({ net })
    return { swarm, keeper: null, pointers: null, close: async () => await swarm.close() }
  }
  let dht: Awaited<ReturnType<typeof openDht>>
  try {
    dht = await openDht(net)
  } catch (err) {
    onWarning(new Error(`no DHT (${(err as Error).message}): seeding through the trackers only, and no pointer is kept alive`))
    const swarm = new Swarm({ net: { ...net, dht: false } })
    return { swarm, keeper: null, pointers: null, close: async () => await swarm.close() }
  }
  const swarm = new Swarm({ net, dht: dht.node as never })
  const keeper = new PointerKeeper(dht.pointers)
  keeper.on('warning', onWarning)
  return {
    swarm,
    keeper,
    pointers: dht.pointers,
    close: async () => {
      keeper.close()
      await swarm.close()
      await dht.close()
    }
  }
}
