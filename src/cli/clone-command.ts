import path from 'node:path'
import { Command } from 'commander'
import { clone, type CloneReport } from '../clone/clone.js'
import type { Destination } from '../clone/destination.js'
import { cloneDirName, type CloneMode } from '../core/clone-target.js'
import { MirrorError } from '../core/errors.js'
import { formatBytes, parseRate } from '../core/format.js'
import { parsePublicKey } from '../core/public-key.js'
import { resolveNetworkOptions } from '../core/network-options.js'
import { parseProtocolList, parseSourceList } from '../core/sources.js'
import { readMirrorConfig } from '../io/git/repository.js'
import { defaultCacheDir } from '../io/store/cache-dir.js'
import { Store } from '../io/store/store.js'
import { Seeder } from '../seed/seeder.js'
import { addGitCloneOptions, gitCloneChoices } from './git-clone-options.js'
import { addNetworkOptions, maxSizeOption, networkFlags, positiveSeconds, rateArgument } from './network-flags.js'
import type { Git } from '../io/git/run-git.js'
import { originGit } from './origin-git.js'
import { cloneNetwork, pointerDir, pointerOf } from './pointer-clone.js'
import { Reporter } from './reporter.js'
import { runCli, usage } from './run.js'
import { seedUntilStopped } from './seed-loop.js'
import { stopSignal } from './stop-signal.js'

export function cloneCommand (name: string): Command {
  const cmd = new Command(name)
    .description('Clone a repository like git clone, taking the bulk of it from the BitTorrent swarm of its published bundle.')
    .argument('<url>', 'the origin, as git clone takes it (https://, ssh://, host:path, git://, a local path)')
    .argument('[directory]', 'where to clone (default: from the URL, as git clone names it)')
    .option('--bare', 'make a bare repository, as git clone --bare')
    .option('--mirror', 'mirror every ref of the origin into a bare repository, as git clone --mirror')
    .option('-n, --no-checkout', 'do not check out HEAD')
  addGitCloneOptions(cmd)
  cmd
    .option('--sources <list>', 'the sources to try, in this order, before the origin: a comma list of torrent, http, mirror (default: all three; git config mirror.sources; "origin" alone: none)')
    .option('--timeout <seconds>', 'leave a source for the next one (the origin last) when it sends nothing, or too little, for this long; also bounds discovery', positiveSeconds, 60)
    .option('--min-rate <rate>', 'a source slower than this over a --timeout window is left for the next one (default 32K, i.e. 32 KiB/s; 0: any byte will do; git config mirror.minRate)', rateArgument)
    .addOption(maxSizeOption())
    .option('--cache <dir>', 'where partial downloads (and kept bundles) live (default: $XDG_CACHE_HOME/git-torrent-mirror)')
    .option('--keep-bundle', 'keep the downloaded bundle in the cache (default: delete it once the clone is complete)')
    .option('--seed', 'after the clone, seed the bundle until interrupted (keeps it in the cache)')
    .option('--duration <seconds>', 'with --seed: stop seeding after this many seconds', positiveSeconds)
    .option('--status-interval <seconds>', 'with --seed: seconds between status lines', positiveSeconds, 10)
    .option('--trust <key>', 'trust this public key ("ssh-ed25519 AAAA...") to sign for the origin, for this run; the bundle must then match a push object it signed (repeatable)', (v: string, p: string[] = []) => [...p, v])
    .option('--project <name>', 'the project name a push object must carry (default: from the URL, as mirror-publish names it)')
    .option('--origin-url <url>', 'with a BEP 46 magnet: the origin to configure as the remote and fetch what is newer from (skipped, with a notice, when it does not answer)')
  addNetworkOptions(cmd)
  cmd.addHelpText('after', `
It asks the origin for its refs and its records (refs/mirrors/*), then
tries the sources they name, in order, until one serves: the published
bundle from the BitTorrent swarm (peers from trackers and the DHT, web
seeds), the same bundle over plain HTTP(S) (refs/mirrors/bundle/http, with
Range resume), full git mirrors (refs/mirrors/fetch/git and fetch/http,
fetched with git). What a source brings is staged under
refs/mirror/<source>/* (git verifies every object), then the origin, the
authority, sends only what is newer; when the sources already hold every
ref it advertised, it is not contacted again. The result is what git
clone makes, remote configuration and checkout included.

A source that cannot serve (no record, a refused torrent, nothing or too
little within --timeout, a bundle git refuses, a mirror that is down) is
reported and the next one tried; without any, the clone comes from the
origin. Ctrl-C while a source is being tried skips to the next one; a
second Ctrl-C within 2 s (or one while nothing is being tried) stops the
clone and removes it. A partial download stays in the cache; a rerun
resumes it. Protocols a source may use: git config mirror.allowProtocols
(default https,http,ssh,git).

Signed publishes: when a key is trusted for the origin (--trust, or git
config mirror.trustedKey / mirror.<url>.trustedKey), a bundle is used only
if the push object it comes with is signed by that key, names the
project, has not expired, is not older than one accepted before (kept in
$XDG_STATE_HOME/git-torrent-mirror), and matches the bundle's size, SHA-256
and refs. Otherwise the next source is tried, and the check that failed
is named. The report then says "verified": "signature".

Exit status: 0 when the clone is complete (from a source or, after them,
from the origin), 1 when it failed (nothing is left behind but the
resumable download), 2 on wrong usage.

Examples:
  $ ${name} https://git.example.org/project.git
  $ ${name} --json --tracker http://tracker.example.org/announce URL dir
  $ ${name} --seed URL                       # and keep seeding for others
  $ ${name} --sources mirror,torrent URL       # a git mirror first, then the swarm`)
  return cmd.action(async (url: string, dir: string | undefined) => await runCli(name, async () => await runClone(cmd, url, dir), { json: cmd.opts().json === true }))
}

