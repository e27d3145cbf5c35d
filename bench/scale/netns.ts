// A second "host" on this machine for the scale benchmark: a network
// namespace joined to the root namespace by a veth pair, its egress (what
// that host uploads) limited with tc tbf, optionally with a netem delay on
// both directions. Needs root and iproute2.
//
//   root namespace  <rootIf> 10.213.0.1/24  <==veth==>  10.213.0.2/24 <nsIf>  namespace <name>
//                                                          egress: [netem delay] -> tbf rate
import { execFile } from 'node:child_process'
import { setTimeout as delay } from 'node:timers/promises'

export interface NetnsOptions {
  /** namespace name, e.g. gtm-bench-seed */
  name: string
  /** veth end left in the root namespace */
  rootIf: string
  /** veth end moved into the namespace */
  nsIf: string
  /** the first three octets of a private /24, e.g. 10.213.0 */
  subnet: string
}

export interface Netns {
  name: string
  rootIf: string
  nsIf: string
  /** address of the root namespace's end (.1) */
  rootAddr: string
  /** address of the namespace's end (.2) */
  nsAddr: string
  /**
   * Limit what the namespace sends (its upload): tbf at `rate` (tc syntax, e.g. 40mbit), netem `delayMs`
   * each way. A kernel without netem gets no delay: the result says what was applied.
   */
  shape(rate: string, delayMs: number): Promise<{ qdisc: string, delayMs: number }>
  /** The namespace interface's counters (bytes on the wire: IP and TCP headers included). */
  counters(): Promise<{ txBytes: number, rxBytes: number }>
  /** `ip netns exec <name>` + command: the argv prefix that runs a command in the namespace. */
  execPrefix(): string[]
  /** Kill what runs in the namespace, delete it and the veth pair; idempotent, bounded. */
  remove(): Promise<void>
}

