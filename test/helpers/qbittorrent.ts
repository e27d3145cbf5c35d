// qbittorrent-nox (libtorrent-rasterbar 2.0) as an independent BitTorrent
// client: its own profile in the test's directory, DHT, LSD, PeX, UPnP off,
// driven through its Web API on 127.0.0.1 (no login from localhost).
//
// Session\MultiConnectionsPerIp=true matters on one machine: by default
// libtorrent keeps one peer per IP address, so with every peer on
// 127.0.0.1 the tracker's first entry wins, and when that is a stale entry
// of qBittorrent itself (the same address and port as an earlier run) it
// connects to nobody. This is why a probe saw qBittorrent ignore two
// mirror-seed processes; peers on distinct addresses need no setting.
import { spawnSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { startProcess, type Running } from './processes.js'
import { freePort, waitUntil } from './wait.js'

let available: boolean | undefined

export function hasQbittorrent (): boolean {
  available ??= spawnSync('qbittorrent-nox', ['--version'], { stdio: 'ignore', timeout: 5000, env: { ...process.env, HOME: '/nonexistent' } }).status === 0
  return available
}

export interface Qbittorrent {
  /** its BitTorrent port (TCP, all interfaces) */
  port: number
  /** Adds a .torrent saving into `savePath`: with the complete file there, it checks it and seeds. */
  add (torrentFile: string, savePath: string): Promise<void>
  /** Resolves once the torrent is complete (progress 1), with its state; rejects after timeoutMs. */
  waitComplete (infoHash: string, timeoutMs: number): Promise<string>
  /** Every torrent's Web API record. */
  info (): Promise<Array<Record<string, unknown>>>
  stop (): Promise<void>
}

export async function startQbittorrent (dir: string, o: { env: NodeJS.ProcessEnv }): Promise<Qbittorrent> {
  const [port, webPort] = [await freePort(), await freePort()]
  const config = path.join(dir, 'qBittorrent', 'config')
  await mkdir(config, { recursive: true })
  await writeFile(path.join(config, 'qBittorrent.conf'), [
    '[LegalNotice]', 'Accepted=true', '',
    '[BitTorrent]',
    'Session\\DHTEnabled=false', 'Session\\LSDEnabled=false', 'Session\\PeXEnabled=false',
    'Session\\MultiConnectionsPerIp=true',
    `Session\\Port=${port}`, `Session\\DefaultSavePath=${path.join(dir, 'downloads')}`, '',
    '[Network]', 'PortForwardingEnabled=false', '',
    '[Preferences]', 'Connection\\UPnP=false', 'General\\Locale=C',
    'WebUI\\Address=127.0.0.1', `WebUI\\Port=${webPort}`, 'WebUI\\LocalHostAuth=false', 'WebUI\\CSRFProtection=false', ''
  ].join('\n'))
  const p: Running = startProcess('qbittorrent-nox', [`--profile=${dir}`], { cwd: dir, env: { ...o.env, HOME: dir } })
  const api = `http://127.0.0.1:${webPort}/api/v2`
  const call = async (what: string, init?: RequestInit): Promise<Response> => {
    const res = await fetch(`${api}/${what}`, { ...init, signal: AbortSignal.timeout(10_000) })
    if (!res.ok) throw new Error(`qBittorrent ${what}: HTTP ${res.status} ${await res.text()}`)
    return res
  }
  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => { await (stopping ??= p.stop('SIGTERM', 10_000).then(() => {})) }
  try {
    await waitUntil(async () => await call('app/version').then(() => true, () => false), { timeoutMs: 30_000, intervalMs: 200, what: `qbittorrent-nox's Web API on port ${webPort}` })
  } catch (err) {
    await stop()
    throw new Error(`${(err as Error).message}\n--- qbittorrent-nox output\n${p.stdout().slice(-2000)}${p.stderr().slice(-2000)}`)
  }
  const info = async (): Promise<Array<Record<string, unknown>>> => await (await call('torrents/info')).json() as Array<Record<string, unknown>>
  return {
    port,
    info,
    add: async (torrentFile, savePath) => {
      const form = new FormData()
      form.append('torrents', new Blob([await readFile(torrentFile)]), path.basename(torrentFile))
      form.append('savepath', savePath)
      await call('torrents/add', { method: 'POST', body: form })
    },
    waitComplete: async (infoHash, timeoutMs) => {
      let last = 'not added yet'
      await waitUntil(async () => {
        const t = (await info()).find(x => x.hash === infoHash)
        if (t !== undefined) last = `${String(t.state)} at ${String(t.progress)}, ${String(t.num_seeds)} seeds connected of ${String(t.num_complete)}`
        return t !== undefined && t.progress === 1
      }, { timeoutMs, intervalMs: 250, what: `qBittorrent to complete ${infoHash}` })
        .catch((err: Error) => { throw new Error(`${err.message} (${last})`) })
      return last
    },
    stop
  }
}
