import path from 'node:path'
import { Command } from 'commander'
import { clone, type CloneReport } from '../clone/clone.js'
import type { Destination } from '../clone/destination.js'
import { cloneDirName, type CloneMode } from '../core/clone-target.js'
import { MirrorError } from '../core/errors.js'
import { formatBytes } from '../core/format.js'
import { parsePublicKey } from '../core/public-key.js'
import { resolveNetworkOptions } from '../core/network-options.js'
import { readMirrorConfig } from '../io/git/repository.js'
import { Git } from '../io/git/run-git.js'
import { Store } from '../io/store/store.js'
import { Seeder } from '../seed/seeder.js'
import { addNetworkOptions, defaultCacheDir, maxSizeOption, networkFlags, positiveNumber } from './network-flags.js'
import { Reporter } from './reporter.js'
import { runCli } from './run.js'
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
    .option('--timeout <seconds>', 'clone from the origin instead when no peer or web seed sends data for this long', positiveNumber, 60)
    .addOption(maxSizeOption())
    .option('--cache <dir>', 'where partial downloads (and kept bundles) live (default: $XDG_CACHE_HOME/git-torrent-mirror)')
    .option('--keep-bundle', 'keep the downloaded bundle in the cache (default: delete it once the clone is complete)')
    .option('--seed', 'after the clone, seed the bundle until interrupted (keeps it in the cache)')
    .option('--duration <seconds>', 'with --seed: stop seeding after this many seconds', positiveNumber)
    .option('--status-interval <seconds>', 'with --seed: seconds between status lines', positiveNumber, 10)
    .option('--trust <key>', 'trust this public key ("ssh-ed25519 AAAA...") to sign for the origin, for this run; the bundle must then match a push object it signed (repeatable)', (v: string, p: string[] = []) => [...p, v])
    .option('--project <name>', 'the project name a push object must carry (default: from the URL, as mirror-publish names it)')
  addNetworkOptions(cmd)
  cmd.addHelpText('after', `
It asks the origin for its refs and its published bundle
(refs/mirrors/bundle/torrent, else refs/mirrors/bundle/magnet), downloads
the bundle from peers (trackers, the DHT) and web seeds, fetches it into
refs/mirror/torrent/* (git verifies every object), then fetches what is newer
from the origin, which stays the authority: the result is what git clone
makes, remote configuration and checkout included. When the swarm cannot
serve (no record, a refused torrent, no data within --timeout, a bundle git
refuses) it clones from the origin and says why. Ctrl-C keeps the partial
download in the cache; a rerun resumes it.

Signed publishes: when a key is trusted for the origin (--trust, or git
config mirror.trustedKey / mirror.<url>.trustedKey), the bundle is used only
if the push object its torrent carries is signed by that key, names the
project, has not expired, is not older than one accepted before (kept in
$XDG_STATE_HOME/git-torrent-mirror), and matches the bundle's size, SHA-256
and refs. Otherwise it clones from the origin and names the check that
failed. The report then says "verified": "signature".

Exit status: 0 when the clone is complete (from the swarm or, after a
fallback, from the origin), 1 when it failed (nothing is left behind but the
resumable download), 2 on wrong usage.

Examples:
  $ ${name} https://git.example.org/project.git
  $ ${name} --json --tracker http://tracker.example.org/announce URL dir
  $ ${name} --seed URL                       # and keep seeding for others`)
  return cmd.action(async (url: string, dir: string | undefined) => await runCli(name, async () => await runClone(cmd, url, dir)))
}

async function runClone (cmd: Command, url: string, dirArg: string | undefined): Promise<number> {
  const o = cmd.opts()
  if (o.bare === true && o.mirror === true) throw new MirrorError('USAGE', '--bare and --mirror cannot be used together (--mirror implies --bare)')
  const mode: CloneMode = o.mirror === true ? 'mirror' : o.bare === true ? 'bare' : 'normal'
  const trust = (o.trust as string[] | undefined) ?? []
  trust.forEach((k, i) => usage(() => parsePublicKey(k, `--trust value ${i + 1}`)))
  const dir = dirArg ?? cloneDirName(url, mode !== 'normal')
  const seed = o.seed === true
  const reporter = new Reporter({ quiet: o.quiet === true, json: o.json === true })
  const git = new Git(process.cwd())
  const net = resolveNetworkOptions(networkFlags(cmd), await readMirrorConfig(git))
  const store = await Store.open((o.cache as string | undefined) ?? defaultCacheDir())
  let claimed: Destination | null = null
  const stop = stopSignal(undefined, { onForce: () => claimed?.undoSync() })
  const seeder = await Seeder.open({ store, net })
  try {
    const report = await clone({
      git,
      store,
      client: seeder.client,
      net,
      onProgress: p => reporter.progress(p),
      onNotice: line => reporter.info(line),
      onClaimed: dest => { claimed = dest }
    }, {
      url,
      dir,
      mode,
      checkout: o.checkout !== false,
      maxSize: o.maxSize as number,
      timeoutMs: (o.timeout as number) * 1000,
      keepBundle: o.keepBundle === true || seed,
      trust,
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
    await seeder.close()
  }
}

/** A bad argument is wrong usage (exit 2), whatever the parser calls it. */
function usage (check: () => unknown): void {
  try {
    check()
  } catch (err) {
    if (err instanceof MirrorError) throw new MirrorError('USAGE', err.message)
    throw err
  }
}

/** DESIGN.md's report; the store entry becomes the kept bundle's path. */
function reportJson (r: CloneReport): Record<string, unknown> {
  const { bundle, ...rest } = r
  return { ...rest, bundle: bundle?.bundlePath ?? null }
}

function summary (r: CloneReport, dir: string): string[] {
  const from = r.method === 'torrent'
    ? `from the swarm: ${formatBytes(r.bytes.swarm)} from peers, ${formatBytes(r.bytes.webSeed)} from web seeds, ${formatBytes(r.bytes.origin)} from the origin`
    : `from the origin (${r.fallbackReason ?? 'no bundle'}): ${formatBytes(r.bytes.origin)}`
  const lines = [`cloned into '${path.relative(process.cwd(), r.directory) || dir}' ${from} in ${r.seconds.total} s`]
  if (r.pushObject !== null && r.verified === 'signature') lines.push(`verified: push object ${r.pushObject.sequence} signed by ${r.pushObject.key}`)
  if (r.discardedRefs.length > 0) {
    lines.push(`the bundle disagreed with the origin on ${r.discardedRefs.length} ref(s); the origin won: ${r.discardedRefs.slice(0, 5).join(', ')}${r.discardedRefs.length > 5 ? ', ...' : ''}`)
  }
  if (r.bundle !== null) lines.push(`the bundle stays in the cache: ${r.bundle.bundlePath}`)
  return lines
}
