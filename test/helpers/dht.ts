// A private BitTorrent DHT (BEP 5) on loopback, made of bittorrent-dht nodes.
//
// The first node starts with `bootstrap: false`; the others bootstrap from it
// ('127.0.0.1:PORT'). Every node binds its UDP socket to 127.0.0.1, and every
// node is given its bootstrap list explicitly: bittorrent-dht (k-rpc) falls
// back to the public routers (router.bittorrent.com...) when `bootstrap` is
// undefined or true, so never leave it out ([] and false mean nobody). `dhtNode()` makes one
// more such node for a test (e.g. to announce from).
//
// webtorrent 2.8.5 against this DHT, measured here (helpers.test.ts checks the
// seeder and leecher cases below on every run):
// - WORKS: `new WebTorrent({ dht: { bootstrap: [dht.bootstrap] }, tracker: false,
//   lsd: false, natUpnp: false, natPmp: false, utp: false })` and
//   `client.seed(buf, { name, announceList: [], path })`. torrent-discovery makes
//   its first DHT announce as soon as the torrent is ready (then every ~15 min),
//   with the client's TCP torrentPort as the port, and seed()'s callback fires
//   only after that announce finished: ~10 ms here. `waitForPeer(infoHash)` then
//   returns exactly [{ host: '127.0.0.1', port: client.torrentPort }] at once.
// - WORKS: a second client with the same options, given only the .torrent
//   (`add(torrentFile, { path })`, no trackers, no web seeds), finds that seeder
//   through the DHT and downloads 100 KiB in well under a second.
// - Loopback is not filtered anywhere: bittorrent-dht stores announce_peer from
//   127.0.0.1 and returns it in get_peers values. The host stored is the UDP
//   source address the storing node saw (127.0.0.1), the port the announced one.
// - SLOW, not broken: a node that has gone away (destroyed) but is still in the
//   others' routing tables costs 2 s per traversal (k-rpc's query timeout), so a
//   webtorrent seed() or a full lookup can take ~2.5 s. waitForPeer does not wait
//   for the traversal to end once a peer turned up (PEER_GRACE_MS).
// - Not loopback-only: webtorrent binds its DHT UDP socket to 0.0.0.0 (it calls
//   dht.listen(dhtPort) without an address and has no option for one) and its
//   TCP torrent port to '::'. It only sends to the nodes named in `bootstrap`
//   and those they return, all 127.0.0.1 here, so nothing leaves the host.
// - `dht: {}` or `dht: true` (no bootstrap) means the public routers
//   (router.bittorrent.com, ...): the product must pass the private list through,
//   as src/io/torrent/client.ts does from --dht-bootstrap / mirror.dhtBootstrap.
import type { EventEmitter } from 'node:events'
import { setTimeout as delay } from 'node:timers/promises'
import { ed25519Verify } from '../../src/io/dht/pointer-dht.js'
import { withDeadline } from './wait.js'

export interface DhtPeer { host: string; port: number }

/** The part of bittorrent-dht's untyped Client that the tests use. */
export interface DhtNode extends EventEmitter {
  listening: boolean
  destroyed: boolean
  address(): { address: string; port: number; family: string }
  listen(port: number, address: string, cb?: () => void): void
  announce(infoHash: string | Uint8Array, port: number, cb?: (err: Error | null) => void): void
  /** Emits 'peer' (peer, infoHash: Buffer, from) for every value found; cb when the traversal ends. Returns abort. */
  lookup(infoHash: string | Uint8Array, cb?: (err: Error | null, nodesVisited: number) => void): () => void
  destroy(cb?: () => void): void
}
type DhtCtor = new (opts: Record<string, unknown>) => DhtNode

export interface PrivateDht {
  /** '127.0.0.1:PORT' of the first node: give it as the only bootstrap node */
  bootstrap: string
  /** UDP ports of all nodes, the first one first */
  ports: number[]
  /** the nodes themselves, the first one first (to inspect; close() destroys them) */
  nodes: readonly DhtNode[]
  /** Look the infohash up repeatedly from one of the nodes until peers are found; rejects on timeout (default 20 s). */
  waitForPeer(infoHashHex: string, o?: { timeoutMs?: number }): Promise<DhtPeer[]>
  /** Idempotent, bounded. */
  close(): Promise<void>
}

let ctor: DhtCtor | undefined
async function loadDht (): Promise<DhtCtor> {
  // A computed specifier: the package has no types and this keeps its `any` to this line.
  const specifier: string = 'bittorrent-dht'
  ctor ??= (await import(specifier)).default as DhtCtor
  return ctor
}

/**
 * One bittorrent-dht node bound to 127.0.0.1 on a random UDP port, bootstrapped
 * from `bootstrap` only (false: from nobody). Resolves once it listens and has
 * finished bootstrapping. Destroy it yourself (see destroyDhtNode).
 */
