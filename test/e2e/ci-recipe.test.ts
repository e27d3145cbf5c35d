// The CI recipe users copy, examples/github-actions/git-torrent-mirror.yml,
// parsed as YAML and run step by step on loopback (./actions-runner.ts), so
// that a change to the executables that breaks it fails here. What the
// runner cannot do itself comes from the tables below: a `uses:` or an
// outside command missing from them fails the test, so a new step cannot go
// untested. Network settings come from git config, as on a real runner they
// come from the defaults: the recipe passes no network flag.
import assert from 'node:assert/strict'
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import parseTorrent from 'parse-torrent'
import { parse } from 'yaml'
import { git } from '../helpers/env.js'
import { repoRoot } from '../helpers/processes.js'
import { ActionsCache, cacheActions } from './actions-cache.js'
import { Runner, stopAllSteps, type Action, type Event, type JobRun, type Workflow } from './actions-runner.js'
import { assertSameAsGitClone, fetchRecord, mirrorClone, plainClone } from './clone-support.js'
import { makeWorld, type World } from './world.js'

const T = { timeout: 300_000 }
const SEED_SECONDS = 20
const DEFAULT_BRANCH = 'main'
const RECIPE = path.join(repoRoot(), 'examples', 'github-actions', 'git-torrent-mirror.yml')

/** `npm install -g git-torrent-mirror` here: the package.json bin map as symlinks, which is what npm makes. */
async function globalBin (dir: string): Promise<string> {
  const bin = path.join(dir, 'npm-global', 'bin')
  await mkdir(bin, { recursive: true })
  const pkg = JSON.parse(await readFile(path.join(repoRoot(), 'package.json'), 'utf8')) as { bin: Record<string, string> }
  for (const [name, file] of Object.entries(pkg.bin)) await symlink(path.join(repoRoot(), file), path.join(bin, name))
  return bin
}

/** The runner's global git config: the world's tracker and nothing public, as DESIGN.md says every network command reads. */
async function runnerGitConfig (w: World): Promise<string> {
  const file = path.join(w.dir, 'runner.gitconfig')
  await writeFile(file, await readFile(w.env.GIT_CONFIG_GLOBAL as string))
  for (const [k, v] of [['mirror.tracker', w.tracker.announceUrl], ['mirror.dht', 'false'], ['mirror.lsd', 'false'], ['mirror.upnp', 'false']]) {
    await git(['config', '--file', file, k!, v!], { cwd: w.dir, env: w.env })
  }
  return file
}

/** What the store directory holds: each entry's infohash and refs (DESIGN.md's bundles/<start>/<end>/meta.json). */
async function storeEntries (store: string): Promise<Array<{ infoHash: string, refs: string[] }>> {
  const out: Array<{ infoHash: string, refs: string[] }> = []
  const bundles = path.join(store, 'bundles')
  for (const a of await readdir(bundles)) {
    for (const b of await readdir(path.join(bundles, a))) {
      for (const c of await readdir(path.join(bundles, a, b))) {
        const meta = JSON.parse(await readFile(path.join(bundles, a, b, c, 'meta.json'), 'utf8'))
        out.push({ infoHash: meta.infoHash, refs: meta.refs.map((r: { name: string }) => r.name) })
      }
    }
  }
  return out
}

async function publishedInfoHash (w: World): Promise<string> {
  return (await parseTorrent(await fetchRecord(w, 'refs/mirrors/bundle/torrent'))).infoHash as string
}

/** The infohashes refs/mirrors/bundle/list names, in list order (the base, then increments). */
async function listedInfoHashes (w: World): Promise<string[]> {
  return [...(await fetchRecord(w, 'refs/mirrors/bundle/list')).toString().matchAll(/^\tinfohash = ([0-9a-f]{40})$/gm)].map(m => m[1]!)
}

/** stdout of the job's step whose run: contains `text`. */
function stepStdout (j: JobRun, text: string): string {
  const o = j.outputs.find(s => s.step.run?.includes(text) === true)
  assert.ok(o !== undefined, `${j.id} ran a step with ${text}`)
  return o.stdout
}

function job (r: Record<string, JobRun | 'skipped'>, id: string): JobRun {
  const j = r[id]
  assert.ok(j !== undefined && j !== 'skipped', `job ${id} ran`)
  return j
}

