import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { TorrentStatus } from '../../src/seed/seeder.js'
import type { RemoteStatus } from '../../src/service/daemon.js'
import { DaemonMetrics } from '../../src/service/daemon-metrics.js'
import { parseExposition, valueOf, valuesOf } from '../helpers/prometheus-text.js'

function world (): { remotes: RemoteStatus[], seeding: TorrentStatus[], paused: boolean, metrics: DaemonMetrics } {
  const w = {
    remotes: [{ name: 'origin', url: 'https://x/p.git', lastCheck: '2024-01-01T00:00:00Z', lastChange: null, lastError: null, bundles: [], checking: false }] as RemoteStatus[],
    seeding: [] as TorrentStatus[],
    paused: false,
    metrics: null as unknown as DaemonMetrics
  }
  w.metrics = new DaemonMetrics({ daemon: () => ({ paused: w.paused, remotes: w.remotes }), seeding: () => w.seeding }, { processMetrics: false })
  return w
}

const seeded = (infoHash: string, uploaded: number): TorrentStatus => ({ name: `${infoHash}.bundle`, infoHash, peers: 1, uploadRate: 10, uploaded, peersServed: 1 })

async function scrape (m: DaemonMetrics): Promise<ReturnType<typeof parseExposition>> {
  const { contentType, text } = await m.exposition()
  assert.equal(contentType, 'text/plain; version=0.0.4; charset=utf-8')
  return parseExposition(text)
}

test('DaemonMetrics: looks, CHANGED and ERROR lines counted per remote; an ERROR naming no watched remote is the daemon\'s own', async () => {
  const w = world()
  w.metrics.look('origin')
  w.metrics.look('origin')
  w.metrics.said({ kind: 'CHANGED', remote: 'origin', refs: ['refs/mirrors/bundle/list'] })
  w.metrics.said({ kind: 'STATUS', remote: 'origin', text: 'seeding' })
  w.metrics.said({ kind: 'ERROR', remote: 'origin', text: 'HTTP 500' })
  w.metrics.said({ kind: 'ERROR', remote: 'nosuch', text: 'not a watched remote' })
  w.metrics.said({ kind: 'ERROR', remote: '-', text: 'an empty line' })
  w.metrics.announced(false)
  const e = await scrape(w.metrics)
  assert.equal(valueOf(e, 'mirror_daemon_checks_total', { remote: 'origin' }), 2)
  assert.equal(valueOf(e, 'mirror_daemon_changes_total', { remote: 'origin' }), 1)
  assert.equal(valueOf(e, 'mirror_daemon_errors_total', { remote: 'origin' }), 1)
  assert.equal(valueOf(e, 'mirror_daemon_errors_total', { remote: '-' }), 2)
  assert.deepEqual(valuesOf(e, 'mirror_daemon_errors_total', { remote: 'nosuch' }), [])
  assert.equal(valueOf(e, 'mirror_daemon_tracker_announces_total', { result: 'refused' }), 1)
  assert.equal(valueOf(e, 'mirror_daemon_last_check_timestamp_seconds', { remote: 'origin' }), Date.parse('2024-01-01T00:00:00Z') / 1000)
  assert.equal(e.samples.filter(s => s.name.startsWith('process_')).length, 0, 'no process metrics when asked for none')
})

test('DaemonMetrics: gauges read at scrape time; uploaded bytes never go down when a torrent leaves or starts again', async () => {
  const w = world()
  const uploaded = async (): Promise<number> => valueOf(await scrape(w.metrics), 'mirror_daemon_uploaded_bytes_total')
  assert.equal(await uploaded(), 0)
  w.seeding = [seeded('a', 100), seeded('b', 50)]
  assert.equal(await uploaded(), 150)
  w.seeding = [seeded('a', 130)]            // b left
  assert.equal(await uploaded(), 180)
  w.seeding = [seeded('a', 130), seeded('b', 5)]   // b seeded afresh: its figures start at 0
  assert.equal(await uploaded(), 185)
  w.seeding = [seeded('a', 20)]             // a restarted between two scrapes
  assert.equal(await uploaded(), 205)
  w.paused = true
  w.remotes = []
  const e = await scrape(w.metrics)
  assert.equal(valueOf(e, 'mirror_daemon_paused'), 1)
  assert.equal(valueOf(e, 'mirror_daemon_remotes'), 0)
  assert.equal(valueOf(e, 'mirror_daemon_bundles'), 1)
  assert.equal(valueOf(e, 'mirror_daemon_peers'), 1)
  assert.equal(valueOf(e, 'mirror_daemon_upload_bytes_per_second'), 10)
  assert.deepEqual(valuesOf(e, 'mirror_daemon_last_check_timestamp_seconds'), [], 'a remote no longer watched has no last check')
})

test('DaemonMetrics: two in one process do not collide (private registries), and the process metrics are there by default', async () => {
  const a = new DaemonMetrics({ daemon: () => ({ paused: false, remotes: [] }), seeding: () => [] })
  const b = new DaemonMetrics({ daemon: () => ({ paused: false, remotes: [] }), seeding: () => [] })
  a.look('x')
  const e = parseExposition((await b.exposition()).text)
  assert.deepEqual(valuesOf(e, 'mirror_daemon_checks_total'), [])
  assert.ok(valueOf(e, 'process_resident_memory_bytes') > 0)
  assert.ok(valueOf(e, 'process_open_fds') > 0)
})
