import path from 'node:path'
import { Command } from 'commander'
import { isMirrorError, MirrorError } from '../core/errors.js'
import { formatBytes } from '../core/format.js'
import { resolveNetworkOptions } from '../core/network-options.js'
import { openRepository, readMirrorConfig } from '../io/git/repository.js'
import { Git } from '../io/git/run-git.js'
import { defaultCacheDir } from '../io/store/cache-dir.js'
import { Store, type StoredBundle } from '../io/store/store.js'
import { seedingNetwork } from '../seed/seeding-network.js'
import { Seeder } from '../seed/seeder.js'
import type { SeedRemoteResult } from '../seed/seed-remote.js'
import { startSeeding } from '../seed/start-seeding.js'
import { addNetworkOptions, hostPort, maxSizeOption, networkFlags, positiveSeconds } from './network-flags.js'
import { originGit } from './origin-git.js'
import { Reporter } from './reporter.js'
import { runCli } from './run.js'
import { seedUntilStopped } from './seed-loop.js'
import { startFollowing } from './follow-loop.js'
import { serveStore } from '../service/store-http.js'
import type { Follower } from '../seed/follow.js'
import { stopSignal } from './stop-signal.js'

export function seedCommand (name: string): Command {
  const cmd = new Command(name)
    .description('Seed published bundles: those in the store, or those the given remotes publish under refs/mirrors/bundle/*.')
    .argument('[remote-url...]', 'remotes whose published bundle is downloaded into the store and seeded')
    .option('--store <dir>', 'the store (default: <git-dir>/mirror in a repository; with remote URLs outside one, $XDG_CACHE_HOME/git-torrent-mirror)')
    .option('--duration <seconds>', 'stop after this many seconds, print the summary and exit', positiveSeconds)
    .option('--timeout <seconds>', 'give up a download when no data arrives for this long', positiveSeconds, 120)
    .addOption(maxSizeOption())
    .option('--status-interval <seconds>', 'seconds between status lines', positiveSeconds, 10)
    .option('--trust <key>', 'with remote URLs: trust this public key ("ssh-ed25519 AAAA...") to sign for them; a bundle that does not match a push object it signed is not seeded (repeatable)', (v: string, p: string[] = []) => [...p, v])
    .option('--project <name>', 'with one remote URL: the project name its push object must carry (default: from the URL)')
    .option('--follow', 'keep running and pick up new publishes: of the remotes (their records, looked at every --follow-interval) and of the DHT pointers of what is seeded; the bundle replaced is seeded --grace longer')
    .option('--follow-interval <seconds>', 'with --follow: seconds between two looks at one remote or pointer, jittered', positiveSeconds, 300)
    .option('--http <host:port>', 'also serve the store over HTTP: /bundles/<file> (with Range: a web seed) and /<project>/bundle-list (for git clone --bundle-uri); port 0: any free one', hostPort)
    .option('--grace <seconds>', 'with --follow: how long a replaced bundle is still seeded', positiveSeconds, 3600)
    .option('--webrtc', 'also seed to browsers (WebRTC peers) that announce to the torrents\' ws:// or wss:// trackers (or --tracker ws://...); off by default: each is a node-datachannel connection')
  addNetworkOptions(cmd)
  cmd.addHelpText('after', `
Without remote URLs it seeds every bundle in the store (mirror-publish puts
them there); bundles whose size and mtime are unchanged since they were last
verified are not hashed again. With remote URLs (the CI reseeding job) it
reads each remote's refs/mirrors/bundle/torrent (else its magnet), downloads the bundle from
the swarm or its web seeds into the store (resuming a partial download),
checks it and seeds it, and then every increment of its bundle list
(refs/mirrors/bundle/list), each checked against the list's size and
SHA-256. With a key trusted for a remote (--trust, git config
mirror.trustedKey or mirror.<url>.trustedKey) its bundle must match a valid
push object signed by that key, as mirror-clone checks, or it is not seeded.
Status lines go to stderr (JSON lines on stdout with
--json); SIGINT/SIGTERM stop it cleanly with a summary.

Exit status: 0 when everything asked for was seeded, 1 when something could
not be (each reason is printed), 2 on wrong usage.

Examples:
  $ ${name}                                        # in a repository that published
  $ ${name} https://git.example.org/project.git --duration 3600`)
  return cmd.action(async (urls: string[]) => await runCli(name, async () => await runSeed(cmd, urls), { json: cmd.opts().json === true }))
}

async function runSeed (cmd: Command, urls: string[]): Promise<number> {
  // the origins of `urls` are asked once per run for credentials on a terminal; a seeder of its own store asks nothing
  const origin = urls.length > 0 ? await originGit() : { env: process.env, close: async () => {} }
  try {
    return await seedWith(origin.env, cmd, urls)
  } finally {
    await origin.close()
  }
}