async function runClone (cmd: Command, url: string, dirArg: string | undefined): Promise<number> {
  const origin = await originGit()
  try {
    return await cloneWith(origin.git, cmd, url, dirArg)
  } finally {
    await origin.close()
  }
}

async function cloneWith (git: Git, cmd: Command, url: string, dirArg: string | undefined): Promise<number> {
  const o = cmd.opts()
  if (o.bare === true && o.mirror === true) throw new MirrorError('USAGE', '--bare and --mirror cannot be used together (--mirror implies --bare)')
  const mode: CloneMode = o.mirror === true ? 'mirror' : o.bare === true ? 'bare' : 'normal'
  const choices = usage(() => gitCloneChoices(o, mode))
  const trust = (o.trust as string[] | undefined) ?? []
  trust.forEach((k, i) => usage(() => parsePublicKey(k, `--trust value ${i + 1}`)))
  const seed = o.seed === true
  const reporter = new Reporter({ quiet: o.quiet === true, json: o.json === true })
  const config = await readMirrorConfig(git)
  const net = resolveNetworkOptions(networkFlags(cmd), config)
  const pointer = pointerOf(url, net)
  if (pointer !== null && choices.gitOnly !== undefined) throw new MirrorError('USAGE', `${choices.gitOnly.args[0]!.split('=')[0]!} asks git clone for part of an origin's history; a BEP 46 magnet has no origin to ask (clone it whole, or git clone the origin)`)
  const dir = dirArg ?? (pointer === null ? cloneDirName(url, mode !== 'normal') : pointerDir(pointer))
  const sources = o.sources !== undefined
    ? parseSourceList(o.sources as string, '--sources')
    : config.sources === undefined ? undefined : parseSourceList(config.sources, 'git config mirror.sources', 'BAD_OPTION')
  const allowProtocols = config.allowProtocols === undefined ? undefined : parseProtocolList(config.allowProtocols, 'git config mirror.allowProtocols')
  const minRate = o.minRate !== undefined ? o.minRate as number : config.minRate === undefined ? undefined : configRate(config.minRate)
  const store = await Store.open((o.cache as string | undefined) ?? defaultCacheDir())
  let claimed: Destination | null = null
  let trying: { source: string, url: string, skip: () => void } | null = null
  let skippedAt = 0
  const stop = stopSignal(undefined, {
    onForce: () => claimed?.undoSync(),
    // Ctrl-C during a source skips it; a second one within SKIP_WINDOW_MS (or with no source running) stops the clone
    onInterrupt: () => {
      if (trying === null || Date.now() - skippedAt < SKIP_WINDOW_MS) return false
      skippedAt = Date.now()
      reporter.info(`Ctrl-C: skipping ${trying.source === 'torrent' ? 'the swarm' : trying.url}; press Ctrl-C again within ${SKIP_WINDOW_MS / 1000} s to stop the clone`)
      trying.skip()
      return true
    }
  })
  const network = await cloneNetwork(net, pointer)
  const swarm = network.swarm
  try {
    const progress = (p: Parameters<typeof reporter.progress>[0]): void => reporter.progress(p)
    const signed = await network.resolve({
      store, maxSize: o.maxSize as number, timeoutMs: (o.timeout as number) * 1000, ...(minRate === undefined ? {} : { minBytesPerSecond: minRate }),
      originUrl: (o.originUrl as string | undefined) ?? null, signal: stop.signal, onProgress: progress, onNotice: line => reporter.info(line)
    })
    const report = await clone({
      git,
      store,
      swarm,
      onProgress: p => reporter.progress(p),
      onNotice: line => reporter.info(line),
      onClaimed: dest => { claimed = dest },
      onAttempt: a => { trying = a }
    }, {
      url,
      dir,
      mode,
      checkout: o.checkout !== false,
      maxSize: o.maxSize as number,
      timeoutMs: (o.timeout as number) * 1000,
      ...(minRate === undefined ? {} : { minBytesPerSecond: minRate }),
      ...(sources === undefined ? {} : { sources }),
      ...(allowProtocols === undefined ? {} : { allowProtocols }),
      keepBundle: o.keepBundle === true || seed,
      trust,
      ...choices,
      ...(signed === undefined ? {} : { pointer: signed }),
      ...(o.project === undefined ? {} : { project: o.project as string }),
      signal: stop.signal
    })
    const json = reportJson(report)
    if (!seed) {
      reporter.result(json, summary(report, dir))
      return 0
    }
    reporter.event({ event: 'cloned', ...json }, summary(report, dir).join('\n'))
    if (report.bundle === null) {
      reporter.info('nothing to seed: the clone did not come from the swarm')
      return 0
    }
    const seeder = new Seeder({ store, swarm })
    const until = o.duration === undefined ? stop : stopSignal((o.duration as number) * 1000)
    try {
      await seeder.seed(report.bundle)
      await seedUntilStopped(seeder, reporter, { signal: until.signal, statusIntervalMs: (o.statusInterval as number) * 1000 })
    } finally {
      if (until !== stop) until.dispose()
    }
    return 0
  } finally {
    stop.dispose()
    await network.close()
  }
}

