// Scale benchmark (issue 5): one seeder whose upload is limited, N clients
// cloning at once; total completion time and the bytes the seeder uploaded,
// against the same N clients downloading the bundle over HTTP from the same
// limited host (what git's bundle-uri does).
//
//   npx tsc -p . --outDir .build-scale
//   node .build-scale/bench/scale.js [--counts 1,4,8] [--rate 40mbit|auto] [--delay-ms 5]
//        [--repo BARE_REPO_DIR | --size small|large] [--cases bittorrent,http,bundle-uri] [--json-only]
//
// Needs root (ip netns, veth, tc). The seeder host is a network namespace
// (gtm-bench-seed, 10.213.0.2) joined to the root namespace (10.213.0.1) by a
// veth pair (gtmb0 <-> gtmb1); tc limits only what leaves the namespace
// (the seeder's upload): netem delay, then tbf at the rate. The clients, the
// tracker and the origin run in the root namespace: clients reach each other
// unlimited (loopback), and reach the seeder over the limited link. Nothing
// leaves the machine: one tracker of our own, no DHT, no LSD, no UPnP, and the
// publish has no web seed (checked: webSeeds [] and every report's
// bytes.webSeed is 0).
import { copyFile, mkdir, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { setTimeout as delay } from 'node:timers/promises'
import { makeRepo } from '../fixtures/make-repo.js'
import { formatBytes } from '../src/core/format.js'
import { git, makeTestEnv, pinnedEnv, type TestEnv } from '../test/helpers/env.js'
import { startGitServer, type GitServer } from '../test/helpers/git-server.js'
import { aria2Args } from '../test/helpers/aria2.js'
import { freePort } from '../test/helpers/wait.js'
import { isMain, killAll, runProcess, startProcess, type RunResult, type Running } from '../test/helpers/processes.js'
import { createNetns, parseRate, type Netns } from './scale/netns.js'
import { startBenchTracker, type BenchTracker } from './scale/tracker.js'

/**
 * bittorrent: N mirror-clone; http: N curl of the bundle from the seeder host; bundle-uri: N
 * `git clone --bundle-uri` from there; aria2: N aria2c downloading the published torrent from the
 * same mirror-seed (a reference: another client's piece selection against the same seeder).
 */
export type ScaleCaseName = 'bittorrent' | 'http' | 'bundle-uri' | 'aria2'

export interface ScaleClient {
  /** seconds from the start of the round to this client's exit */
  doneAt: number
  /** seconds from the start of the round until its bundle was complete (bittorrent: exit minus what came after the download; http: = doneAt) */
  downloadDoneAt: number
  /** the client's own timing: mirror-clone seconds.total, curl time_total, or the git clone's run time */
  seconds: number
  /** mirror-clone only: its report's seconds and bytes */
  report?: { method: string, fallbackReason: string | null, seconds: Record<string, number>, bytes: { swarm: number, webSeed: number, origin: number } }
  /** mirror-clone only: its plain progress lines (about every 5 s): seconds into the round, percent, peers */
  progress?: Array<[number, number, number]>
  ok: boolean
  error?: string
}

export interface ScaleRow {
  case: ScaleCaseName
  n: number
  /** seconds from starting the N clients until the last one is done */
  allDoneSeconds: number
  /** seconds until the last client has the whole bundle (bittorrent: before indexing and the origin fetch) */
  downloadsDoneSeconds: number
  medianClientSeconds: number
  /** mirror-clone's seconds.download, median over the clients (bittorrent only) */
  medianDownloadSeconds: number | null
  /** bytes the seeder host's interface sent during the round (IP/TCP headers included) */
  seederTxBytes: number
  /** payload the seeder process says it uploaded (mirror-seed summary, or the HTTP server's body bytes) */
  seederPayloadBytes: number | null
  /** seederTxBytes / bundle size */
  uploadRatio: number
  /** the seeder interface's bytes sent in each second of the round */
  txPerSecond: number[]
  /** seederTxBytes / (rate x downloadsDoneSeconds): how busy the limited link was until the last bundle was whole */
  linkBusy: number
  /** bittorrent: sum of the clients' bytes.swarm, and what of it came from other clients (sum minus the seeder's payload) */
  swarmBytes: number | null
  peerToPeerBytes: number | null
  webSeedBytes: number | null
  /** response bytes the origin's git server sent during the round (all clients) */
  originBytes: number
  /** all clients completed (bittorrent: from the swarm, method "torrent") */
  ok: boolean
  clients: ScaleClient[]
}

export interface ScaleResult {
  setup: {
    rate: string
    rateBitsPerSecond: number
    delayMs: number
    /** bundle size / rate: one transfer at line rate, headers not counted */
    lineRateSeconds: number
    bundleBytes: number
    bundleFile: string
    repo: string
    /** the project's commit (and whether src/ had uncommitted changes) the executables were built from */
    commit: string
    infoHash: string
    pieceLength: number | null
    counts: number[]
    cases: ScaleCaseName[]
    cpus: number
    netns: { name: string, rootIf: string, nsIf: string, rootAddr: string, nsAddr: string, qdisc: string }
    commands: Record<string, string>
  }
  rows: ScaleRow[]
  targets: {
    /** seeder upload (interface bytes) at the largest N over the bundle size, bittorrent */
    uploadRatioAtMaxN: number | null
    uploadOk: boolean | null
    /** all-done(max N) / all-done(N=1), bittorrent, whole clones */
    timeRatioAtMaxN: number | null
    /** the same for the downloads alone */
    downloadTimeRatioAtMaxN: number | null
    timeOk: boolean | null
    httpUploadRatioAtMaxN: number | null
    httpTimeRatioAtMaxN: number | null
    /** every case at its largest N: seeder upload / bundle, and all-done time over the same case's N = 1 */
    perCase: Array<{ case: ScaleCaseName, n: number, uploadRatio: number, timeRatio: number | null }>
  }
}

export interface ScaleOptions {
  /** a bare repository to publish (copied with git clone --mirror; never written to) */
  repoDir?: string
  counts?: number[]
  /** tc rate (e.g. 40mbit) or 'auto': one transfer of the bundle takes about 20 s at line rate */
  rate?: string
  /** netem delay each way on the veth (ms), default 5 */
  delayMs?: number
  cases?: ScaleCaseName[]
  log?: (s: string) => void
}

const NS = { name: 'gtm-bench-seed', rootIf: 'gtmb0', nsIf: 'gtmb1', subnet: '10.213.0' }
const AUTO_SECONDS = 20
const here = path.dirname(fileURLToPath(import.meta.url))
const RUN_BIN = path.join(here, 'scale', 'run-bin.js')
const HTTP_SERVE = path.join(here, 'scale', 'http-serve.js')

export async function runScale (o: ScaleOptions = {}): Promise<ScaleResult> {
  const log = o.log ?? (() => {})
  const counts = o.counts ?? [1, 4, 8]
  const cases = o.cases ?? ['bittorrent', 'http']
  const delayMs = o.delayMs ?? 5
  if (counts.length === 0 || counts.some(n => !Number.isInteger(n) || n < 1 || n > 64)) throw new Error('counts must be integers 1..64')

  let te: TestEnv | undefined
  let netns: Netns | undefined
  let server: GitServer | undefined
  let tracker: BenchTracker | undefined
  let cleaning: Promise<void> | undefined
  const cleanup = async (): Promise<void> => await (cleaning ??= (async () => {
    await killAll().catch(() => {})
    await tracker?.close().catch(() => {})
    await server?.close().catch(() => {})
    await netns?.remove().catch(err => log(`cleanup: ${(err as Error).message}`))
    await te?.cleanup().catch(() => {})
  })())
  const interrupted = { by: null as NodeJS.Signals | null }
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupted.by = sig
    log(`${sig}: cleaning up`)
    void cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  try {
    te = await makeTestEnv('gtm-bench-scale-')
    const { env, dir } = te
    log(`work dir ${dir}`)
    netns = await createNetns(NS)
    log(`namespace ${netns.name}: ${netns.rootIf} ${netns.rootAddr} <-> ${netns.nsIf} ${netns.nsAddr}`)

    // The origin: a copy of the given repository, or a generated one; smart HTTP on 127.0.0.1 (clients and the maintainer only).
    const srv = path.join(dir, 'srv')
    const origin = path.join(srv, 'project.git')
    await mkdir(srv, { recursive: true })
    if (o.repoDir !== undefined) {
      log(`copying ${o.repoDir}`)
      await git(['clone', '--quiet', '--mirror', path.resolve(o.repoDir), origin], { cwd: dir, env })
      // only branches, tags and HEAD are published; other refs of the source would just slow the copy
    } else {
      log('generating a repository (4 x 8 MiB incompressible files, 40 commits)')
      await makeRepo(origin, { commits: 40, binaryFiles: 4, binaryBytes: 8 * 2 ** 20 }, { env, bare: true })
    }
    server = await startGitServer({ root: srv, env })
    const originUrl = server.url('project.git')

    // The tracker on the root end of the veth, so the seeder's namespace reaches it too. One port for the
    // whole run; restarted empty for every round.
    tracker = await startBenchTracker(netns.rootAddr)
    const trackerPort = tracker.port
    const net = ['--tracker', tracker.announceUrl, '--no-dht', '--no-lsd', '--no-upnp']

    const work = path.join(dir, 'maintainer')
    await git(['clone', '--quiet', originUrl, work], { cwd: dir, env })
    const publishArgs = [...net, '--json', '--quiet']
    const pub = await runProcess(process.execPath, [RUN_BIN, 'mirror-publish', ...publishArgs], { cwd: work, env, timeoutMs: 600_000 })
    if (pub.code !== 0) throw new Error(`mirror-publish failed (${pub.code}):\n${pub.stderr}`)
    const published = JSON.parse(pub.stdout) as {
      store: string, bundle: { path: string, size: number }, torrent: string, infoHash: string, webSeeds: string[], records: { http: string | null }
    }
    if (published.webSeeds.length !== 0 || published.records.http !== null) throw new Error(`the publish advertises HTTP sources (${published.webSeeds.join(' ')}): they would bypass the limited seeder`)
    const bundleBytes = published.bundle.size
    const pieceLength = await torrentPieceLength(published.torrent)
    log(`published ${path.basename(published.bundle.path)}: ${formatBytes(bundleBytes)}, infohash ${published.infoHash}, pieces of ${pieceLength === null ? '?' : formatBytes(pieceLength)}`)

    const rate = o.rate === undefined || o.rate === 'auto' ? autoRate(bundleBytes) : o.rate
    const rateBits = parseRate(rate)
    const lineRateSeconds = bundleBytes * 8 / rateBits
    const shaped = await netns.shape(rate, delayMs)
    const qdisc = shaped.qdisc
    if (shaped.delayMs !== delayMs) log(`no netem in this kernel (tc: unknown qdisc kind): no added delay, only the rate limit`)
    log(`seeder upload limited to ${rate} (${formatBytes(rateBits / 8)}/s): the bundle takes ${lineRateSeconds.toFixed(1)} s at line rate; qdisc ${qdisc}`)

    const seedArgs = ['--store', published.store, ...net, '--json', '--status-interval', '5']
    const cloneArgs = (cache: string, dest: string): string[] => [...net, '--json', '--timeout', '120', '--cache', cache, originUrl, dest]
    const r: ScaleResult = {
      setup: {
        rate,
        rateBitsPerSecond: rateBits,
        delayMs: shaped.delayMs,
        lineRateSeconds: round(lineRateSeconds),
        bundleBytes,
        bundleFile: published.bundle.path,
        repo: o.repoDir ?? 'generated: fixtures/make-repo.ts, 40 commits, 4 x 8 MiB binary files',
        commit: await sourceCommit(env),
        infoHash: published.infoHash,
        pieceLength,
        counts,
        cases,
        cpus: (await import('node:os')).availableParallelism(),
        netns: { name: netns.name, rootIf: netns.rootIf, nsIf: netns.nsIf, rootAddr: netns.rootAddr, nsAddr: netns.nsAddr, qdisc },
        commands: {
          seeder: `ip netns exec ${netns.name} mirror-seed ${seedArgs.join(' ')}`,
          client: `mirror-clone ${cloneArgs('<cache>', '<dir>').join(' ')}`,
          http: `curl -sS --fail -o <file> http://${netns.nsAddr}:<port>/${path.basename(published.bundle.path)}  (server: ip netns exec ${netns.name} node bench/scale/http-serve.js)`,
          aria2: `aria2c --no-conf=true --enable-dht=false --bt-enable-lpd=false --enable-peer-exchange=false --seed-time=0 ... ${path.basename(published.torrent)}`,
          'bundle-uri': `git clone --bundle-uri=http://${netns.nsAddr}:<port>/${path.basename(published.bundle.path)} ${originUrl} <dir>`,
          tc: shaped.delayMs > 0
            ? `tc -n ${netns.name} qdisc add dev ${netns.nsIf} root handle 1: netem delay ${delayMs}ms; tc -n ${netns.name} qdisc add dev ${netns.nsIf} parent 1:1 handle 10: tbf rate ${rate} ...; tc qdisc add dev ${netns.rootIf} root netem delay ${delayMs}ms`
            : `tc -n ${netns.name} qdisc add dev ${netns.nsIf} root tbf rate ${rate} burst ... latency 50ms`
        }
      },
      rows: [],
      targets: { uploadRatioAtMaxN: null, uploadOk: null, timeRatioAtMaxN: null, downloadTimeRatioAtMaxN: null, timeOk: null, httpUploadRatioAtMaxN: null, httpTimeRatioAtMaxN: null, perCase: [] }
    }
    // Generous bounds: even N full transfers one after the other, plus the clones' own work.
    const roundDeadlineMs = (n: number): number => Math.round((120 + 3 * n * lineRateSeconds) * 1000)
    const ns = netns

    for (const n of counts) {
      for (const c of cases) {
        if (interrupted.by !== null) throw new Error(`interrupted by ${interrupted.by}`)
        const roundDir = path.join(dir, `round-${c}-${n}`)
        await mkdir(roundDir, { recursive: true })
        await tracker.close()
        tracker = await startBenchTracker(ns.rootAddr, trackerPort)
        log(`-- ${c}, N = ${n}`)
        server.resetStats()
        let row: ScaleRow
        if (c === 'bittorrent' || c === 'aria2') {
          row = await bittorrentRound({ interrupted, n, ns, env, roundDir, tracker, infoHash: published.infoHash, seedArgs, cloneArgs, work, bundleBytes, rateBytesPerSecond: rateBits / 8, deadlineMs: roundDeadlineMs(n), log, aria2: c === 'aria2' ? published.torrent : null })
        } else {
          row = await httpRound({ interrupted, n, ns, env, roundDir, bundleFile: published.bundle.path, bundleBytes, rateBytesPerSecond: rateBits / 8, originUrl, bundleUri: c === 'bundle-uri', deadlineMs: roundDeadlineMs(n), log })
        }
        row.originBytes = server.bytesSent
        r.rows.push(row)
        log(`   all done ${row.allDoneSeconds} s (downloads ${row.downloadsDoneSeconds} s), seeder sent ${formatBytes(row.seederTxBytes)} = ${row.uploadRatio} x bundle${row.ok ? '' : '  (NOT ALL CLIENTS OK)'}`)
        await rm(roundDir, { recursive: true, force: true, maxRetries: 3 })
        await delay(500)   // let sockets of the round close before the next one counts bytes
      }
    }
    r.targets = targets(r.rows)
    return r
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await cleanup()
  }
}

interface RoundCommon {
  /** set by SIGINT/SIGTERM: start nothing more */
  interrupted: { by: NodeJS.Signals | null }
  n: number
  ns: Netns
  env: NodeJS.ProcessEnv
  roundDir: string
  bundleBytes: number
  rateBytesPerSecond: number
  deadlineMs: number
  log: (s: string) => void
}

/** A client's own HOME, XDG dirs and global git config: nothing shared between clients. */
async function clientEnv (base: NodeJS.ProcessEnv, dir: string): Promise<NodeJS.ProcessEnv> {
  const env = pinnedEnv(dir, base)
  await mkdir(path.join(env.HOME!, '.config'), { recursive: true })
  await mkdir(path.join(env.HOME!, '.cache'), { recursive: true })
  await copyFile(base.GIT_CONFIG_GLOBAL!, env.GIT_CONFIG_GLOBAL!)
  return env
}

async function bittorrentRound (o: RoundCommon & {
  tracker: BenchTracker, infoHash: string, seedArgs: string[], cloneArgs: (cache: string, dest: string) => string[], work: string
  /** the .torrent: aria2c downloads it instead of mirror-clone cloning */
  aria2: string | null
}): Promise<ScaleRow> {
  // A fresh seeder per round: no peers, choke state or counters carried over. The store's bundle
  // was verified at publish, so it starts without hashing.
  const seeder = startProcess(o.ns.execPrefix()[0]!, [...o.ns.execPrefix().slice(1), process.execPath, RUN_BIN, 'mirror-seed', ...o.seedArgs], { cwd: o.work, env: o.env })
  try {
    await seeder.waitFor(/^seeding \d+ bundle/, { stream: 'stderr', timeoutMs: 60_000 })
    await waitFor(() => o.tracker.announces.some(a => a.infoHash === o.infoHash && a.left === 0 && a.addr.startsWith(o.ns.nsAddr)), 30_000, 'the seeder announcing to the tracker')
    const measured = await runClients(o, async (env, cwd, t0) => {
      if (o.aria2 !== null) {
        const res = await runProcess('aria2c', await aria2ScaleArgs(o.aria2, cwd, o.deadlineMs), { cwd, env, timeoutMs: o.deadlineMs })
        const doneAt = round((Date.now() - t0) / 1000)
        const size = await stat(path.join(cwd, 'dl', path.basename(o.aria2, '.torrent'))).then(st => st.size, () => -1)
        const ok = res.code === 0 && size === o.bundleBytes
        return { doneAt, downloadDoneAt: doneAt, seconds: doneAt, ok, ...(ok ? {} : { error: `aria2c exit ${res.code}, ${size} bytes: ${res.stdout.slice(-500)}` }) }
      }
      const res = await runTimed(process.execPath, [RUN_BIN, 'mirror-clone', ...o.cloneArgs(path.join(cwd, 'cache'), 'clone')], { cwd, env, timeoutMs: o.deadlineMs, t0 })
      const doneAt = (Date.now() - t0) / 1000
      const progress = res.lines.flatMap(([at, l]): Array<[number, number, number]> => {
        const m = /^download\s+(\d+)%.*\bpeers (\d+)/.exec(l)
        return m === null ? [] : [[at, Number(m[1]), Number(m[2])]]
      })
      if (res.code !== 0) return { doneAt, downloadDoneAt: doneAt, seconds: doneAt, ok: false, error: `exit ${res.code}: ${res.stderr.trim().split('\n').pop() ?? ''}` }
      const report = parseReport(res.stdout)
      const s = report.seconds
      const afterDownload = (s.total ?? 0) - (s.discover ?? 0) - (s.download ?? 0)
      const ok = report.method === 'torrent' && report.bytes.webSeed === 0
      return {
        doneAt: round(doneAt),
        downloadDoneAt: round(doneAt - afterDownload),
        seconds: s.total ?? doneAt,
        report,
        progress,
        ok,
        ...(ok ? {} : { error: `method ${report.method}${report.fallbackReason === null ? '' : `: ${report.fallbackReason}`}, webSeed ${report.bytes.webSeed}` })
      }
    })
    const payload = await stopSeeder(seeder)
    const clients = measured.clients
    // aria2c: every client got the whole bundle from peers (no web seed in the torrent)
    const swarm = o.aria2 === null ? clients.reduce((s, c) => s + (c.report?.bytes.swarm ?? 0), 0) : o.n * o.bundleBytes
    return {
      ...rowOf(o, measured),
      case: o.aria2 === null ? 'bittorrent' : 'aria2',
      medianDownloadSeconds: o.aria2 === null ? round(median(clients.map(c => c.report?.seconds.download ?? NaN))) : null,
      seederPayloadBytes: payload,
      swarmBytes: swarm,
      peerToPeerBytes: payload === null ? null : swarm - payload,
      webSeedBytes: o.aria2 === null ? clients.reduce((s, c) => s + (c.report?.bytes.webSeed ?? 0), 0) : null
    }
  } finally {
    await seeder.stop('SIGTERM', 10_000)
  }
}

/** What runClients measured of a round. */
interface Measured { clients: ScaleClient[], allDone: number, tx: number, txPerSecond: number[] }

/**
 * Starts the round's N clients at once (each in its own directory and
 * environment) and waits for all: the seeder interface's tx bytes over the
 * round, sampled each second too. A client that throws is a failed client.
 */
async function runClients (o: RoundCommon, one: (env: NodeJS.ProcessEnv, cwd: string, t0: number) => Promise<ScaleClient>): Promise<Measured> {
  const envs: NodeJS.ProcessEnv[] = []
  for (let i = 0; i < o.n; i++) envs.push(await clientEnv(o.env, path.join(o.roundDir, `client-${i}`)))
  const before = await o.ns.counters()
  if (o.interrupted.by !== null) throw new Error(`interrupted by ${o.interrupted.by}`)
  const t0 = Date.now()
  const sampler = sampleTx(o.ns)
  const clients = await Promise.all(envs.map(async (env, i): Promise<ScaleClient> => {
    try {
      return await one(env, path.join(o.roundDir, `client-${i}`), t0)
    } catch (err) {
      const doneAt = round((Date.now() - t0) / 1000)
      return { doneAt, downloadDoneAt: doneAt, seconds: doneAt, ok: false, error: (err as Error).message.split('\n')[0]! }
    }
  }))
  const allDone = (Date.now() - t0) / 1000
  const after = await o.ns.counters()
  const txPerSecond = await sampler.stop()
  for (const c of clients) if (!c.ok) o.log(`   client failed: ${c.error ?? '?'}`)
  return { clients, allDone, tx: after.txBytes - before.txBytes, txPerSecond }
}

/** The figures every case's row has. */
function rowOf (o: RoundCommon, m: Measured): Omit<ScaleRow, 'case' | 'medianDownloadSeconds' | 'seederPayloadBytes' | 'swarmBytes' | 'peerToPeerBytes' | 'webSeedBytes'> {
  const downloadsDone = Math.max(...m.clients.map(c => c.downloadDoneAt))
  return {
    n: o.n,
    allDoneSeconds: round(m.allDone),
    downloadsDoneSeconds: round(downloadsDone),
    medianClientSeconds: round(median(m.clients.map(c => c.seconds))),
    seederTxBytes: m.tx,
    uploadRatio: round(m.tx / o.bundleBytes),
    txPerSecond: m.txPerSecond,
    linkBusy: round(m.tx / (o.rateBytesPerSecond * downloadsDone)),
    originBytes: 0,
    ok: m.clients.every(c => c.ok),
    clients: m.clients
  }
}

/** aria2c as the test helpers run it (no DHT, LPD, PEX, config file), but on every interface: the seeder is not on loopback. */
async function aria2ScaleArgs (torrent: string, cwd: string, deadlineMs: number): Promise<string[]> {
  const ports = [await freePort(), await freePort(), await freePort()]
  return aria2Args(torrent, path.join(cwd, 'dl'), ports, { timeoutMs: deadlineMs, stallSeconds: 120 }).filter(a => !a.startsWith('--interface='))
}

/** The seeder interface's tx bytes, sampled every second until stop(). */
function sampleTx (ns: Netns): { stop: () => Promise<number[]> } {
  const perSecond: number[] = []
  let last: number | null = null
  let stopped = false
  const loop = (async () => {
    let next = Date.now()
    while (!stopped) {
      const tx = await ns.counters().then(c => c.txBytes, () => null)
      if (tx !== null) {
        if (last !== null) perSecond.push(tx - last)
        last = tx
      }
      next += 1000
      await delay(Math.max(0, next - Date.now()))
    }
  })()
  return { stop: async () => { stopped = true; await loop; return perSecond } }
}

/** runProcess, plus the time each stderr line arrived (seconds since t0). */
async function runTimed (command: string, args: string[], o: { cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number, t0: number }): Promise<RunResult & { lines: Array<[number, string]> }> {
  const p = startProcess(command, args, { cwd: o.cwd, env: o.env })
  const lines: Array<[number, string]> = []
  let partial = ''
  p.child.stderr?.on('data', (chunk: string | Buffer) => {
    const at = (Date.now() - o.t0) / 1000
    const text = partial + chunk.toString()
    const parts = text.split('\n')
    partial = parts.pop() ?? ''
    for (const l of parts) lines.push([round(at), l])
  })
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; void p.stop('SIGTERM', 2000) }, o.timeoutMs)
  const st = await p.exited.finally(() => clearTimeout(timer))
  if (timedOut) throw new Error(`${path.basename(args[1] ?? command)} timed out after ${o.timeoutMs} ms: ${p.stderr().trim().split('\n').pop() ?? ''}`)
  if (st.error !== undefined) throw new Error(`cannot run ${command}: ${st.error.message}`)
  return { code: st.code, signal: st.signal, stdout: p.stdout(), stderr: p.stderr(), lines }
}

