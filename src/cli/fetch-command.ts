import { Command } from 'commander'
import { MirrorError } from '../core/errors.js'
import { formatBytes } from '../core/format.js'
import { resolveNetworkOptions } from '../core/network-options.js'
import { fetch, type FetchReport } from '../fetch/fetch.js'
import { openRepository, readMirrorConfig } from '../io/git/repository.js'
import { defaultCacheDir } from '../io/store/cache-dir.js'
import { Store } from '../io/store/store.js'
import { Swarm } from '../io/torrent/swarm.js'
import { DEFAULT_MIN_BYTES_PER_SECOND } from '../clone/clone.js'
import { addNetworkOptions, maxSizeOption, networkFlags, positiveSeconds, rateArgument } from './network-flags.js'
import { originGit } from './origin-git.js'
import { Reporter } from './reporter.js'
import { runCli } from './run.js'
import { stopSignal } from './stop-signal.js'

export function fetchCommand (name: string): Command {
  const cmd = new Command(name)
    .description('Update a clone like git fetch, taking the increments published since it was last updated from the BitTorrent swarm.')
    .argument('[remote]', 'the remote to fetch from, as git fetch takes it (default: the current branch\'s remote, else origin)')
    .option('-p, --prune', 'remove remote-tracking refs that no longer exist on the remote, as git fetch --prune')
    .option('--timeout <seconds>', 'leave the swarm for a plain fetch when an increment sends nothing, or too little, for this long; also bounds reading the records', positiveSeconds, 60)
    .option('--min-rate <rate>', 'an increment downloading slower than this over a --timeout window is left for the plain fetch (default 32K; 0: any byte will do)', rateArgument)
    .addOption(maxSizeOption())
    .option('--cache <dir>', 'where partial downloads live (default: $XDG_CACHE_HOME/git-torrent-mirror)')
  addNetworkOptions(cmd)
  cmd.addHelpText('after', `
It reads the remote's records (refs/mirrors/*). When the remote publishes a
bundle list (refs/mirrors/bundle/list: a full base, then incremental
bundles), the increments published after the last one this repository
holds are downloaded from the swarm, checked against the list (size,
SHA-256) and applied in order: git verifies that their prerequisites are
here, indexes their objects, and stages their refs under
refs/mirror/torrent/*. Then git fetch <remote> runs with the remote's own
refspecs: the origin, the authority, sends only what is newer, and the
staging refs are dropped. When no increment applies (none published since,
a repository that lacks their prerequisites, a swarm that does not serve),
it is a plain git fetch, and it says why.

The creationToken of the newest bundle the repository holds is kept in
<git-dir>/mirror-fetch.json (mirror-clone writes it too).

Exit status: 0 when the fetch completed (from the increments and the
remote, or from the remote alone), 1 when it failed, 2 on wrong usage.

Examples:
  $ ${name}
  $ ${name} --prune upstream
  $ ${name} --json --tracker http://tracker.example.org/announce`)
  return cmd.action(async (remote: string | undefined) => await runCli(name, async () => await runFetch(cmd, remote), { json: cmd.opts().json === true }))
}

async function runFetch (cmd: Command, remote: string | undefined): Promise<number> {
  const o = cmd.opts()
  const origin = await originGit()
  const repo = await openRepository(process.cwd(), origin.env)
  if (repo.bare && remote === undefined) throw new MirrorError('USAGE', 'a bare repository: name the remote to fetch from')
  const reporter = new Reporter({ quiet: o.quiet === true, json: o.json === true })
  const net = resolveNetworkOptions(networkFlags(cmd), await readMirrorConfig(repo.git))
  const store = await Store.open((o.cache as string | undefined) ?? defaultCacheDir())
  const swarm = new Swarm({ net })
  const stop = stopSignal()
  try {
    const report = await fetch({ repo: repo.git, store, swarm, onProgress: p => reporter.progress(p), onNotice: line => reporter.info(line) }, {
      ...(remote === undefined ? {} : { remote }),
      prune: o.prune === true,
      maxSize: o.maxSize as number,
      timeoutMs: (o.timeout as number) * 1000,
      minBytesPerSecond: (o.minRate as number | undefined) ?? DEFAULT_MIN_BYTES_PER_SECOND,
      signal: stop.signal
    })
    reporter.result({ ...report }, summary(report))
    return 0
  } finally {
    stop.dispose()
    await swarm.close()
    await origin.close()
  }
}

function summary (r: FetchReport): string[] {
  const used = r.bundles.filter(b => b.outcome === 'used')
  const lines = r.method === 'increments'
    ? [`fetched ${r.remote}: ${used.length} increment(s) from the swarm (${formatBytes(r.bytes.swarm)} from peers, ${formatBytes(r.bytes.webSeed)} from web seeds), ${formatBytes(r.bytes.origin)} from ${r.url}, in ${r.seconds.total} s`]
    : [`fetched ${r.remote} from ${r.url} alone (${r.reason ?? ''}): ${formatBytes(r.bytes.origin)} in ${r.seconds.total} s`]
  for (const b of r.bundles.filter(x => x.outcome !== 'used')) lines.push(`increment ${b.id}: ${b.outcome}${b.reason === null ? '' : ` (${b.reason})`}`)
  return lines
}
