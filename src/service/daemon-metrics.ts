import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { Message } from '../core/daemon-protocol.js'
import type { TorrentStatus } from '../seed/seeder.js'
import type { RemoteStatus } from './daemon.js'

/** What the gauges read at scrape time. */
export interface MetricsSources {
  /** Daemon.status() */
  daemon: () => { paused: boolean, remotes: RemoteStatus[] }
  /** Seeder.status() */
  seeding: () => TorrentStatus[]
}

/**
 * mirror-daemon's /metrics (docs/daemon-http.md lists them): counters the
 * daemon's events move (looks, changes, errors, tracker announces), gauges
 * read from the daemon and the seeder when scraped, and prom-client's
 * default process metrics (CPU, RSS, open file descriptors, event loop
 * lag, GC), all in a registry of its own: nothing global, so two in one
 * process (tests) do not collide.
 */
export class DaemonMetrics {
  readonly registry = new Registry()
  private readonly checks: Counter<'remote'>
  private readonly changes: Counter<'remote'>
  private readonly errors: Counter<'remote'>
  private readonly announces: Counter<'result'>
  /** Per seeded torrent, its `uploaded` at the last scrape: the counter grows by the differences, so it never goes down when a torrent leaves. */
  private uploadedSeen = new Map<string, number>()

  constructor (private readonly sources: MetricsSources, o: { processMetrics?: boolean } = {}) {
    const registers = [this.registry]
    this.checks = new Counter({ name: 'mirror_daemon_checks_total', help: 'Looks at a remote\'s records that ended (answered or failed).', labelNames: ['remote'], registers })
    this.changes = new Counter({ name: 'mirror_daemon_changes_total', help: 'Looks that found a remote\'s records changed (CHANGED lines).', labelNames: ['remote'], registers })
    this.errors = new Counter({ name: 'mirror_daemon_errors_total', help: 'ERROR lines, by remote ("-": the daemon itself, e.g. a malformed command).', labelNames: ['remote'], registers })
    this.announces = new Counter({ name: 'mirror_daemon_tracker_announces_total', help: 'Announces to the embedded tracker, accepted (an infohash this daemon seeds) or refused.', labelNames: ['result'], registers })
    const self = this
    new Gauge({ name: 'mirror_daemon_remotes', help: 'Remotes watched.', registers, collect () { this.set(sources.daemon().remotes.length) } })
    new Gauge({ name: 'mirror_daemon_paused', help: '1 while PAUSEd (no looks or downloads), else 0.', registers, collect () { this.set(sources.daemon().paused ? 1 : 0) } })
    new Gauge({
      name: 'mirror_daemon_last_check_timestamp_seconds',
      help: 'When the last look at each remote ended (Unix time).',
      labelNames: ['remote'],
      registers,
      collect () {
        this.reset()
        for (const r of sources.daemon().remotes) if (r.lastCheck !== null) this.set({ remote: r.name }, Date.parse(r.lastCheck) / 1000)
      }
    })
    new Gauge({ name: 'mirror_daemon_bundles', help: 'Bundles (torrents) seeded.', registers, collect () { this.set(sources.seeding().length) } })
    new Gauge({ name: 'mirror_daemon_peers', help: 'Peers connected, summed over the bundles seeded.', registers, collect () { this.set(sum(sources.seeding(), s => s.peers)) } })
    new Gauge({ name: 'mirror_daemon_upload_bytes_per_second', help: 'Upload rate now, summed over the bundles seeded.', registers, collect () { this.set(sum(sources.seeding(), s => s.uploadRate)) } })
    new Counter({ name: 'mirror_daemon_uploaded_bytes_total', help: 'Bytes sent to peers by the seeded torrents since the daemon started.', registers, collect () { this.inc(self.uploadedSince()) } })
    // the event loop's delay is sampled every 100 ms, not prom-client's 10 ms: an idle daemon wakes up 10 times a second
    // for it, not 100. Measured here (30 s of an idle daemon, no remote): 0.77% of one core at 10 ms, 0.27% at 100 ms,
    // 0.17% without --http; the target is 1%.
    if (o.processMetrics !== false) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 })
  }

  /** A look at `remote` ended (DaemonOptions.onLook). */
  look (remote: string): void {
    this.checks.inc({ remote })
  }

  /** A protocol message the daemon said: CHANGED and ERROR are counted. An ERROR naming no watched remote (PUSH of an unknown name) counts as the daemon's own ("-"): label values stay the configured names. */
  said (m: Message): void {
    if (m.kind === 'CHANGED') this.changes.inc({ remote: m.remote })
    else if (m.kind === 'ERROR') this.errors.inc({ remote: m.remote !== '-' && this.sources.daemon().remotes.some(r => r.name === m.remote) ? m.remote : '-' })
  }

  /** The embedded tracker answered an announce. */
  announced (accepted: boolean): void {
    this.announces.inc({ result: accepted ? 'accepted' : 'refused' })
  }

  /** The text exposition and its content type. */
  async exposition (): Promise<{ contentType: string, text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() }
  }

  private uploadedSince (): number {
    const now = new Map(this.sources.seeding().map(s => [s.infoHash, s.uploaded]))
    let delta = 0
    for (const [ih, uploaded] of now) {
      const before = this.uploadedSeen.get(ih) ?? 0
      delta += uploaded >= before ? uploaded - before : uploaded   // seeded afresh: its figures started again at 0
    }
    this.uploadedSeen = now
    return delta
  }
}

function sum (all: TorrentStatus[], f: (s: TorrentStatus) => number): number {
  return all.reduce((n, s) => n + f(s), 0)
}
