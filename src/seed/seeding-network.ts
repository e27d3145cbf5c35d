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
export async function seedingNetwork (net: NetworkOptions, onWarning: (err: Error) => void = () => {}, o: { webrtc?: boolean } = {}): Promise<{ swarm: Swarm, keeper: PointerKeeper | null, pointers: PointerDht | null, bootstrapped: Promise<void>, close: () => Promise<void> }> {
  if (!net.dht) {
    const swarm = new Swarm({ net, webrtc: o.webrtc === true })
    return { swarm, keeper: null, pointers: null, bootstrapped: Promise.resolve(), close: async () => await swarm.close() }
  }
  let dht: Awaited<ReturnType<typeof openDht>>
  try {
    dht = await openDht(net, { waitForBootstrap: false })   // seeding starts at once; pointers are put once the node has joined
  } catch (err) {
    onWarning(new Error(`no DHT (${(err as Error).message}): seeding through the trackers only, and no pointer is kept alive`))
    const swarm = new Swarm({ net: { ...net, dht: false }, webrtc: o.webrtc === true })
    return { swarm, keeper: null, pointers: null, bootstrapped: Promise.resolve(), close: async () => await swarm.close() }
  }
  const swarm = new Swarm({ net, dht: dht.node as never, webrtc: o.webrtc === true })
  const keeper = new PointerKeeper(dht.pointers, { ready: dht.bootstrapped })
  keeper.on('warning', onWarning)
  dht.bootstrapped.catch((err: Error) => onWarning(new Error(`${err.message}: seeding through the trackers, and pointers are put once it answers`)))
  return {
    swarm,
    keeper,
    pointers: dht.pointers,
    bootstrapped: dht.bootstrapped,
    close: async () => {
      keeper.close()
      await swarm.close()
      await dht.close()
    }
  }
}
