import type { CloneArgs } from '../clone/clone.js'
import { MirrorError } from '../core/errors.js'
import type { NetworkOptions } from '../core/network-options.js'
import { isPointerMagnet, parsePointerMagnet, type PointerName } from '../core/pointer.js'
import { sanitizeName } from '../core/project-name.js'
import { PushObjectStore } from '../io/store/push-objects.js'
import type { Store } from '../io/store/store.js'
import { seedingNetwork } from '../seed/seeding-network.js'
import { discoverPointer } from '../source/discover-pointer.js'
import type { OnProgress } from '../core/progress.js'
import { Swarm } from '../io/torrent/swarm.js'
import { verifyPointer } from '../verify/verify-pointer.js'
import { usage } from './run.js'

/** The pointer a clone's URL names, if it is a BEP 46 magnet (a bad one is wrong usage); null for any other URL. */
export function pointerOf (url: string, net: NetworkOptions): PointerName | null {
  if (!isPointerMagnet(url)) return null
  const name = usage(() => parsePointerMagnet(url, 'the magnet'))
  if (!net.dht) throw new MirrorError('USAGE', 'a BEP 46 magnet (xs=urn:btpk:) is found through the DHT: drop --no-dht (or git config mirror.dht=false)')
  return name
}

/** Where a clone by a pointer goes by default: its project's name, as git clone would name a repository of it. */
export function pointerDir (name: PointerName): string {
  return sanitizeName(name.project)
}

/**
 * The swarm of a clone: for a pointer, on one DHT node that the swarm finds
 * peers through and the pointer is got from (DOWNLOAD_STALLED when the DHT
 * cannot be joined); otherwise a plain one.
 */
export async function cloneNetwork (net: NetworkOptions, name: PointerName | null): Promise<{
  swarm: Swarm
  resolve: (a: ResolveArgs) => Promise<CloneArgs['pointer']>
  verify: (a: Pick<ResolveArgs, 'store' | 'timeoutMs' | 'maxSize' | 'onProgress'>, magnet: string) => ReturnType<typeof verifyPointer>
  close: () => Promise<void>
}> {
  if (name === null) {
    const swarm = new Swarm({ net })   // its DHT, if any, starts with the swarm's first use, as a clone needs it
    return { swarm, resolve: async () => undefined, verify: async () => { throw new Error('not a pointer') }, close: async () => await swarm.close() }
  }
  const network = await seedingNetwork(net)
  const pointers = network.pointers
  // a pointer is found through the DHT alone: it must have joined first
  const joined = await network.bootstrapped.then(() => true, () => false)
  if (pointers === null || !joined) {
    await network.close()
    throw new MirrorError('DOWNLOAD_STALLED', 'the DHT could not be joined, and a BEP 46 magnet is found through it alone')
  }
  const deps = (store: Store): Parameters<typeof discoverPointer>[0] => ({ swarm: network.swarm, store, pointers, accepted: PushObjectStore.forUser(), now: () => Math.floor(Date.now() / 1000) })
  return {
    swarm: network.swarm,
    close: network.close,
    verify: async (a, magnet) => await verifyPointer(deps(a.store), magnet, { timeoutMs: a.timeoutMs, maxSize: a.maxSize }),
    resolve: async a => {
      const found = await discoverPointer(deps(a.store), name, {
        maxSize: a.maxSize,
        stallTimeoutMs: a.timeoutMs,
        dhtTimeoutMs: a.timeoutMs,
        origin: a.originUrl,
        ...(a.minBytesPerSecond === undefined ? {} : { minBytesPerSecond: a.minBytesPerSecond }),
        signal: a.signal,
        onProgress: a.onProgress,
        onNotice: a.onNotice
      })
      if (found.unchanged) throw new Error('a pointer without minSeq found unchanged')
      return { discovery: found.discovery, trust: found.trust }
    }
  }
}

interface ResolveArgs {
  store: Store
  maxSize: number
  timeoutMs: number
  minBytesPerSecond?: number
  originUrl: string | null
  signal: AbortSignal
  onProgress: OnProgress
  onNotice: (line: string) => void
}