export async function run (cmd: string, args: string[], timeoutMs = 15_000): Promise<string> {
  return await new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.trim() || err.message}`))
      else resolve(stdout)
    })
  })
}

const quiet = async (cmd: string, args: string[]): Promise<void> => { await run(cmd, args).catch(() => '') }

async function linkExists (ifname: string): Promise<boolean> {
  return await run('ip', ['link', 'show', 'dev', ifname]).then(() => true, () => false)
}

async function namespaceExists (name: string): Promise<boolean> {
  const list = await run('ip', ['netns', 'list']).catch(() => '')
  return list.split('\n').some(l => l.split(' ')[0] === name)
}

/**
 * Remove what a crashed earlier run left under these names: processes in the
 * namespace (only this benchmark starts any there), the namespace, the veth.
 */
export async function removeLeftovers (o: NetnsOptions): Promise<void> {
  if (await namespaceExists(o.name)) {
    const pids = (await run('ip', ['netns', 'pids', o.name]).catch(() => '')).split(/\s+/).filter(p => /^\d+$/.test(p))
    for (const pid of pids) { try { process.kill(Number(pid), 'SIGKILL') } catch { /* gone */ } }
    await quiet('ip', ['netns', 'del', o.name])
  }
  if (await linkExists(o.rootIf)) await quiet('ip', ['link', 'del', 'dev', o.rootIf])
  // Deleting a namespace removes its veth asynchronously.
  const deadline = Date.now() + 10_000
  while (await linkExists(o.rootIf)) {
    if (Date.now() > deadline) throw new Error(`interface ${o.rootIf} is still there 10 s after deleting it`)
    await delay(100)
  }
}

export async function createNetns (o: NetnsOptions): Promise<Netns> {
  if (process.getuid?.() !== 0) throw new Error('the scale benchmark needs root (ip netns, tc)')
  await run('ip', ['-V']).catch(() => { throw new Error('iproute2 (ip, tc) is not installed: apt-get install -y iproute2') })
  await removeLeftovers(o)
  const rootAddr = `${o.subnet}.1`
  const nsAddr = `${o.subnet}.2`
  let removed: Promise<void> | undefined
  const remove = async (): Promise<void> => await (removed ??= removeLeftovers(o))
  try {
    await run('ip', ['netns', 'add', o.name])
    await run('ip', ['link', 'add', o.rootIf, 'type', 'veth', 'peer', 'name', o.nsIf])
    await run('ip', ['link', 'set', o.nsIf, 'netns', o.name])
    await run('ip', ['addr', 'add', `${rootAddr}/24`, 'dev', o.rootIf])
    await run('ip', ['link', 'set', o.rootIf, 'up'])
    await run('ip', ['-n', o.name, 'addr', 'add', `${nsAddr}/24`, 'dev', o.nsIf])
    await run('ip', ['-n', o.name, 'link', 'set', o.nsIf, 'up'])
    await run('ip', ['-n', o.name, 'link', 'set', 'lo', 'up'])
  } catch (err) {
    await remove()
    throw err
  }
  const exec = ['ip', 'netns', 'exec', o.name]
  return {
    name: o.name,
    rootIf: o.rootIf,
    nsIf: o.nsIf,
    rootAddr,
    nsAddr,
    shape: async (rate, delayMs) => {
      await quiet('tc', ['-n', o.name, 'qdisc', 'del', 'dev', o.nsIf, 'root'])
      await quiet('tc', ['qdisc', 'del', 'dev', o.rootIf, 'root'])
      const bits = parseRate(rate)
      // burst: at least one 10 ms tick at the rate and a few full frames; queue: 50 ms at the rate.
      const burst = Math.max(32 * 1024, Math.ceil(bits / 8 / 100))
      const tbf = ['tbf', 'rate', rate, 'burst', String(burst), 'latency', '50ms']
      let delayed = 0
      if (delayMs > 0) {
        const netem = ['netem', 'delay', `${delayMs}ms`, 'limit', '100000']
        try {
          await run('tc', ['-n', o.name, 'qdisc', 'add', 'dev', o.nsIf, 'root', 'handle', '1:', ...netem])
          await run('tc', ['-n', o.name, 'qdisc', 'add', 'dev', o.nsIf, 'parent', '1:1', 'handle', '10:', ...tbf])
          await run('tc', ['qdisc', 'add', 'dev', o.rootIf, 'root', ...netem])
          delayed = delayMs
        } catch (err) {
          if (!/unknown/i.test((err as Error).message)) throw err
          await quiet('tc', ['-n', o.name, 'qdisc', 'del', 'dev', o.nsIf, 'root'])   // no sch_netem in this kernel
        }
      }
      if (delayed === 0) await run('tc', ['-n', o.name, 'qdisc', 'add', 'dev', o.nsIf, 'root', ...tbf])
      const shown = (await run('tc', ['-n', o.name, 'qdisc', 'show', 'dev', o.nsIf])).trim().replace(/\s*\n\s*/g, '; ')
      return { qdisc: shown, delayMs: delayed }
    },
    counters: async () => {
      const out = await run('ip', [...exec.slice(1), 'cat', `/sys/class/net/${o.nsIf}/statistics/tx_bytes`, `/sys/class/net/${o.nsIf}/statistics/rx_bytes`])
      const [tx, rx] = out.trim().split('\n').map(Number)
      if (!Number.isSafeInteger(tx) || !Number.isSafeInteger(rx)) throw new Error(`cannot read the counters of ${o.nsIf}: ${out}`)
      return { txBytes: tx!, rxBytes: rx! }
    },
    execPrefix: () => [...exec],
    remove
  }
}

/** tc rate syntax (bit, kbit, mbit, gbit; kbps... are bytes) to bits per second. */
export function parseRate (rate: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)(bit|bps)$/i.exec(rate.trim())
  if (m === null) throw new Error(`rate "${rate}" is not like 40mbit, 500kbit, 1gbit`)
  const scale = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g']
  return Number(m[1]) * scale * (m[3]!.toLowerCase() === 'bps' ? 8 : 1)
}
