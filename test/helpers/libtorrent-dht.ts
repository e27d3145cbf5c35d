// libtorrent-rasterbar's DHT as an independent BEP 44 implementation:
// test/helpers/libtorrent-dht.py (Debian's python3-libtorrent, libtorrent
// 2.0.8) joins a private DHT on 127.0.0.1 and serves gets and puts, one
// JSON line each way, bounded; one session per test (a libtorrent node that
// left costs every later lookup libtorrent makes ~15 s). The settings it needs to use loopback nodes, and what
// its Python bindings can and cannot put, are in the script's header.
//
// Always /usr/bin/python3: Debian installs the module for its own Python
// (/usr/lib/python3/dist-packages), and a pyenv or virtualenv python3 found
// first on PATH (as on this project's machines) cannot import it.
import { spawn, spawnSync } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { repoRoot } from './processes.js'

export const LIBTORRENT_PYTHON = '/usr/bin/python3'
export const LIBTORRENT_INSTALL = 'apt-get install -y --no-install-recommends python3-libtorrent'

let available: boolean | undefined

/** Whether Debian's python3 can import libtorrent (python3-libtorrent installed). */
export function hasLibtorrentPython (): boolean {
  available ??= spawnSync(LIBTORRENT_PYTHON, ['-c', 'import libtorrent'], { stdio: 'ignore', timeout: 10_000, env: pythonEnv() }).status === 0
  return available
}

/** A mutable item as libtorrent accepted it (it checked the signature first). */
export interface LibtorrentItem {
  key: Buffer
  salt: Buffer
  seq: number
  sig: Buffer
  /** The bencoded value, as signed: from the raw response that carried this signature. */
  v: Buffer | null
  /** libtorrent's own printable form of the alert, value included. */
  printed: string
}

export interface LibtorrentPut { key: Buffer, salt: Buffer, seq: number, sig: Buffer, nodes: number }

/** One libtorrent session on the private DHT, serving gets and puts one at a time. */
export interface LibtorrentDht {
  /** Its DHT's UDP port on 127.0.0.1. */
  port: number
  /** The mutable item of `key` and `salt`: the highest seq libtorrent verified, or null when its lookup ended without one. */
  get (o: { key: Buffer, salt: Buffer, timeoutMs?: number }): Promise<LibtorrentItem | null>
  /**
   * Puts a mutable item signed by the ed25519 key of `seed` (whose public key
   * is `key`): its value is the byte string `data` (all that
   * python3-libtorrent's dht_put_mutable_item can put), its seq one above the
   * highest libtorrent found.
   */
  put (o: { seed: Buffer, key: Buffer, salt: Buffer, data: Buffer, timeoutMs?: number }): Promise<LibtorrentPut>
  /** Closes its stdin (it leaves), SIGKILL after 5 s; idempotent. */
  stop (): Promise<void>
}

