import { formatBytes, formatRate } from '../core/format.js'
import type { Seeder, TorrentStatus } from '../seed/seeder.js'
import type { Reporter } from './reporter.js'

/**
 * Seeds until `signal` aborts (a signal or the end of --duration), with a
 * status line per torrent every interval, then prints the summary.
 */
export async function seedUntilStopped (
  seeder: Seeder, reporter: Reporter, o: { signal: AbortSignal, statusIntervalMs: number, started?: number }
): Promise<void> {
  const started = o.started ?? Date.now()
  const warned = new Set<string>()   // webtorrent repeats a tracker failure every announce: say it once
  seeder.on('warning', (err: Error) => {
    if (warned.has(err.message)) return
    warned.add(err.message)
    reporter.event({ event: 'warning', message: err.message }, `warning: ${err.message}`)
  })
  reporter.info(`seeding ${seeder.status().length} bundle(s); stop with Ctrl-C`)
  const status = setInterval(() => printStatus(reporter, seeder.status()), o.statusIntervalMs)
  if (!o.signal.aborted) await new Promise(resolve => o.signal.addEventListener('abort', resolve, { once: true }))
  clearInterval(status)

  const torrents = seeder.status()
  const uploaded = torrents.reduce((n, t) => n + t.uploaded, 0)
  const peersServed = torrents.reduce((n, t) => n + t.peersServed, 0)
  const seconds = Math.round((Date.now() - started) / 100) / 10
  const stopped = String(o.signal.reason)
  reporter.result(
    { event: 'summary', stopped, seconds, uploaded, peersServed, torrents },
    [`seeded ${torrents.length} bundle(s) for ${seconds} s: uploaded ${formatBytes(uploaded)} to ${peersServed} peer(s) (stopped by ${stopped})`,
      ...torrents.map(t => `  ${t.name}  ${t.infoHash}  uploaded ${formatBytes(t.uploaded)} to ${t.peersServed} peer(s)`)])
}

export function printStatus (reporter: Reporter, torrents: TorrentStatus[]): void {
  for (const t of torrents) {
    reporter.event({ event: 'status', ...t },
      `${t.name}  ${t.infoHash.slice(0, 12)}  peers ${t.peers}  up ${formatRate(t.uploadRate)}  uploaded ${formatBytes(t.uploaded)}  served ${t.peersServed}`)
  }
}
