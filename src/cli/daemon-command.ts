import path from 'node:path'
import { Command } from 'commander'
import { formatMessage, MAX_COMMAND_BYTES, parseCommand, type Message } from '../core/daemon-protocol.js'
import { isMirrorError } from '../core/errors.js'
import { resolveNetworkOptions } from '../core/network-options.js'
import { readDaemonConfig } from '../io/git/daemon-config.js'
import { openRepository, readMirrorConfig } from '../io/git/repository.js'
import { Store } from '../io/store/store.js'
import { Seeder } from '../seed/seeder.js'
import { seedingNetwork } from '../seed/seeding-network.js'
import { boundedLines } from '../service/bounded-lines.js'
import { Daemon } from '../service/daemon.js'
import { serveDaemon } from '../service/daemon-http.js'
import { DaemonMetrics } from '../service/daemon-metrics.js'
import { EmbeddedTracker } from '../service/embedded-tracker.js'
import type { HttpService } from '../service/listen-http.js'
import { statusView } from '../service/status-view.js'
import { pointerForPage } from '../service/clone-pointer.js'
import type { PointerDht } from '../io/dht/pointer-dht.js'
import { addNetworkOptions, hostPort, maxSizeOption, networkFlags, positiveSeconds } from './network-flags.js'
import { originGit } from './origin-git.js'
import { Reporter } from './reporter.js'
import { runCli } from './run.js'
import { stopSignal } from './stop-signal.js'

/** Default seconds between two looks at one remote (git config mirror.daemon.interval, --interval). */
const DEFAULT_INTERVAL_SECONDS = 300

export function daemonCommand (name: string): Command {
  const cmd = new Command(name)
    .description('Keep the bundles of a repository\'s remotes seeded, notice new publishes, and (with --foreground) tell them on stdout in git-remote-daemon\'s line protocol.')
    .option('--foreground', 'speak the line protocol on stdio: CHANGED, STATUS and ERROR lines out; PAUSE, RESUME, PUSH <remote> and RELOAD in; end of input stops it')
    .option('--interval <seconds>', 'seconds between two looks at one remote, jittered (default: git config mirror.daemon.interval, else 300)', positiveSeconds)
    .option('--store <dir>', 'where the bundles are kept and seeded from (default: <git-dir>/mirror)')
    .option('--timeout <seconds>', 'bounds one look at a remote, and a download that sends nothing for this long', positiveSeconds, 60)
    .option('--grace <seconds>', 'how long a bundle that left a remote\'s list (a new base) is still seeded', positiveSeconds, 3600)
    .option('--http <host:port>', 'serve a status page (/), /status.json, /metrics (Prometheus), the store\'s /bundles/<file> and /<project>/bundle-list, and a tracker for the daemon\'s own infohashes (/announce); port 0: any free one', hostPort)
    .option('--webrtc', 'also seed to browsers (WebRTC peers): with --http, every public torrent is announced to the daemon\'s own ws://HOST:PORT/announce too, where the page at /clone/ finds it; off by default: each peer is a node-datachannel connection')
    .addOption(maxSizeOption())
  addNetworkOptions(cmd)
  cmd.addHelpText('after', `
Run it in a repository; its git config says what to do:
  mirror.daemon.remote    the remotes to watch (multi-valued; default: all)
  mirror.daemon.interval  seconds between two looks at one remote (300)
  mirror.daemon.action    none (seed only, the default) or fetch (also
                          mirror-fetch a remote into this repository when
                          it publishes anew)
Each remote is looked at on its own timer (its refs/mirrors/*: one cheap
request pair over http(s), git ls-remote otherwise), so a slow or dead
remote never delays another. What a remote publishes (the bundle list's
base and increments) is downloaded into the store and seeded; a new
publish is noticed, downloaded and seeded too.

Without --foreground it runs until SIGINT or SIGTERM and logs to stderr:
start it from systemd or your service manager (examples/ has a unit).
With --foreground, stdout carries only the protocol, one message a line:
  CHANGED <remote> <ref> ...   the remote's records changed
  STATUS <remote> <text>       progress (<remote> is - for the daemon)
  ERROR <remote> <text>        a failure; the daemon goes on
and stdin takes:
  PAUSE          no network activity (looks, downloads) until RESUME
  RESUME
  PUSH <remote>  look at that remote now
  RELOAD         read git config again: added and removed remotes
A line that is not one of these, or is over ${MAX_COMMAND_BYTES} bytes, gets an
"ERROR - ..." line. End of input stops the daemon.

With --http HOST:PORT it says where it listens ("STATUS - http http://HOST:PORT")
and serves, read-only: / (status page), /status.json, /metrics,
/bundles/<file> (web seeds, Range), /<project>/bundle-list (for
git clone --bundle-uri=http://HOST:PORT/<project>/bundle-list <origin>),
/announce and /scrape (a tracker for the infohashes the daemon seeds, and
WebSocket announces at ws://HOST:PORT/announce), and /clone/, a page that
clones a watched remote (or a BEP 46 magnet) in the browser from WebRTC
peers (--webrtc: the daemon is one) and the daemon's web seed. Bind it to
loopback, or put it behind a proxy: it has no access control.

Exit status: 0 when stopped (end of input, SIGINT, SIGTERM); 1 when it
could not start (not a repository, a bad config value); 2 on wrong usage.`)
  return cmd.action(async () => await runCli(name, async () => await runDaemon(cmd), { json: false }))
}

