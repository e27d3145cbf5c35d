// aria2c as an independent BitTorrent client, with every public feature off
// (DHT, LPD, PEX, IPv6), bound to loopback, its lifetime bounded.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { peerPieceCount, torrentFacts } from './bt-probe.js'
import { runProcess, startProcess } from './processes.js'
import type { TrackerAnnounce } from './tracker.js'
import { freePort, waitUntil } from './wait.js'

let available: boolean | undefined

export function hasAria2 (): boolean {
  available ??= spawnSync('aria2c', ['--version'], { stdio: 'ignore', timeout: 5000 }).status === 0
  return available
}

const PROXY_VARS = ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY', 'ftp_proxy', 'FTP_PROXY']

export interface Aria2Options {
  /** whole download, default 120 s */
  timeoutMs?: number
  /** give up when nothing arrives for this long (--bt-stop-timeout), default 30 s */
  stallSeconds?: number
  env?: NodeJS.ProcessEnv
  /** appended last, so they override the defaults */
  extraArgs?: string[]
}

/** No config file, nothing public (DHT, LPD, PEX, IPv6), loopback only. */
const LOOPBACK_ONLY = [
  '--no-conf=true',
  '--no-netrc=true',
  '--enable-dht=false',
  '--enable-dht6=false',
  '--bt-enable-lpd=false',
  '--enable-peer-exchange=false',
  '--disable-ipv6=true'
]

export function aria2Args (torrentFile: string, outDir: string, listenPorts: number[], opts: Aria2Options = {}): string[] {
  const timeoutMs = opts.timeoutMs ?? 120000
  return [
    ...LOOPBACK_ONLY,
    '--interface=127.0.0.1',
    `--listen-port=${listenPorts.join(',')}`,
    '--seed-time=0',
    `--bt-stop-timeout=${opts.stallSeconds ?? 30}`,
    '--bt-tracker-connect-timeout=10',
    '--bt-tracker-timeout=10',
    `--stop=${Math.ceil(timeoutMs / 1000) + 5}`,
    `--stop-with-process=${process.pid}`,
    `--dir=${outDir}`,
    '--allow-overwrite=true',
    '--auto-file-renaming=false',
    '--file-allocation=none',
    '--console-log-level=warn',
    '--summary-interval=0',
    '--show-console-readout=false',
    '--enable-color=false',
    '--download-result=full',
    ...(opts.extraArgs ?? []),
    torrentFile
  ]
}

/** The torrent's top-level name as aria2c reads it (a file for single-file torrents, a directory otherwise). */
export async function aria2TorrentName (torrentFile: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const r = await runProcess('aria2c', ['--no-conf=true', `--show-files=true`, torrentFile], { cwd: path.dirname(torrentFile), env, timeoutMs: 15000 })
  const m = /^Name: (.+)$/m.exec(r.stdout)
  if (r.code !== 0 || m === null) throw new Error(`aria2c cannot read ${torrentFile} (exit ${r.code}):\n${r.stdout}${r.stderr}`)
  return m[1]!
}

/** Download torrentFile into outDir with aria2c; resolves with the downloaded path. */
export async function aria2Download (torrentFile: string, outDir: string, opts: Aria2Options = {}): Promise<{ file: string }> {
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) }
  for (const k of PROXY_VARS) delete env[k]
  const name = await aria2TorrentName(torrentFile, env)
  if (name === '' || name === '.' || name === '..' || name.includes('/')) throw new Error(`refusing torrent name ${JSON.stringify(name)}`)
  // several candidates: aria2c binds the first that is still free
  const ports = [await freePort(), await freePort(), await freePort()]
  await mkdir(outDir, { recursive: true })
  const args = aria2Args(torrentFile, outDir, ports, opts)
  const r = await runProcess('aria2c', args, { cwd: outDir, env, timeoutMs: opts.timeoutMs ?? 120000 })
  const file = path.join(outDir, name)
  if (r.code !== 0 || !existsSync(file)) {
    throw new Error(`aria2c failed (exit ${r.code ?? r.signal}) for ${torrentFile}:\n${r.stdout.slice(-6000)}${r.stderr.slice(-4000)}`)
  }
  return { file }
}

export interface Aria2SeedOptions {
  /** how long aria2c may seed (--stop), and the bound on getting ready; default 120 s */
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
  /**
   * A tracker this helper started (tracker.ts). When given, aria2Seed also waits
   * until that tracker has answered aria2c's announce of this torrent as a seeder
   * (its port, left=0), so a downloader announcing afterwards gets aria2c's address.
   */
  tracker?: { readonly announces: readonly TrackerAnnounce[] }
  /** aria2c's --max-upload-limit, e.g. '4K': a peer that barely sends. */
  maxUploadLimit?: string
  /**
   * Seed the file as it is, without checking it (--bt-seed-unverified): a
   * peer that serves whatever bytes dataDir holds, e.g. corrupt ones.
   */
  unverified?: boolean
  /**
   * The loopback address aria2c binds, listens and announces from (default
   * 127.0.0.1): another address in 127.0.0.0/8 makes it a peer with an IP of
   * its own.
   */
  host?: string
}

