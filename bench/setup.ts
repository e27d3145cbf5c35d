// The loopback world every benchmark runs in: a pinned HOME (makeTestEnv), a
// smart-HTTP origin (git http-backend), a tracker, our executables from the
// compiled tree this file runs from, and published, seeded copies of the
// benchmark repository. Nothing leaves 127.0.0.1.
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { git, makeTestEnv, type TestEnv } from '../test/helpers/env.js'
import { startGitServer, type GitServer } from '../test/helpers/git-server.js'
import { killAll, startProcess, type Running } from '../test/helpers/processes.js'
import { startTracker, type Tracker } from '../test/helpers/tracker.js'
import { waitUntil } from '../test/helpers/wait.js'
import { buildRoot, lastJson, readRss, rssEnv, runMeasured, type Measured, type RssLine } from './measure.js'

export const PROGRAMS = ['mirror-publish', 'mirror-clone', 'mirror-fetch', 'mirror-seed', 'mirror-keygen', 'mirror-daemon'] as const
export type Program = typeof PROGRAMS[number]

export interface Loopback {
  te: TestEnv
  env: NodeJS.ProcessEnv
  /** served by the git server: <dir>/srv */
  srv: string
  server: GitServer
  tracker: Tracker
  /** --tracker <loopback> --no-dht --no-lsd --no-upnp */
  net: string[]
  log: (line: string) => void
  /** Also run `closer` on close(), after the processes are killed and before the servers stop (a browser, say). */
  onClose(closer: () => Promise<void>): void
  close(): Promise<void>
}

/** A bound on a step that moves `bytes`: 60 s plus 5 MB/s. */
export function budgetMs (bytes: number): number {
  return 60_000 + Math.ceil(bytes / 5e3)
}

export async function startLoopback (o: { log: (line: string) => void, keep?: boolean }): Promise<Loopback> {
  const te = await makeTestEnv('gtm-bench-')
  const srv = path.join(te.dir, 'srv')
  const closers: Array<() => Promise<void>> = []
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => (closing ??= (async () => {
    await killAll()
    for (const c of closers.reverse()) await c().catch(err => o.log(`cleanup: ${(err as Error).message}`))
    if (o.keep === true) o.log(`kept ${te.dir}`)
    else await te.cleanup()
  })())
  try {
    await mkdir(srv, { recursive: true })
    await writeWrappers(path.join(te.dir, 'bin'))
    const server = await startGitServer({ root: srv, env: te.env })
    closers.push(() => server.close())
    const tracker = await startTracker()
    closers.push(() => tracker.close())
    const net = ['--tracker', tracker.announceUrl, '--no-dht', '--no-lsd', '--no-upnp']
    const onClose = (closer: () => Promise<void>): void => { closers.push(closer) }
    return { te, env: te.env, srv, server, tracker, net, log: o.log, onClose, close }
  } catch (err) {
    await close()
    throw err
  }
}

/**
 * bin/<program>.mjs in the temporary directory: the command line of the
 * compiled tree this benchmark runs from (dist/ or another --outDir), so a
 * concurrent build into dist/ does not change what is measured.
 */
async function writeWrappers (dir: string): Promise<void> {
  await mkdir(dir, { recursive: true })
  const main = pathToFileURL(path.join(buildRoot(), 'src', 'cli', 'main.js')).href
  for (const p of PROGRAMS) {
    await writeFile(path.join(dir, `${p}.mjs`), `import { main } from ${JSON.stringify(main)}\nawait main(${JSON.stringify(p)}, process.argv.slice(2))\n`)
  }
}

export function wrapperPath (lb: Loopback, p: Program): string {
  return path.join(lb.te.dir, 'bin', `${p}.mjs`)
}

export interface NodeRun extends Measured {
  /** the probe's report for this process: its own peak RSS */
  rss: RssLine | null
}

/** One of our executables to completion, with the RSS probe. */
export async function runOurs (
  lb: Loopback, p: Program, args: string[], o: { cwd: string, timeoutMs: number, rssFile: string, env?: NodeJS.ProcessEnv, onStart?: (pid: number | undefined) => void }
): Promise<NodeRun> {
  const r = await runMeasured(process.execPath, [wrapperPath(lb, p), ...args],
    { cwd: o.cwd, env: rssEnv(o.env ?? lb.env, o.rssFile), timeoutMs: o.timeoutMs, ...(o.onStart === undefined ? {} : { onStart: o.onStart }) })
  return { ...r, rss: await readRss(o.rssFile, r.pid) }
}

/** A copy of a bare repository that shares its objects (hard links), with no remote: its own origin. */
export async function copyRepo (lb: Loopback, from: string, to: string): Promise<void> {
  await mkdir(path.dirname(to), { recursive: true })
  await git(['clone', '--bare', '--quiet', from, to], { cwd: path.dirname(to), env: lb.env })
  await git(['remote', 'remove', 'origin'], { cwd: to, env: lb.env })
}

export interface Key { publicKey: string, file: string }

