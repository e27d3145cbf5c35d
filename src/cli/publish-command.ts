import { Command, Option } from 'commander'
import { formatBytes } from '../core/format.js'
import { RECORD_REFS, type RecordName } from '../core/refs.js'
import { Store } from '../io/store/store.js'
import { fetchMirrorRecords, publish, type PublishResult } from '../publish/publish.js'
import { Seeder } from '../seed/seeder.js'
import { seedingNetwork } from '../seed/seeding-network.js'
import { addNetworkOptions, networkFlags, nonNegativeInteger, positiveDays, positiveNumber, positiveSeconds } from './network-flags.js'
import { originGit } from './origin-git.js'
import { Reporter } from './reporter.js'
import { runCli, usage } from './run.js'
import { seedUntilStopped } from './seed-loop.js'
import { stopSignal } from './stop-signal.js'

export function publishCommand (name: string): Command {
  const cmd = new Command(name)
    .description('Bundle what the remote advertises, make a torrent of it, record both under refs/mirrors/bundle/* and push them.')
    .option('--remote <name|url>', 'the remote whose branches and tags are published and which receives the records', 'origin')
    .option('--no-push', 'write the records locally, do not push them')
    .option('--store <dir>', 'where bundles and torrents are kept (default: <git-dir>/mirror)')
    .option('--name <project>', 'project name in the bundle file name (default: from the remote URL)')
    .option('--web-seed <url>', 'an HTTP(S) URL serving the bundle, as a BEP 19 web seed; a URL ending in / gets the bundle file name appended (repeatable). Signed: the URL of a directory, ending in /', (v: string, p: string[] = []) => [...p, v])
    .option('--fetch-mirror <url>', 'a full git mirror of the repository that clients may fetch from: http(s) URLs are recorded in refs/mirrors/fetch/http, git:// and ssh in refs/mirrors/fetch/git (repeatable; default: git config mirror.fetchMirror)', (v: string, p: string[] = []) => [...p, v])
    .option('--origin-url <url>', 'signed: the origin a clone by the key alone (the BEP 46 magnet) may fetch newer commits from, named in the push object (default: the remote\'s URL when it is http(s) or git:// without a user name)')
    .option('--sign-key <file>', 'sign a push object with this ed25519 key (default: git config mirror.signingKey; see mirror-keygen)')
    .option('--no-sign', 'do not sign, even with mirror.signingKey set')
    .option('--valid-days <days>', 'how long a new push object stays valid', positiveDays, 90)
    .addOption(new Option('--private', 'a BEP 27 private torrent: announced only to the trackers given (--tracker or mirror.tracker, at least one), never on the DHT, by PEX or LSD; recorded in git config mirror.visibility').conflicts('public'))
    .addOption(new Option('--public', 'a public torrent (public trackers by default, the DHT, LSD), also for an origin that needs authentication; recorded in git config mirror.visibility'))
    .option('--max-increments <n>', 'incremental bundles after a full base before the next change collapses the chain into a new base (0: every publish is a full bundle)', nonNegativeInteger, 5)
    .option('--grace <seconds>', 'how long a bundle that left the list (after a collapse) stays in the store, still seeded, before a publish removes it', positiveNumber, 604800)
    .option('--prune', 'remove every bundle that left the list now, whatever --grace says')
    .option('--seed', 'keep seeding the published bundles until interrupted')
    .option('--status-interval <seconds>', 'with --seed: seconds between status lines', positiveSeconds, 10)
  addNetworkOptions(cmd)
  cmd.addHelpText('after', `
Run it inside a repository. In a working clone it publishes what the remote
advertises (after fetching what is missing), never commits that exist only
locally; in a bare repository it publishes the repository's own branches,
tags and HEAD. Publishing an unchanged state reuses the stored bundle and
torrent (same infohash).

With a signing key (mirror-keygen sets mirror.signingKey), it also signs a
push object: every ref published, the project name, a sequence number that
continues the key's chain, an expiry, and the bundle's SHA-256. The torrent
then holds a folder with the bundle and the push object, and
refs/mirrors/push records it; clients that trust the key verify the bundle
before using it. An unchanged state keeps its push object until half its
validity has passed.

A repository whose origin needs authentication is not published as a
public torrent unless --public says so: anyone who learns a public
torrent's infohash can fetch the repository's full contents, and it is
announced on public trackers and the DHT. --private makes a BEP 27 private
torrent instead, announced only to the trackers given. An https origin is
asked anonymously (no credentials) whether it answers; ssh origins always
authenticate, so they need one of the two. The choice is recorded in git
config mirror.visibility for the next publish.

Full git mirrors (--fetch-mirror, or git config mirror.fetchMirror) are
recorded too: mirror-clone fetches from them with git when the bundle
cannot serve (or first, with --sources), then only what is newer from the
origin.

Examples:
  $ ${name} --web-seed https://downloads.example.org/git/ --seed
  $ ${name} --tracker udp://tracker.example.org:1337/announce --no-push --json
  $ ${name} --private --tracker https://tracker.internal.example/announce
  $ ${name} --fetch-mirror https://mirror.example.org/project.git --fetch-mirror git://mirror.example.net/project.git`)
  return cmd.action(async () => await runCli(name, async () => await runPublish(cmd), { json: cmd.opts().json === true }))
}