async function stopSeeder (seeder: Running): Promise<number | null> {
  await seeder.stop('SIGTERM', 10_000)
  for (const line of seeder.stdout().split('\n').reverse()) {
    if (!line.startsWith('{')) continue
    try {
      const e = JSON.parse(line) as { event?: string, uploaded?: number }
      if (e.event === 'summary' && typeof e.uploaded === 'number') return e.uploaded
    } catch { /* not a JSON line */ }
  }
  return null
}

async function httpRound (o: RoundCommon & { bundleFile: string, originUrl: string, bundleUri: boolean }): Promise<ScaleRow> {
  const srv = startProcess(o.ns.execPrefix()[0]!, [...o.ns.execPrefix().slice(1), process.execPath, HTTP_SERVE, '--host', o.ns.nsAddr, '--file', o.bundleFile], { cwd: o.roundDir, env: o.env })
  try {
    const m = await srv.waitFor(/^\{"port":/, { stream: 'stdout', timeoutMs: 30_000 })
    const url = (JSON.parse(m.input!) as { url: string }).url
    const measured = await runClients(o, async (env, cwd, t0) => {
      if (o.bundleUri) {
        const res = await runProcess('git', ['clone', '--quiet', `--bundle-uri=${url}`, o.originUrl, 'clone'], { cwd, env, timeoutMs: o.deadlineMs })
        const doneAt = round((Date.now() - t0) / 1000)
        return { doneAt, downloadDoneAt: doneAt, seconds: doneAt, ok: res.code === 0, ...(res.code === 0 ? {} : { error: `git clone exit ${res.code}: ${res.stderr.trim()}` }) }
      }
      const res = await runProcess('curl', ['-sS', '--fail', '-o', path.join(cwd, 'bundle'), '-w', '%{time_total} %{size_download}', url], { cwd, env, timeoutMs: o.deadlineMs })
      const doneAt = round((Date.now() - t0) / 1000)
      const [secs, size] = res.stdout.trim().split(' ').map(Number)
      const ok = res.code === 0 && size === o.bundleBytes
      return { doneAt, downloadDoneAt: doneAt, seconds: secs ?? doneAt, ok, ...(ok ? {} : { error: `curl exit ${res.code}, ${size} bytes: ${res.stderr.trim()}` }) }
    })
    await srv.stop('SIGTERM', 5000)
    const last = srv.stdout().trim().split('\n').pop() ?? ''
    const served = last.includes('bytesSent') ? (JSON.parse(last) as { bytesSent: number }).bytesSent : null
    return {
      ...rowOf(o, measured),
      case: o.bundleUri ? 'bundle-uri' : 'http',
      medianDownloadSeconds: null,
      seederPayloadBytes: served,
      swarmBytes: null,
      peerToPeerBytes: null,
      webSeedBytes: null
    }
  } finally {
    await srv.stop('SIGTERM', 5000)
  }
}

function targets (rows: ScaleRow[]): ScaleResult['targets'] {
  const of = (c: ScaleCaseName): ScaleRow[] => rows.filter(r => r.case === c).sort((a, b) => a.n - b.n)
  const bt = of('bittorrent')
  const http = of('http')
  const first = bt.find(r => r.n === 1)
  const top = bt.length > 0 ? bt[bt.length - 1]! : undefined
  const hFirst = http.find(r => r.n === 1)
  const hTop = http.length > 0 ? http[http.length - 1]! : undefined
  const timeRatio = first !== undefined && top !== undefined && top.n > 1 ? round(top.allDoneSeconds / first.allDoneSeconds) : null
  return {
    uploadRatioAtMaxN: top?.uploadRatio ?? null,
    uploadOk: top === undefined ? null : top.ok && top.uploadRatio <= 2,
    timeRatioAtMaxN: timeRatio,
    downloadTimeRatioAtMaxN: first !== undefined && top !== undefined && top.n > 1 ? round(top.downloadsDoneSeconds / first.downloadsDoneSeconds) : null,
    timeOk: timeRatio === null ? null : top!.ok && timeRatio <= 2.5,
    httpUploadRatioAtMaxN: hTop?.uploadRatio ?? null,
    httpTimeRatioAtMaxN: hFirst !== undefined && hTop !== undefined && hTop.n > 1 ? round(hTop.allDoneSeconds / hFirst.allDoneSeconds) : null,
    perCase: (['bittorrent', 'aria2', 'http', 'bundle-uri'] as const).flatMap(c => {
      const rs = of(c)
      const one = rs.find(r => r.n === 1)
      const max = rs[rs.length - 1]
      if (max === undefined) return []
      return [{ case: c, n: max.n, uploadRatio: max.uploadRatio, timeRatio: one !== undefined && max.n > 1 ? round(max.allDoneSeconds / one.allDoneSeconds) : null }]
    })
  }
}

export function scaleMarkdown (r: ScaleResult): string {
  const s = r.setup
  const mib = (n: number | null): string => n === null ? '-' : (n / 2 ** 20).toFixed(1)
  const lines = [
    '## Scale: one rate-limited seeder, N clients at once',
    '',
    `Seeder host: network namespace \`${s.netns.name}\` (${s.netns.nsAddr}, veth \`${s.netns.nsIf}\`), its upload limited by tc to **${s.rate}** ` +
      `with ${s.delayMs} ms netem delay each way; clients, tracker and origin in the root namespace (${s.netns.rootAddr}, \`${s.netns.rootIf}\`), ` +
      'reaching each other unlimited. ' +
      `Bundle ${formatBytes(s.bundleBytes)} (${s.bundleBytes} bytes${s.pieceLength === null ? '' : `, pieces of ${formatBytes(s.pieceLength)}`}); ` +
      `one transfer at line rate takes ${s.lineRateSeconds} s. ${s.cpus} CPUs. Repository: ${s.repo}.`,
    '',
    '"seeder upload" is what the seeder\'s interface sent during the round (tx_bytes, IP/TCP headers included, about 3-5 % over the payload); ' +
      '"payload" is what the seeder process counted (mirror-seed\'s summary, or the HTTP server\'s body bytes). ' +
      '"all done" runs from starting the N clients until the last exits; for mirror-clone "downloads done" stops when the last client had the whole bundle ' +
      '(before indexing and the origin fetch, which run on the same CPUs for all clients). ' +
      '"link busy" is the seeder upload over what the limited link could carry until the downloads were done. ' +
      '"between clients" is the sum of the clients\' bytes.swarm minus the seeder\'s payload; "origin sent" is what the git server sent (all clients).',
    '',
    '| case | N | all done (s) | downloads done (s) | per-client median (s) | seeder upload (MiB) | payload (MiB) | upload / bundle | link busy | between clients (MiB) | origin sent (MiB) | ok |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|'
  ]
  for (const row of r.rows) {
    const median = row.medianDownloadSeconds === null ? `${row.medianClientSeconds}` : `${row.medianClientSeconds} (download ${row.medianDownloadSeconds})`
    lines.push(`| ${row.case} | ${row.n} | ${row.allDoneSeconds} | ${row.downloadsDoneSeconds} | ${median} | ${mib(row.seederTxBytes)} | ${mib(row.seederPayloadBytes)} | ${row.uploadRatio} | ${Math.round(100 * row.linkBusy)} % | ${mib(row.peerToPeerBytes)} | ${mib(row.originBytes)} | ${row.ok ? 'yes' : 'NO'} |`)
  }
  const t = r.targets
  const maxN = Math.max(...s.counts)
  lines.push('')
  if (t.uploadRatioAtMaxN !== null) {
    lines.push(`Target at N = ${maxN}, BitTorrent: seeder upload <= 2 x bundle: **${t.uploadRatioAtMaxN} x, ${t.uploadOk === true ? 'met' : 'not met'}**; ` +
      `all done within 2.5 x the time of N = 1: **${t.timeRatioAtMaxN ?? '-'} x, ${t.timeOk === true ? 'met' : t.timeOk === false ? 'not met' : 'not measured'}** ` +
      `(downloads alone: ${t.downloadTimeRatioAtMaxN ?? '-'} x).`)
  }
  for (const p of t.perCase) {
    if (p.case === 'bittorrent') continue
    lines.push(`${p.case} at N = ${p.n}: seeder upload ${p.uploadRatio} x bundle, all done in ${p.timeRatio ?? '-'} x the time of its N = 1.`)
  }
  if (s.cases.includes('aria2')) {
    lines.push('', 'aria2: N aria2c (rarest-first piece selection) downloading the same torrent from the same mirror-seed: ' +
      'what the seeder and the swarm allow with another client\'s piece selection.')
  }
  lines.push('', 'Commands:', '```')
  for (const [k, v] of Object.entries(s.commands)) {
    if (k === 'seeder' || k === 'tc' || (k === 'client' ? s.cases.includes('bittorrent') : s.cases.includes(k as ScaleCaseName))) lines.push(`${k}: ${v}`)
  }
  lines.push('```', '')
  return lines.join('\n')
}

// ---- helpers

function parseReport (stdout: string): NonNullable<ScaleClient['report']> {
  const text = stdout.trim()
  const json = (() => {
    try { return JSON.parse(text) as Record<string, unknown> } catch {
      const line = text.split('\n').reverse().find(l => l.startsWith('{'))
      if (line === undefined) throw new Error(`mirror-clone printed no JSON report: ${text.slice(0, 200)}`)
      return JSON.parse(line) as Record<string, unknown>
    }
  })()
  return {
    method: String(json.method),
    fallbackReason: (json.fallbackReason as string | null) ?? null,
    seconds: json.seconds as Record<string, number>,
    bytes: json.bytes as { swarm: number, webSeed: number, origin: number }
  }
}

async function sourceCommit (env: NodeJS.ProcessEnv): Promise<string> {
  const root = path.resolve(here, '..', '..')
  try {
    const head = await git(['rev-parse', '--short=12', 'HEAD'], { cwd: root, env })
    const dirty = await git(['status', '--porcelain', '--', 'src'], { cwd: root, env })
    return dirty === '' ? head : `${head} + uncommitted changes in src/`
  } catch { return 'unknown' }
}

async function torrentPieceLength (file: string): Promise<number | null> {
  try {
    const { readFile } = await import('node:fs/promises')
    const m = /12:piece lengthi(\d+)e/.exec((await readFile(file)).toString('latin1'))
    return m === null ? null : Number(m[1])
  } catch { return null }
}

/** A rate for which one transfer of the bundle takes about AUTO_SECONDS at line rate, in whole mbit (kbit below 1 mbit). */
export function autoRate (bundleBytes: number): string {
  const bits = bundleBytes * 8 / AUTO_SECONDS
  return bits >= 1e6 ? `${Math.max(1, Math.round(bits / 1e6))}mbit` : `${Math.max(64, Math.round(bits / 1e3))}kbit`
}

async function waitFor (fn: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await delay(100)
  }
}