/** stderr of the job's step whose run: contains `text`. */
function stepStderr (j: JobRun, text: string): string {
  const o = j.outputs.find(s => s.step.run?.includes(text) === true)
  assert.ok(o !== undefined, `${j.id} ran a step with ${text}`)
  return o.stderr
}

/** The one run the publish job started on the default branch, once it ended. */
async function dispatchedRun (runner: Runner): Promise<Record<string, JobRun | 'skipped'>> {
  const runs = await runner.settle(60_000)
  assert.equal(runs.length, 1, 'the publish job started one run on the default branch (gh workflow run)')
  return runs[0]!
}

test('the GitHub Actions recipe: a tag publishes, the default branch\'s reseed keeps the store in the cache, a scheduled reseed alone serves a clone', T, async t => {
  t.after(stopAllSteps)   // registered first: the steps' process groups go before the world does
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 256 << 10 } })
  const workflow = parse(await readFile(RECIPE, 'utf8')) as Workflow
  const bin = await globalBin(w.dir)
  const store = (j: JobRun): string => path.join(j.workspace, j.env.MIRROR_STORE as string)
  const sha = async (rev: string): Promise<string> => await git(['rev-parse', rev], { cwd: w.origin, env: w.env })
  let clone: { report: any } | null = null
  const cache = new ActionsCache()

  const uses: Record<string, Action> = {
    ...cacheActions(cache, { defaultBranch: DEFAULT_BRANCH, storage: path.join(w.dir, 'actions-cache') }),
    'actions/checkout@v4': async (j, inputs) => {
      assert.deepEqual(Object.keys(inputs).filter(k => k !== 'fetch-depth'), [], 'checkout inputs modelled here: fetch-depth')
      const depth = inputs['fetch-depth'] ?? '1'
      const ref = j.event.ref.replace(/^refs\/(heads|tags)\//, '')
      await git(['clone', '--quiet', ...(depth === '0' ? [] : ['--depth', depth]), '--branch', ref, w.originUrl, j.workspace], { cwd: w.dir, env: w.env })
      // the job's token pushes only with contents: write
      if (j.permissions.contents !== 'write') await git(['remote', 'set-url', '--push', 'origin', 'http://127.0.0.1:9/read-only-token.git'], { cwd: j.workspace, env: w.env })
      return undefined
    },
    'actions/setup-node@v4': async (j, inputs) => {
      assert.equal(inputs['node-version'], process.versions.node.split('.')[0], 'the Node.js major this test runs on')
      j.env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${j.env.PATH ?? ''}`
      return undefined
    }
  }
  const runner: Runner = new Runner({
    workflow,
    dir: path.join(w.dir, 'runs'),
    baseEnv: { ...w.env, GIT_CONFIG_GLOBAL: await runnerGitConfig(w) },
    // GitHub's repository is owner/name; the world's server has the one project at /project.git
    github: { server_url: new URL(w.originUrl).origin, repository: 'project', default_branch: DEFAULT_BRANCH },
    envOverrides: { SEED_SECONDS: String(SEED_SECONDS) },
    uses,
    commands: {
      'npm install -g git-torrent-mirror': async j => { j.env.PATH = `${bin}${path.delimiter}${j.env.PATH ?? ''}` },
      'gh workflow run "$GITHUB_WORKFLOW" --repo "$GITHUB_REPOSITORY" --ref "$DEFAULT_BRANCH"': async (j, env) => {
        assert.equal(j.permissions.actions, 'write', 'gh workflow run needs actions: write')
        assert.ok((env.GH_TOKEN ?? '') !== '', 'gh needs GH_TOKEN')
        assert.equal(env.DEFAULT_BRANCH, DEFAULT_BRANCH)
        runner.dispatch({ name: 'workflow_dispatch', ref: `refs/heads/${env.DEFAULT_BRANCH!}`, sha: await sha(env.DEFAULT_BRANCH!) })
      }
    },
    stepTimeoutMs: (SEED_SECONDS + 60) * 1000,
    onStep: async (j, step, running) => {
      if (j.event.name !== 'schedule' || step.run?.includes('git mirror seed') !== true) return
      await running.waitFor(/^seeding \d+ bundle/, { stream: 'stderr', timeoutMs: 30_000 })
      clone = await mirrorClone(w, [...w.net, '--sources', 'torrent', w.originUrl, 'mine'])
    }
  })
  const pushTag = async (tag: string): Promise<Event> => {
    await w.git(['tag', '-a', tag, '-m', `Release ${tag}`])
    await w.git(['push', '--quiet', 'origin', DEFAULT_BRANCH, tag])
    return { name: 'push', ref: `refs/tags/${tag}`, sha: await sha(`${tag}^{commit}`) }
  }
  const scope = (ref: string): string[] => cache.entries.filter(e => e.scope === ref).map(e => e.key)

  // a tag: publish, and a reseed on the default branch that downloads from the publisher and saves the store
  const first = await runner.run(await pushTag('v1.0.0'))
  assert.equal(first.reseed, 'skipped')
  job(first, 'publish')
  assert.match(await w.git(['ls-remote', w.originUrl, 'refs/mirrors/bundle/torrent']), /^[0-9a-f]{40}\trefs\/mirrors\/bundle\/torrent$/)
  const ih1 = await publishedInfoHash(w)
  const dispatched1 = await dispatchedRun(runner)
  assert.equal(dispatched1.publish, 'skipped', 'a dispatch on the default branch only reseeds')
  assert.match(stepStderr(job(dispatched1, 'reseed'), 'git mirror seed'), /downloaded [\d.]+ [KM]iB from peers/)
  assert.deepEqual(scope('refs/tags/v1.0.0'), [], 'nothing saved where only this tag\'s runs could read it')
  assert.equal(scope(`refs/heads/${DEFAULT_BRANCH}`).length, 1, 'the store saved where every run reads')
  assert.deepEqual((await storeEntries(cache.entries[0]!.dir)).map(e => e.infoHash), [ih1])

  // a new commit and tag: the publish finds the previous bundle in the store the cache carried, and makes an increment
  await writeFile(path.join(w.work, 'NEWS'), 'release 1.1.0\n')
  await w.git(['add', 'NEWS'])
  await w.git(['commit', '--quiet', '-m', 'News for 1.1.0'])
  const second = await runner.run(await pushTag('v1.1.0'))
  assert.match(stepStdout(job(second, 'publish'), 'git mirror publish'), /an increment of the list/, 'the cached store carried the chain')
  assert.equal(await publishedInfoHash(w), ih1, 'the torrent record still names the base')
  const listed = await listedInfoHashes(w)
  assert.equal(listed.length, 2)
  const ih2 = listed[1]!
  const held = await storeEntries(store(job(second, 'publish')))
  assert.deepEqual(held.map(e => e.infoHash).sort(), [ih1, ih2].sort(), 'the second publish\'s store holds the base and the increment')
  assert.ok(held.find(e => e.infoHash === ih2)!.refs.includes('refs/tags/v1.1.0'))
  const dispatched2 = await dispatchedRun(runner)
  assert.match(stepStderr(job(dispatched2, 'reseed'), 'git mirror seed'), /already in the store, and the 1 increment\(s\) of its bundle list/)

  // the schedule, with no publisher left: the reseed takes the bundle from the cache and alone serves a clone
  const scheduled = await runner.run({ name: 'schedule', ref: `refs/heads/${DEFAULT_BRANCH}`, sha: await sha(DEFAULT_BRANCH) })
  assert.equal(scheduled.publish, 'skipped')
  assert.match(stepStderr(job(scheduled, 'reseed'), 'git mirror seed'), /already in the store, and the 1 increment/)
  assert.ok(clone !== null, 'the clone ran while the scheduled reseed seeded')
  const report = (clone as { report: any }).report
  assert.equal(report.method, 'torrent', JSON.stringify(report))
  assert.equal(report.infoHash, ih1)
  assert.deepEqual(report.bundles.map((b: any) => [b.infoHash, b.outcome]), [[ih1, 'used'], [ih2, 'used']], 'the base and the increment from the reseed')
  assert.ok(report.bytes.swarm > 0, `bytes from the swarm: ${String(report.bytes.swarm)}`)
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')
  assert.equal(scope(`refs/heads/${DEFAULT_BRANCH}`).length, 3, 'every reseed saved its store')
})
