import type { Torrent, Wire } from 'webtorrent'

/** Bytes by source and peers served, counted per wire as data moves. */
export interface TransferStats {
  fromPeers: number
  fromWebSeeds: number
  uploaded: number
  /** Distinct peers (by address) we uploaded at least one byte to. */
  peersServed: Set<string>
}

export function newTransferStats (): TransferStats {
  return { fromPeers: 0, fromWebSeeds: 0, uploaded: 0, peersServed: new Set() }
}

/** Starts counting on every wire the torrent gets from now on, into `stats` (a new tally by default). */
export function trackTransfers (torrent: Torrent, stats: TransferStats = newTransferStats()): TransferStats {
  torrent.on('wire', (wire: Wire, addr?: string) => {
    const webSeed = wire.type === 'webSeed'
    const who = addr ?? `${wire.remoteAddress ?? '?'}:${wire.remotePort ?? '?'}`
    wire.on('download', (n: number) => {
      if (webSeed) stats.fromWebSeeds += n
      else stats.fromPeers += n
    })
    wire.on('upload', (n: number) => {
      stats.uploaded += n
      stats.peersServed.add(who)
    })
  })
  return stats
}