async function runPublish (cmd: Command): Promise<number> {
  const origin = await originGit()
  try {
    return await publishWith(origin.env, cmd)
  } finally {
    await origin.close()
  }
}

async function publishWith (env: NodeJS.ProcessEnv, cmd: Command): Promise<number> {
  const o = cmd.opts()
  const reporter = new Reporter({ quiet: o.quiet === true, json: o.json === true })
  if (o.fetchMirror !== undefined) usage(() => fetchMirrorRecords(o.fetchMirror as string[]))   // a bad URL on the command line is wrong usage
  const result = await publish({
    cwd: process.cwd(),
    env,
    ...(o.originUrl === undefined ? {} : { originUrl: o.originUrl as string }),
    ...(cmd.getOptionValueSource('remote') === 'cli' ? { remote: o.remote as string } : {}),
    push: o.push as boolean,
    ...(o.store === undefined ? {} : { store: o.store as string }),
    ...(o.name === undefined ? {} : { name: o.name as string }),
    webSeeds: (o.webSeed as string[] | undefined) ?? [],
    ...(o.fetchMirror === undefined ? {} : { fetchMirrors: o.fetchMirror as string[] }),
    network: networkFlags(cmd),
    ...(o.private === true ? { visibility: 'private' as const } : o.public === true ? { visibility: 'public' as const } : {}),
    ...(o.sign === false ? { signingKey: false as const } : o.signKey === undefined ? {} : { signingKey: o.signKey as string }),
    validForSeconds: Math.round((o.validDays as number) * 24 * 3600),
    maxIncrements: o.maxIncrements as number,
    graceSeconds: o.grace as number,
    prune: o.prune === true,
    onProgress: p => reporter.progress(p)
  })
  reporter.result(publishJson(result), publishText(result, o.seed === true))
  if (o.seed !== true) return 0

  const stop = stopSignal()
  // a private torrent never meets the DHT (result.network has it off then); a public signed one's pointer is kept alive
  const { swarm, keeper, close: closeNetwork } = await seedingNetwork(result.network, err => reporter.info(`${cmd.name()}: ${err.message}`))
  try {
    const seeder = new Seeder({ store: await Store.open(result.store), swarm, keeper })
    for (const entry of result.chain.entries) await seeder.seed(entry)
    await seedUntilStopped(seeder, reporter, { signal: stop.signal, statusIntervalMs: (o.statusInterval as number) * 1000 })
    return 0
  } finally {
    stop.dispose()
    await closeNetwork()
  }
}