function median (xs: number[]): number {
  const v = xs.filter(x => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return NaN
  const mid = Math.floor(v.length / 2)
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2
}

function round (x: number): number {
  return Math.round(x * 100) / 100
}

// ---- CLI

async function cli (argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      counts: { type: 'string' },
      rate: { type: 'string' },
      'delay-ms': { type: 'string' },
      repo: { type: 'string' },
      size: { type: 'string' },
      cases: { type: 'string' },
      'json-only': { type: 'boolean' }
    }
  })
  const o: ScaleOptions = { log: s => process.stderr.write(`${s}\n`) }
  if (values.counts !== undefined) o.counts = values.counts.split(',').map(Number)
  if (values.rate !== undefined) o.rate = values.rate
  if (values['delay-ms'] !== undefined) o.delayMs = Number(values['delay-ms'])
  if (values.repo !== undefined) o.repoDir = values.repo
  if (values.size !== undefined) {
    if (values.repo !== undefined) throw new Error('--repo and --size exclude each other')
    if (values.size !== 'small' && values.size !== 'large') throw new Error('--size is small or large')
    const specifier: string = './repo.js'   // the shared benchmark repository (bench/repo.ts)
    const { ensureBenchRepo } = await import(specifier) as { ensureBenchRepo: (size: string, o?: { log?: (s: string) => void }) => Promise<{ dir: string }> }
    o.repoDir = (await ensureBenchRepo(values.size, { log: o.log! })).dir
  }
  if (values.cases !== undefined) {
    const cs = values.cases.split(',')
    for (const c of cs) if (!['bittorrent', 'http', 'bundle-uri', 'aria2'].includes(c)) throw new Error(`unknown case ${c} (bittorrent, http, bundle-uri, aria2)`)
    o.cases = cs as ScaleCaseName[]
  }
  const r = await runScale(o)
  if (values['json-only'] !== true) process.stdout.write(scaleMarkdown(r) + '\n')
  process.stdout.write(JSON.stringify(r) + '\n')
}

if (isMain(import.meta.url)) {
  cli(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`scale: ${(err as Error).stack ?? String(err)}\n`)
    process.exitCode = 1
  })
}