/** How long after a Ctrl-C that skipped a source another one stops the clone instead of skipping again. */
const SKIP_WINDOW_MS = 2000

/** mirror.minRate: a size per second ("32K", "1M/s"), or 0 for any byte. */
function configRate (text: string): number {
  const n = parseRate(text)
  if (n === null) throw new MirrorError('BAD_OPTION', `git config mirror.minRate=${JSON.stringify(text)} is not a rate such as 32K or 0`)
  return n
}

/** DESIGN.md's report; the store entry becomes the kept bundle's path. */
function reportJson (r: CloneReport): Record<string, unknown> {
  const { bundle, ...rest } = r
  return { ...rest, bundle: bundle?.bundlePath ?? null }
}

function summary (r: CloneReport, dir: string): string[] {
  const used = r.attempts.find(a => a.outcome === 'used')
  const origin = `${formatBytes(r.bytes.origin)} from the origin${r.originFetched ? '' : ' (no final fetch: the sources had every ref it advertised)'}`
  const from = r.method === 'torrent'
    ? `from the swarm: ${formatBytes(r.bytes.swarm)} from peers, ${formatBytes(r.bytes.webSeed)} from web seeds, ${origin}`
    : r.method === 'http'
      ? `from ${used?.url ?? 'an HTTP server'}: ${formatBytes(r.bytes.http)} over HTTP, ${origin}`
      : r.method === 'mirror'
        ? `from the mirror ${used?.url ?? ''}: ${formatBytes(r.bytes.mirror)}, ${origin}`
        : `from the origin (${r.fallbackReason ?? 'no source'}): ${formatBytes(r.bytes.origin)}`
  const lines = [`cloned into '${path.relative(process.cwd(), r.directory) || dir}' ${from} in ${r.seconds.total} s`]
  if (r.bundles !== null && r.bundles.length > 1) {
    const used = r.bundles.filter(b => b.outcome === 'used').length
    lines.push(`bundle list: the base and ${used - 1} of ${r.bundles.length - 1} increment(s) applied${used === r.bundles.length ? '' : ` (${r.bundles.find(b => b.outcome !== 'used')!.reason ?? 'not used'})`}`)
  }
  if (r.pushObject !== null && r.verified === 'signature') lines.push(`verified: push object ${r.pushObject.sequence} signed by ${r.pushObject.key}`)
  if (r.discardedRefs.length > 0) {
    lines.push(`the sources disagreed with the origin on ${r.discardedRefs.length} ref(s); the origin won: ${r.discardedRefs.slice(0, 5).join(', ')}${r.discardedRefs.length > 5 ? ', ...' : ''}`)
  }
  if (r.bundle !== null) lines.push(`the bundle stays in the cache: ${r.bundle.bundlePath}`)
  for (const m of r.submodules) lines.push(`submodule '${m.path}': ${m.method === 'git' ? 'cloned by git (a local URL)' : m.method === 'origin' ? `from its origin (${m.fallbackReason ?? 'no source'})` : `from the ${m.method === 'torrent' ? 'swarm' : m.method}`}`)
  return lines
}