function publishJson (r: PublishResult): Record<string, unknown> {
  return {
    store: r.store,
    bundle: r.bundle,
    torrent: r.torrentPath,
    infoHash: r.infoHash,
    magnet: r.magnet,
    trackers: r.trackers,
    webSeeds: r.webSeeds,
    fetchMirrors: r.fetchMirrors,
    records: r.records,
    push: r.push,
    pushObject: r.pushObject,
    visibility: r.visibility,
    visibilityRecorded: r.visibilityRecorded,
    chain: { made: r.chain.made, reason: r.chain.reason, bundles: r.chain.list.entries.map((e, i) => ({ ...e, file: r.chain.entries[i]!.meta.file, path: r.chain.entries[i]!.bundlePath })) },
    retired: r.retired,
    pruned: r.pruned,
    pointer: r.pointer
  }
}

function publishText (r: PublishResult, seeding: boolean): string[] {
  const made = r.chain.made === 'increment' ? 'an increment of the list' : r.chain.made === 'base' ? `a full base (${r.chain.reason ?? ''})` : 'unchanged since the last publish'
  const lines = [
    `bundle:   ${r.bundle.path} (${formatBytes(r.bundle.size)}, ${r.bundle.refs} refs, ${made}${r.bundle.reused ? ': reused' : ''})`,
    `list:     ${r.chain.entries.map(e => `${e.meta.file} (${formatBytes(e.meta.size)})`).join(', ')}`,
    `torrent:  ${r.torrentPath}`,
    `infohash: ${r.infoHash}`,
    ...(r.visibility === 'private' ? [] : [`magnet:   ${r.magnet}`]),
    `trackers: ${r.trackers.length === 0 ? '(none)' : r.trackers.join(' ')}`,
    `visibility: ${r.visibility === 'private' ? 'private (BEP 27: announced only to these trackers; no DHT, PEX or LSD; no magnet record)' : 'public'}${r.visibilityRecorded ? ', recorded in git config mirror.visibility' : ''}`
  ]
  if (r.pushObject !== null) {
    const p = r.pushObject
    lines.push(`signed:   push object ${p.sequence} (${p.id.slice(0, 16)}...), valid until ${new Date(p.expires * 1000).toISOString()}${p.reused ? ', reused' : ''}`)
    lines.push(`          key ${p.key}`)
  }
  if (r.pointer !== null) {
    const q = r.pointer
    lines.push(`pointer:  ${q.magnet} (seq ${q.seq}: clone by the key alone)`)
    lines.push(q.error === null ? `          on the DHT (${q.nodes === 0 ? 'the nodes held it already' : `${q.nodes ?? 0} nodes took it`}); mirror-seed keeps it there` : `          not on the DHT yet (${q.error}); mirror-seed puts it when it seeds`)
  }
  if (r.webSeeds.length > 0) {
    const what = r.pushObject === null ? 'the bundle' : `the folder ${r.entry.meta.folder!}/ (bundle and push object)`
    lines.push(`web seeds: ${r.webSeeds.join(' ')} (upload ${what} there)`)
  }
  if (r.retired.length + r.pruned.length > 0) lines.push(`store:    ${r.retired.length} bundle(s) left the list (seeded until the grace ends), ${r.pruned.length} removed`)
  if (r.fetchMirrors.length > 0) lines.push(`mirrors:  ${r.fetchMirrors.join(' ')}`)
  const refs = Object.entries(RECORD_REFS).filter(([k]) => r.records[k as RecordName] !== null).map(([, ref]) => ref)
  if (r.push === null) lines.push(`records:  ${refs.join(' ')} written locally, not pushed`)
  else if (r.push.outcome === 'up-to-date') lines.push(`records:  ${refs.join(' ')} already up to date on ${r.push.remote}`)
  else lines.push(`records:  ${refs.join(' ')} pushed to ${r.push.remote}`)
  if (!seeding) lines.push('seed it:  mirror-seed (in this repository) or mirror-publish --seed; peers can only download while someone seeds')
  return lines
}