export async function dhtNode (bootstrap: string[] | false, timeoutMs = 10000): Promise<DhtNode> {
  const DHT = await loadDht()
  // every node stores and serves BEP 44 items, as the real DHT's do (bittorrent-dht refuses a put without a verify)
  const node = new DHT({ bootstrap, verify: ed25519Verify })
  node.on('warning', () => { /* unreachable nodes, bad tokens: the lookups' results tell */ })
  const failed = new Promise<never>((_resolve, reject) => node.once('error', reject))
  failed.catch(() => {})
  // Bind now, before bootstrap's first query (queued for the next tick) would bind 0.0.0.0.
  node.listen(0, '127.0.0.1')
  try {
    await withDeadline(Promise.race([failed, Promise.all([
      new Promise(resolve => node.once('listening', resolve)),
      new Promise(resolve => node.once('ready', resolve))
    ])]), timeoutMs, 'a DHT node did not listen and bootstrap')
  } catch (err) {
    await destroyDhtNode(node)
    throw err
  }
  node.on('error', () => { /* after start: only EACCES/EADDRINUSE are errors, and it already listens */ })
  return node
}

export async function destroyDhtNode (node: DhtNode, timeoutMs = 5000): Promise<void> {
  if (node.destroyed) return
  await withDeadline(new Promise<void>(resolve => node.destroy(() => resolve())), timeoutMs, 'a DHT node did not close')
}

export async function startDht (opts: { nodes?: number } = {}): Promise<PrivateDht> {
  const count = opts.nodes ?? 3
  if (!Number.isInteger(count) || count < 1) throw new Error(`nodes must be a positive integer, not ${count}`)
  const nodes: DhtNode[] = []
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => (closing ??= Promise.all(nodes.map(destroyDhtNode)).then(() => {}))
  try {
    nodes.push(await dhtNode(false))
    const bootstrap = `127.0.0.1:${nodes[0]!.address().port}`
    nodes.push(...await Promise.all(Array.from({ length: count - 1 }, async () => await dhtNode([bootstrap]))))
    return {
      bootstrap,
      ports: nodes.map(n => n.address().port),
      nodes,
      waitForPeer: async (infoHashHex, o = {}) => await waitForPeer(nodes[nodes.length - 1]!, infoHashHex, o.timeoutMs ?? 20000),
      close
    }
  } catch (err) {
    await close()
    throw err
  }
}

const PEER_GRACE_MS = 200

async function waitForPeer (node: DhtNode, infoHashHex: string, timeoutMs: number): Promise<DhtPeer[]> {
  const want = infoHashHex.toLowerCase()
  if (!/^[0-9a-f]{40}$/.test(want)) throw new Error(`not a hex v1 infohash: ${infoHashHex}`)
  const found = new Map<string, DhtPeer>()
  let firstFound = (): void => {}
  const onPeer = (peer: DhtPeer, infoHash: Uint8Array): void => {
    if (Buffer.from(infoHash).toString('hex') !== want) return
    found.set(`${peer.host}:${peer.port}`, { host: peer.host, port: peer.port })
    firstFound()
  }
  node.on('peer', onPeer)
  const deadline = Date.now() + timeoutMs
  let rounds = 0
  try {
    while (!node.destroyed) {
      rounds++
      // One traversal ends by itself once every node it visits answered or timed out (k-rpc:
      // 2 s per query, e.g. for a node that left but is still in routing tables). Do not wait for
      // that once peers turn up: take what arrives within PEER_GRACE_MS of the first one.
      let abort = (): void => {}
      const timers: NodeJS.Timeout[] = []
      await new Promise<void>(resolve => {
        timers.push(setTimeout(resolve, Math.max(0, deadline - Date.now())))
        firstFound = () => { firstFound = () => {}; timers.push(setTimeout(resolve, PEER_GRACE_MS)) }
        abort = node.lookup(want, () => resolve())
        if (found.size > 0) firstFound()
      })
      for (const t of timers) clearTimeout(t)
      firstFound = () => {}
      abort()
      if (found.size > 0) return [...found.values()]
      const rest = deadline - Date.now()
      if (rest <= 0) break
      await delay(Math.min(250, rest))
    }
    throw new Error(`no DHT peer for ${want} after ${timeoutMs} ms (${rounds} lookups from 127.0.0.1:${node.destroyed ? '?' : node.address().port}${node.destroyed ? ', DHT closed' : ''})`)
  } finally {
    node.off('peer', onPeer)
  }
}

/** One query a node received: its type, the infohash it names (get_peers, announce_peer) or null, and its sender. */
export interface DhtQuery { q: string; infoHash: string | null; from: string }

/**
 * Records every query the nodes receive: what a lookup or an announce of a
 * torrent (get_peers, announce_peer naming its infohash) or a node joining
 * (find_node, ping) looks like from the DHT's side. bittorrent-dht answers
 * through k-rpc, whose 'query' event sees each one.
 */
export function watchQueries (nodes: readonly DhtNode[]): { queries: DhtQuery[], forInfoHash (hex: string): DhtQuery[], stop (): void } {
  const queries: DhtQuery[] = []
  const stops = nodes.map(node => {
    const rpc = (node as unknown as { _rpc: EventEmitter })._rpc
    const on = (query: { q?: Uint8Array, a?: { info_hash?: Uint8Array } }, peer: { address: string, port: number }): void => {
      const ih = query.a?.info_hash
      queries.push({ q: Buffer.from(query.q ?? []).toString(), infoHash: ih === undefined ? null : Buffer.from(ih).toString('hex'), from: `${peer.address}:${peer.port}` })
    }
    rpc.on('query', on)
    return () => rpc.off('query', on)
  })
  return {
    queries,
    forInfoHash: hex => queries.filter(q => q.infoHash === hex.toLowerCase()),
    stop: () => stops.forEach(s => s())
  }
}
