import type { NetworkOptions } from '../../core/network-options.js'
import { MirrorError } from '../../core/errors.js'
import { dhtNodeOptions, PointerDht, type DhtClient } from './pointer-dht.js'

/** How long a node may take to listen and bootstrap before a command goes on without it. */
const BOOTSTRAP_MS = 15_000

/**
 * A DHT node of its own, for a command that needs pointers (a publish, a
 * clone or verify by a BEP 46 magnet, a seeder sharing it with its swarm):
 * bootstrapped from the network
 * options' list (the public routers when none is given, as DESIGN.md's
 * defaults say), with the pointer verify. `close()` is idempotent and
 * bounded. DOWNLOAD_STALLED when it cannot bootstrap in time; USAGE-free:
 * a caller with --no-dht must not call it.
 */
export async function openDht (
  net: Pick<NetworkOptions, 'dht' | 'dhtBootstrap'>, o: { waitForBootstrap?: boolean } = {}
): Promise<{ node: DhtClient & NodeEvents, pointers: PointerDht, bootstrapped: Promise<void>, close: () => Promise<void> }> {
  if (!net.dht) throw new Error('openDht with the DHT off')
  const specifier: string = 'bittorrent-dht'   // untyped: its `any` stays on this line
  const { Client } = await import(specifier) as { Client: new (o: Record<string, unknown>) => DhtClient & NodeEvents }
  const node = new Client(dhtNodeOptions(net.dhtBootstrap))
  node.on('warning', () => {})
  node.on('error', () => {})
  let closing: Promise<void> | null = null
  const close = async (): Promise<void> => {
    closing ??= new Promise<void>(resolve => {
      const t = setTimeout(resolve, 5000)
      node.destroy(() => { clearTimeout(t); resolve() })
    })
    await closing
  }
  const bootstrapped = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new MirrorError('DOWNLOAD_STALLED', `the DHT did not bootstrap within ${BOOTSTRAP_MS / 1000} s`)), BOOTSTRAP_MS)
    node.once('ready', () => { clearTimeout(t); resolve() })
    node.listen(0)
  })
  bootstrapped.catch(() => {})
  // a seeder goes on while the node joins (peers come from trackers meanwhile); a put or get needs it joined
  if (o.waitForBootstrap !== false) {
    try {
      await bootstrapped
    } catch (err) {
      await close()
      throw err
    }
  }
  return { node, pointers: new PointerDht(node), bootstrapped, close }
}

export interface NodeEvents {
  on: (event: string, fn: (...args: unknown[]) => void) => void
  once: (event: string, fn: (...args: unknown[]) => void) => void
  listen: (port: number) => void
}
