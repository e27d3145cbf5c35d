// transmission-cli 3.00 as an independent BitTorrent client: its own config
// directory (settings.json: DHT, LPD, PeX, uTP and port mapping off, IPv4 on
// 127.0.0.1), one torrent, downloading and then seeding until stopped.
import { spawnSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { startProcess, type Running } from './processes.js'
import { freePort, waitUntil } from './wait.js'

let available: boolean | undefined

export function hasTransmission (): boolean {
  available ??= spawnSync('transmission-cli', ['--version'], { stdio: 'ignore', timeout: 5000 }).status === 0
  return available
}

export interface Transmission {
  port: number
  /** Resolves once it says the torrent is complete and seeding; rejects after timeoutMs or when it exits. */
  waitSeeding (timeoutMs: number): Promise<void>
  output (): string
  stop (): Promise<void>
}

/**
 * transmission-cli on `torrentFile`, saving into `downloadDir`: with the
 * complete file there (a new torrent's data is verified on its own), it
 * seeds it; without, it downloads it from the torrent's trackers' peers,
 * then seeds. Not -v: a verification of nothing can leave the torrent
 * stopped for a moment, and transmission-cli exits when it sees that.
 */
export async function startTransmission (torrentFile: string, downloadDir: string, o: { env: NodeJS.ProcessEnv, configDir: string }): Promise<Transmission> {
  const port = await freePort()
  await mkdir(o.configDir, { recursive: true })
  await mkdir(downloadDir, { recursive: true })
  await writeFile(path.join(o.configDir, 'settings.json'), JSON.stringify({
    'dht-enabled': false,
    'lpd-enabled': false,
    'pex-enabled': false,
    'utp-enabled': false,
    'port-forwarding-enabled': false,
    'bind-address-ipv4': '127.0.0.1',
    'bind-address-ipv6': '::1',
    'peer-port': port,
    'rpc-enabled': false,
    'blocklist-enabled': false,
    'message-level': 2
  }, null, 2))
  const p: Running = startProcess('transmission-cli', ['-g', o.configDir, '-w', downloadDir, '-p', String(port), '-M', torrentFile], { cwd: downloadDir, env: { ...o.env, HOME: o.configDir } })
  return {
    port,
    // its status line is redrawn with \r, never ended: the text so far is read, not lines
    waitSeeding: async timeoutMs => {
      let exited = false
      void p.exited.then(() => { exited = true })
      await waitUntil(() => {
        if (exited) throw new Error(`transmission-cli exited before seeding:\n${p.stdout().slice(-2000)}${p.stderr().slice(-2000)}`)
        return /Seeding,/.test(p.stdout()) || /Seeding,/.test(p.stderr())
      }, { timeoutMs, intervalMs: 200, what: 'transmission-cli to seed' })
        .catch((err: Error) => { throw new Error(`${err.message}\n--- transmission-cli output\n${p.stdout().slice(-2000)}${p.stderr().slice(-2000)}`) })
    },
    output: () => `${p.stdout().slice(-3000)}${p.stderr().slice(-3000)}`,
    stop: async () => { await p.stop('SIGTERM', 10_000) }
  }
}