async function runDaemon (cmd: Command): Promise<number> {
  const o = cmd.opts()
  const origin = await originGit()
  const repo = await openRepository(process.cwd(), origin.env)
  const config = await readDaemonConfig(repo.git)
  const net = resolveNetworkOptions(networkFlags(cmd), await readMirrorConfig(repo.git))
  const store = await Store.open((o.store as string | undefined) ?? path.join(repo.gitDir, 'mirror'))
  const foreground = o.foreground === true
  const reporter = new Reporter({ quiet: o.quiet === true, json: false })
  const address = o.http as { host: string, port: number } | undefined
  const metrics = address === undefined ? null : new DaemonMetrics({ daemon: () => daemon.status(), seeding: () => seeder.status() })
  const say = (m: Message): void => {
    metrics?.said(m)
    const line = formatMessage(m)
    if (foreground) process.stdout.write(line)
    else reporter.info(line.trimEnd())
  }
  const network = await seedingNetwork(net, err => say({ kind: 'ERROR', remote: '-', text: err.message }), { webrtc: o.webrtc === true })
  const stop = stopSignal()
  const seeder = new Seeder({ store, swarm: network.swarm, keeper: network.keeper })
  const daemon = new Daemon({ git: repo.git, store, seeder, pointers: network.pointers }, {
    intervalMs: ((o.interval as number | undefined) ?? config.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS) * 1000,
    timeoutMs: (o.timeout as number) * 1000,
    maxSize: o.maxSize as number,
    action: config.action ?? 'none',
    graceMs: (o.grace as number) * 1000,
    onMessage: say,
    onLook: remote => metrics?.look(remote)
  })
  let http: HttpService | null = null
  try {
    if (address !== undefined) http = await startHttp(address, { daemon, seeder, store, metrics: metrics!, pointers: network.pointers, timeoutMs: (o.timeout as number) * 1000 })
    say({ kind: 'STATUS', remote: '-', text: `watching ${config.remotes.map(r => r.name).join(', ') || 'no remote'}; store ${store.root}` })
    if (http !== null) say({ kind: 'STATUS', remote: '-', text: `http ${http.url}` })
    if (http !== null && o.webrtc === true) network.swarm.announceAlso([`${http.url.replace(/^http:/, 'ws:')}/announce`])   // before anything is seeded
    await seedStored(store, seeder, say)   // a restart seeds what it held at once, whether or not the remotes answer
    daemon.watch(config.remotes)
    if (foreground) await Promise.race([serveCommands(daemon, repo.git, say), aborted(stop.signal)])
    else await aborted(stop.signal)
    return 0
  } finally {
    stop.dispose()
    await http?.close()
    await daemon.close()
    await network.close()
    await origin.close()
  }
}

/** --http: the status page, metrics, the store's paths and the tracker, all on one address. */
async function startHttp (address: { host: string, port: number }, d: { daemon: Daemon, seeder: Seeder, store: Store, metrics: DaemonMetrics, pointers: PointerDht | null, timeoutMs: number }): Promise<HttpService> {
  const swarm = d.seeder.swarm
  const tracker = await EmbeddedTracker.open({
    seeds: infoHash => d.seeder.status().some(s => s.infoHash === infoHash),
    self: async () => {
      const port = await swarm.port()
      return port === null ? null : { peerId: await swarm.peerId(), port }
    },
    onAnnounce: accepted => d.metrics.announced(accepted)
  })
  try {
    return await serveDaemon({ store: d.store, metrics: d.metrics, tracker, clonePage: {
      records: async remote => await d.daemon.records(remote),
      pointer: async magnet => await pointerForPage({ pointers: d.pointers, store: d.store, timeoutMs: d.timeoutMs }, magnet)
    }, status: () => statusView(d.daemon.status(), d.seeder.status(), new Date()) }, address)
  } catch (err) {
    await tracker.close()
    throw err
  }
}

/** The stdio protocol's input, until end of input. */
async function serveCommands (daemon: Daemon, git: Parameters<typeof readDaemonConfig>[0], say: (m: Message) => void): Promise<void> {
  for await (const line of boundedLines(process.stdin, MAX_COMMAND_BYTES)) {
    const c = line === null ? { kind: 'invalid' as const, why: `a line over ${MAX_COMMAND_BYTES} bytes` } : parseCommand(line)
    switch (c.kind) {
      case 'invalid': say({ kind: 'ERROR', remote: '-', text: c.why }); break
      case 'PAUSE': daemon.pause(); break
      case 'RESUME': daemon.resume(); break
      case 'PUSH': daemon.push(c.remote); break
      case 'RELOAD':
        try {
          daemon.watch((await readDaemonConfig(git)).remotes)
          say({ kind: 'STATUS', remote: '-', text: `reloaded: watching ${daemon.remotes.join(', ') || 'no remote'}` })
        } catch (err) {
          if (!isMirrorError(err)) throw err
          say({ kind: 'ERROR', remote: '-', text: `RELOAD: ${err.message}; still watching ${daemon.remotes.join(', ') || 'no remote'}` })
        }
        break
    }
  }
}

/**
 * The store's bundles that are still listed somewhere (not retired),
 * seeded before the first look: those whose size and mtime are as last
 * verified are not hashed again. One that cannot be is an ERROR line.
 */
async function seedStored (store: Store, seeder: Seeder, say: (m: Message) => void): Promise<void> {
  const entries = (await store.list()).filter(e => e.meta.retired === null)
  let seeded = 0
  for (const e of entries) {
    try {
      await seeder.seed(e)
      seeded++
    } catch (err) {
      if (!isMirrorError(err)) throw err
      say({ kind: 'ERROR', remote: '-', text: `${e.meta.file}: ${err.message}` })
    }
  }
  if (entries.length > 0) say({ kind: 'STATUS', remote: '-', text: `seeding ${seeded} bundle(s) from the store` })
}

function aborted (signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    if (signal.aborted) resolve()
    else signal.addEventListener('abort', () => resolve(), { once: true })
  })
}
