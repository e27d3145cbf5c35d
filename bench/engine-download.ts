// A direct download with our engine, run as its own process by engine-bench.ts:
// the webtorrent client and downloadTorrent() that mirror-clone and
// mirror-seed use (src/io/torrent), with nothing else around them (no git,
// no discovery through the origin). Prints one JSON line:
//   { bytes, fromPeers, addToDoneSeconds, closeSeconds }
//
//   node dist/bench/engine-download.js --torrent FILE --out DIR --tracker URL [--stall-seconds N]
import { readFile } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { closeTorrentClient, createTorrentClient } from '../src/io/torrent/client.js'
import { downloadTorrent } from '../src/io/torrent/download.js'
import { readTorrent } from '../src/io/torrent/torrent-file.js'

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      torrent: { type: 'string' },
      out: { type: 'string' },
      tracker: { type: 'string' },
      'stall-seconds': { type: 'string', default: '30' }
    }
  })
  if (values.torrent === undefined || values.out === undefined || values.tracker === undefined) {
    throw new Error('usage: engine-download --torrent FILE --out DIR --tracker URL [--stall-seconds N]')
  }
  const parsed = await readTorrent(await readFile(values.torrent), values.torrent)
  const trackers = [values.tracker]
  const client = await createTorrentClient({ trackers, dht: false, dhtBootstrap: null, lsd: false, upnp: false, port: null })
  client.on('error', (err: Error | string) => { throw err instanceof Error ? err : new Error(err) })
  try {
    const t0 = performance.now()
    const { stats, torrent } = await downloadTorrent(client, parsed, { path: values.out, announce: trackers, stallTimeoutMs: Number(values['stall-seconds']) * 1000 })
    const t1 = performance.now()
    const bytes = torrent.length
    await closeTorrentClient(client)
    const t2 = performance.now()
    process.stdout.write(JSON.stringify({ bytes, fromPeers: stats.fromPeers, addToDoneSeconds: (t1 - t0) / 1000, closeSeconds: (t2 - t1) / 1000 }) + '\n')
  } finally {
    await closeTorrentClient(client)
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`engine-download: ${(err as Error).stack ?? String(err)}\n`)
  process.exitCode = 1
})
