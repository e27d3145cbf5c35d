// aria2c as an independent BitTorrent client, with every public feature off
// (DHT, LPD, PEX, IPv6), bound to loopback, its lifetime bounded.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { runProcess } from './processes.js'
import { freePort } from './wait.js'

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

export function aria2Args (torrentFile: string, outDir: string, listenPorts: number[], opts: Aria2Options = {}): string[] {
  const timeoutMs = opts.timeoutMs ?? 120000
  return [
    '--no-conf=true',
    '--no-netrc=true',
    '--enable-dht=false',
    '--enable-dht6=false',
    '--bt-enable-lpd=false',
    '--enable-peer-exchange=false',
    '--disable-ipv6=true',
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