/** A signing key (mirror-keygen --no-config: only runs given --sign-key sign). */
export async function makeKey (lb: Loopback): Promise<Key> {
  const file = path.join(lb.te.dir, 'keys', 'signing-key')
  const r = await runMeasured(process.execPath, [wrapperPath(lb, 'mirror-keygen'), '--file', file, '--no-config', '--json'], { cwd: lb.te.dir, env: lb.env, timeoutMs: 30_000 })
  if (r.code !== 0) throw new Error(`mirror-keygen failed:\n${r.stderr}`)
  return { publicKey: lastJson<{ publicKey: string }>(r.stdout, 'mirror-keygen').publicKey, file }
}

export interface PublishJson {
  store: string
  bundle: { path: string, file: string, size: number, sha256: string, refs: number, reused: boolean }
  torrent: string
  infoHash: string
  pushObject: { id: string, sequence: number, reused: boolean } | null
  /** the bundle list after this publish, base first, and what the publish added to it */
  chain: { made: 'base' | 'increment' | 'unchanged', reason: string | null, bundles: Array<{ id: string, creationToken: number, infoHash: string, size: number, file: string }> }
}

/**
 * mirror-publish in a bare repository without a remote (the records are
 * written into it: it is the origin), into `store`, signed with `key` or not.
 */
export async function publish (
  lb: Loopback, repoDir: string, store: string, o: { key: Key | null, rssFile: string, timeoutMs: number }
): Promise<{ run: NodeRun, json: PublishJson }> {
  const sign = o.key === null ? ['--no-sign'] : ['--sign-key', o.key.file]
  const run = await runOurs(lb, 'mirror-publish', ['--json', '--quiet', '--name', 'project', '--store', store, ...sign, ...lb.net],
    { cwd: repoDir, timeoutMs: o.timeoutMs, rssFile: o.rssFile })
  if (run.code !== 0) throw new Error(`mirror-publish in ${repoDir} failed (exit ${run.code ?? run.signal}):\n${run.stderr.slice(-4000)}`)
  return { run, json: lastJson<PublishJson>(run.stdout, 'mirror-publish') }
}

export interface Seeding {
  running: Running
  infoHash: string
  rssFile: string
  /** SIGTERM; resolves with its summary line and its peak RSS */
  stop(): Promise<{ summary: Record<string, unknown> | null, rss: RssLine | null }>
}

/** mirror-seed --store `store`, ready once it says so and the tracker has its announce as a seeder. */
export async function startSeeder (lb: Loopback, store: string, infoHash: string, rssFile: string): Promise<Seeding> {
  const running = startProcess(process.execPath, [wrapperPath(lb, 'mirror-seed'), '--json', '--store', store, '--status-interval', '3600', ...lb.net],
    { cwd: lb.te.dir, env: rssEnv(lb.env, rssFile) })
  const pid = running.child.pid
  let stopped: ReturnType<Seeding['stop']> | undefined
  const stop = (): ReturnType<Seeding['stop']> => (stopped ??= (async () => {
    await running.stop('SIGTERM', 10_000)
    let summary: Record<string, unknown> | null = null
    try { summary = lastJson(running.stdout(), 'mirror-seed') } catch { /* killed before its summary */ }
    return { summary, rss: await readRss(rssFile, pid) }
  })())
  try {
    await running.waitFor(/^seeding \d+ bundle/, { stream: 'stderr', timeoutMs: 120_000 })
    await waitUntil(() => lb.tracker.announces.some(a => a.infoHash === infoHash && a.left === 0 && a.event !== 'stop'),
      { timeoutMs: 30_000, what: `the tracker to hear mirror-seed announce ${infoHash} as a seeder` })
  } catch (err) {
    await stop()
    throw err
  }
  return { running, infoHash, rssFile, stop }
}

export interface Origin {
  kind: 'unsigned' | 'signed'
  /** the bare repository the git server serves */
  repoDir: string
  url: string
  store: string
  published: { run: NodeRun, json: PublishJson }
  seeder: Seeding
}

/**
 * A copy of `repoDir` served as <name>/project.git, published into its own
 * store (signed with `key` or not) and seeded by its own mirror-seed. A signed
 * origin's key is trusted for its URL in the pinned global git config, as a
 * contributor would (`git config --global --add mirror.<url>.trustedKey`).
 */
export async function publishedOrigin (lb: Loopback, repoDir: string, o: { name: string, key: Key | null, bundleBytes: number }): Promise<Origin> {
  const { name, key } = o
  const kind = key === null ? 'unsigned' : 'signed'
  const served = path.join(lb.srv, name, 'project.git')
  await copyRepo(lb, repoDir, served)
  const url = lb.server.url(`${name}/project.git`)
  const store = path.join(lb.te.dir, 'stores', name)
  const rssDir = path.join(lb.te.dir, 'rss')
  await mkdir(rssDir, { recursive: true })
  lb.log(`publishing ${kind}: ${url}`)
  const published = await publish(lb, served, store, { key, rssFile: path.join(rssDir, `publish-${name}.jsonl`), timeoutMs: budgetMs(o.bundleBytes) })
  if (key !== null) {
    if (published.json.pushObject === null) throw new Error('a signed publish made no push object')
    await git(['config', '--global', '--add', `mirror.${url}.trustedKey`, key.publicKey], { cwd: lb.te.dir, env: lb.env })
  }
  const seeder = await startSeeder(lb, store, published.json.infoHash, path.join(rssDir, `seed-${name}.jsonl`))
  lb.log(`seeding ${kind}: ${published.json.infoHash}`)
  return { kind, repoDir: served, url, store, published, seeder }
}