/** Starts libtorrent-dht.py bootstrapped from `bootstrap` (host:port); resolves once libtorrent reports the DHT bootstrapped. */
export async function startLibtorrentDht (o: { bootstrap: string, timeoutMs?: number, verbose?: boolean }): Promise<LibtorrentDht> {
  const timeoutMs = o.timeoutMs ?? 20_000
  const script = path.join(repoRoot(), 'test', 'helpers', 'libtorrent-dht.py')
  const child = spawn(LIBTORRENT_PYTHON, [script, '--bootstrap', o.bootstrap, '--timeout', String(timeoutMs / 1000), ...(o.verbose === true ? ['--verbose'] : [])],
    { cwd: os.tmpdir(), env: pythonEnv(), stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr = (stderr + s).slice(-20_000) })
  child.stdin.on('error', () => { /* it exited: the exit tells */ })
  const exited = new Promise<string>(resolve => {
    child.once('error', err => resolve(`cannot run ${LIBTORRENT_PYTHON}: ${err.message}`))
    child.once('exit', (code, signal) => resolve(`libtorrent-dht.py exited (${code ?? signal})`))
  })
  const lines: Array<Record<string, unknown>> = []
  let arrived = (): void => {}
  readline.createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', line => {
    if (!line.startsWith('{')) return
    lines.push(JSON.parse(line) as Record<string, unknown>)
    arrived()
  })
  const tail = (): string => `\n--- libtorrent-dht.py stdout\n${lines.slice(-10).map(l => JSON.stringify(l)).join('\n')}\n--- stderr (tail)\n${stderr.slice(-4000)}`
  /** The first line (from `from` on) that `match` accepts; rejects when it exits or after `ms`. */
  const next = async (from: number, match: (l: Record<string, unknown>) => boolean, ms: number, what: string): Promise<Record<string, unknown>> => {
    let timer: NodeJS.Timeout | undefined
    try {
      return await Promise.race([
        new Promise<Record<string, unknown>>(resolve => {
          const look = (): void => {
            const hit = lines.slice(from).find(match)
            if (hit !== undefined) { arrived = () => {}; resolve(hit) }
          }
          arrived = look
          look()
        }),
        exited.then(why => { throw new Error(`${what}: ${why}${tail()}`) }),
        new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms${tail()}`)), ms) })
      ])
    } finally {
      clearTimeout(timer)
    }
  }
  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    await (stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.stdin.end()
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(killer)
    })())
  }
  let id = 0
  let queue: Promise<unknown> = Promise.resolve()
  /** One command at a time (the script runs them in turn): its answer, or an Error. */
  const call = async (cmd: Record<string, unknown>, ms: number): Promise<Record<string, unknown>> => {
    const run = async (): Promise<Record<string, unknown>> => {
      const mine = ++id
      const from = lines.length
      child.stdin.write(`${JSON.stringify({ ...cmd, id: mine, timeout: ms / 1000 })}\n`)
      const answer = await next(from, l => l.id === mine || (l.event === 'error' && l.id === undefined), ms + 5000, `libtorrent ${String(cmd.op)}`)
      if (answer.event === 'error') throw new Error(`libtorrent ${String(cmd.op)}: ${String(answer.message)}${tail()}`)
      return answer
    }
    const p = queue.then(run, run)
    queue = p.catch(() => {})
    return await p
  }
  try {
    const ready = await next(0, l => l.event === 'ready' || l.event === 'error', timeoutMs + 5000, 'libtorrent joining the DHT')
    if (ready.event === 'error') throw new Error(`libtorrent joining the DHT: ${String(ready.message)}${tail()}`)
  } catch (err) {
    await stop()
    throw err
  }
  const udp = lines.find(l => l.event === 'listening' && /udp/i.test(String(l.socket)))
  return {
    port: Number(udp?.port),
    stop,
    get: async g => {
      const last = await call({ op: 'get', key: g.key.toString('hex'), salt: g.salt.toString('hex') }, g.timeoutMs ?? 20_000)
      if (last.event === 'none') return null
      if (last.event !== 'item') throw new Error(`libtorrent get: unexpected ${JSON.stringify(last)}`)
      return {
        key: hex(last.key),
        salt: hex(last.salt),
        seq: last.seq as number,
        sig: hex(last.sig),
        v: typeof last.v === 'string' ? hex(last.v) : null,
        printed: String(last.printed)
      }
    },
    put: async p => {
      const last = await call({ op: 'put', seed: p.seed.toString('hex'), key: p.key.toString('hex'), salt: p.salt.toString('hex'), data: p.data.toString('hex') }, p.timeoutMs ?? 20_000)
      if (last.event !== 'put') throw new Error(`libtorrent put: unexpected ${JSON.stringify(last)}`)
      return { key: hex(last.key), salt: hex(last.salt), seq: last.seq as number, sig: hex(last.sig), nodes: last.nodes as number }
    }
  }
}

function pythonEnv (): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', PYTHONNOUSERSITE: '1', PYTHONDONTWRITEBYTECODE: '1' }
}

function hex (x: unknown): Buffer {
  if (typeof x !== 'string' || !/^([0-9a-f]{2})*$/.test(x)) throw new Error(`libtorrent-dht.py: not hex: ${String(x)}`)
  return Buffer.from(x, 'hex')
}