export interface Aria2Seeder {
  /** aria2c's BitTorrent TCP port on its host (127.0.0.1 unless told) */
  port: number
  /** SIGTERM, SIGKILL after 5 s (aria2c takes about 1 s). Idempotent. */
  stop(): Promise<void>
}

/**
 * aria2c seeding the complete file dataDir/<torrent name>: --check-integrity,
 * --seed-ratio=0.0 and no --seed-time (it seeds until stop() or timeoutMs),
 * loopback only, DHT/LPD/PEX off, announcing to the torrent's own trackers.
 *
 * Ready means, in this order:
 * 1. aria2c printed "IPv4 BitTorrent: listening on TCP port N" (it does so after
 *    the integrity check): that is `port`;
 * 2. a BitTorrent handshake to 127.0.0.1:N for this infohash gets a bitfield with
 *    every piece: it verified the data and serves it (a wrong or short file never
 *    gets there: aria2Seed rejects at timeoutMs and stops aria2c);
 * 3. with `tracker`: the tracker answered its announce as a seeder. aria2c's first
 *    announce comes about 1 s after it listens; without `tracker`, do not count
 *    on it having announced yet.
 * aria2c never writes into dataDir while seeding a complete file.
 */
export async function aria2Seed (torrentFile: string, dataDir: string, opts: Aria2SeedOptions = {}): Promise<Aria2Seeder> {
  const timeoutMs = opts.timeoutMs ?? 120000
  const deadline = Date.now() + timeoutMs
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) }
  for (const k of PROXY_VARS) delete env[k]
  const facts = torrentFacts(await readFile(torrentFile))
  const name = await aria2TorrentName(torrentFile, env)
  if (name === '' || name === '.' || name === '..' || name.includes('/')) throw new Error(`refusing torrent name ${JSON.stringify(name)}`)
  if (!existsSync(path.join(dataDir, name))) throw new Error(`nothing to seed: ${path.join(dataDir, name)} does not exist`)
  const ports = [await freePort(), await freePort(), await freePort()]
  const host = opts.host ?? '127.0.0.1'
  const args = [
    ...LOOPBACK_ONLY,
    `--interface=${host}`,
    `--listen-port=${ports.join(',')}`,
    ...(opts.unverified === true ? ['--check-integrity=false', '--bt-seed-unverified=true'] : ['--check-integrity=true']),
    '--seed-ratio=0.0', // no ratio limit; and no --seed-time: seed until stopped
    ...(opts.maxUploadLimit === undefined ? [] : [`--max-upload-limit=${opts.maxUploadLimit}`]),
    '--bt-tracker-connect-timeout=5',
    '--bt-tracker-timeout=5',
    `--stop=${Math.ceil(timeoutMs / 1000)}`,
    `--stop-with-process=${process.pid}`,
    `--dir=${dataDir}`,
    '--auto-file-renaming=false',
    '--file-allocation=none',
    '--console-log-level=notice',
    '--summary-interval=0',
    '--show-console-readout=false',
    '--enable-color=false',
    torrentFile
  ]
  const p = startProcess('aria2c', args, { cwd: dataDir, env })
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => (stopping ??= p.stop('SIGTERM', 5000).then(() => {}))
  const left = (): number => Math.max(0, deadline - Date.now())
  try {
    const port = Number((await p.waitFor(/IPv4 BitTorrent: listening on TCP port (\d+)/, { timeoutMs: left() }))[1])
    let last = 'no answer yet'
    await waitUntil(async () => {
      try {
        const have = await peerPieceCount(port, facts, Math.min(2000, Math.max(1, left())), host)
        last = `it had ${have}`
        return have === facts.pieces
      } catch (err) {
        last = (err as Error).message
        return false
      }
    }, { timeoutMs: left(), intervalMs: 100, what: `aria2c on port ${port} to have all ${facts.pieces} pieces of ${facts.infoHash}` })
      .catch((err: Error) => { throw new Error(`${err.message} (${last})\n--- aria2c output\n${p.stdout().slice(-3000)}${p.stderr().slice(-2000)}`) })
    const tracker = opts.tracker
    if (tracker !== undefined) {
      await waitUntil(() => tracker.announces.some(a => a.infoHash === facts.infoHash && a.port === port && a.left === 0 && a.event !== 'stop'),
        { timeoutMs: left(), what: `the tracker to hear aria2c (port ${port}) announce ${facts.infoHash} as a seeder` })
    }
    return { port, stop }
  } catch (err) {
    await stop()
    throw err
  }
}