async function seedWith (env: NodeJS.ProcessEnv, cmd: Command, urls: string[]): Promise<number> {
  const o = cmd.opts()
  const started = Date.now()
  const reporter = new Reporter({ quiet: o.quiet === true, json: o.json === true })
  const { storeDir, git } = await locateStore(o.store as string | undefined, urls.length > 0, env)
  const net = resolveNetworkOptions(networkFlags(cmd), await readMirrorConfig(git))
  const store = await Store.open(storeDir)
  const stop = stopSignal(o.duration === undefined ? undefined : (o.duration as number) * 1000)
  const { swarm, keeper, pointers, bootstrapped, close: closeNetwork } = await seedingNetwork(net, err => reporter.info(`${cmd.name()}: ${err.message}`), { webrtc: o.webrtc === true })
  keeper?.on('put', (e: { project: string, seq: number, nodes: number }) => reporter.event({ event: 'pointer', ...e },
    `DHT pointer of ${e.project} (seq ${e.seq}) put again: ${e.nodes === 0 ? 'the nodes held it' : `${e.nodes} nodes took it`}`))
  const seeder = new Seeder({ store, swarm, keeper })
  seeder.on('verified', (e: StoredBundle) => reporter.event({ event: 'verified', file: e.bundlePath },
    `${e.meta.file}: changed on disk since it was last verified; every piece verifies`))
  const ready: SeedRemoteResult[] = []
  let follower: Follower | null = null
  let http: { url: string, close: () => Promise<void> } | null = null
  try {
    const { failures } = await startSeeding({
      git,
      store,
      seeder,
      pointers,
      onProgress: (url, p) => reporter.progress({ ...p, phase: urls.length > 1 ? `${p.phase} ${shortUrl(url)}` : p.phase }),
      onReady: r => { ready.push(r); announce(reporter, r) },
      onFailure: (what, err) => reporter.error(`${cmd.name()}: ${what}: ${err.message}`, { what, code: err.code, message: err.message })
    }, {
      urls,
      maxSize: o.maxSize as number,
      stallTimeoutMs: (o.timeout as number) * 1000,
      trust: (o.trust as string[] | undefined) ?? [],
      ...(o.project === undefined ? {} : { project: o.project as string }),
      signal: stop.signal
    })
    if (seeder.status().length === 0) return 1
    if (o.http !== undefined) {
      const { host, port } = o.http as { host: string, port: number }
      http = await serveStore(store, { host, port })
      reporter.event({ event: 'http', url: http.url }, `serving the store over HTTP at ${http.url} (/bundles/<file>, /<project>/bundle-list)`)
    }
    if (o.follow === true) {
      follower = await startFollowing(reporter, { git, store, seeder, pointers, joined: bootstrapped }, ready, {
        intervalMs: (o.followInterval as number) * 1000,
        graceMs: (o.grace as number) * 1000,
        maxSize: o.maxSize as number,
        stallTimeoutMs: (o.timeout as number) * 1000,
        trust: (o.trust as string[] | undefined) ?? [],
        ...(o.project === undefined ? {} : { project: o.project as string }),
        deleteDropped: urls.length > 0 && o.store === undefined && storeDir === defaultCacheDir(),
        signal: stop.signal
      })
    }
    await seedUntilStopped(seeder, reporter, { signal: stop.signal, statusIntervalMs: (o.statusInterval as number) * 1000, started })
    return failures > 0 ? 1 : 0
  } finally {
    await http?.close()
    follower?.close()
    stop.dispose()
    await closeNetwork()
  }
}

/** --store, else the repository's <git-dir>/mirror, else (reseeding remotes) the user's cache. */
async function locateStore (store: string | undefined, haveUrls: boolean, env: NodeJS.ProcessEnv): Promise<{ storeDir: string, git: Git }> {
  const cwd = process.cwd()
  try {
    const repo = await openRepository(cwd, env)
    return { storeDir: store ?? path.join(repo.gitDir, 'mirror'), git: repo.git }
  } catch (err) {
    if (!isMirrorError(err, 'NOT_A_REPOSITORY')) throw err
    if (store === undefined && !haveUrls) {
      throw new MirrorError('NOT_A_REPOSITORY', 'not in a git repository: run it where you published, pass --store DIR, or name remote URLs to reseed')
    }
    return { storeDir: store ?? defaultCacheDir(), git: new Git(cwd, env) }
  }
}

function announce (reporter: Reporter, r: SeedRemoteResult): void {
  const how = r.downloaded === null
    ? 'already in the store'
    : `downloaded ${formatBytes(r.downloaded.fromPeers)} from peers, ${formatBytes(r.downloaded.fromWebSeeds)} from web seeds`
  reporter.event({ event: 'ready', url: r.url, infoHash: r.entry.meta.infoHash, file: r.entry.bundlePath, torrent: r.entry.torrentPath, pushObject: r.entry.meta.pushObject, size: r.entry.meta.size, downloaded: r.downloaded, increments: r.increments.map(e => ({ infoHash: e.meta.infoHash, file: e.bundlePath, size: e.meta.size })) },
    `${r.url}: ${r.entry.meta.file} (${formatBytes(r.entry.meta.size)}, ${r.entry.meta.infoHash}) ${how}${r.increments.length === 0 ? '' : `, and the ${r.increments.length} increment(s) of its bundle list (${formatBytes(r.increments.reduce((n, e) => n + e.meta.size, 0))})`}`)
}

function shortUrl (url: string): string {
  return url.replace(/^[a-z+]+:\/\//, '').slice(-40)
}
