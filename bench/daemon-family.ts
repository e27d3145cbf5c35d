// The project family the daemon benchmark seeds: small generated
// repositories, each published several times into one shared publisher store
// (a base, then one increment a publish). Each project is two bare
// repositories: the maintainer's (fixtures/make-repo.ts with a seed of its
// own, then one generated commit before each later publish), where
// mirror-publish runs and writes the records, and the served copy the git
// server serves, updated by `git push --mirror`: the moment a publish's
// records reach the server is that push's exit. Deterministic: the same
// commits, bundles and infohashes on every run and machine.
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fastImport, makeRepo, type RepoSpec } from '../fixtures/make-repo.js'
import { git } from '../test/helpers/env.js'
import { randomChunks } from '../test/helpers/fake-source.js'
import { lastJson } from './measure.js'
import { runOurs, type Loopback, type PublishJson } from './setup.js'

export interface FamilySpec {
  projects: number
  /** publishes of each project before the daemon starts: a base and publishes - 1 increments */
  publishes: number
  repo: RepoSpec
  /** bytes of the incompressible file each later commit adds */
  incrementBytes: number
}

export const FAMILY: FamilySpec = {
  projects: 10,
  publishes: 5,
  repo: { commits: 8, branches: 1, tags: 1, binaryFiles: 1, binaryBytes: 48 << 10 },
  incrementBytes: 16 << 10
}

export interface Project {
  name: string
  index: number
  /** where mirror-publish runs (bare, no remote: it writes the records into itself) */
  maintainer: string
  /** what the git server serves */
  served: string
  url: string
  /** commits added after the generated history */
  commits: number
}

const IDENT = 'Bench Maintainer <bench@example.com>'
/** 2024-02-01T00:00:00Z: after every commit fixtures/make-repo.ts writes */
const INCREMENT_TIME = 1706745600

export interface Family {
  projects: Project[]
  /** every publish's result, per project, in order */
  published: PublishJson[][]
  generateSeconds: number
  publishSeconds: number
}

/** The family under lb.srv/family/, each project published spec.publishes times into `store` and pushed. */
export async function makeFamily (lb: Loopback, dir: string, store: string, spec: FamilySpec = FAMILY): Promise<Family> {
  const t0 = performance.now()
  const projects: Project[] = []
  for (let i = 0; i < spec.projects; i++) {
    const name = `p${String(i).padStart(2, '0')}`
    const maintainer = path.join(dir, 'maintainers', `${name}.git`)
    const served = path.join(lb.srv, 'family', `${name}.git`)
    await makeRepo(maintainer, { ...spec.repo, seed: i + 1 }, { env: lb.env, bare: true })
    await git(['init', '-q', '--bare', served], { cwd: dir, env: lb.env })
    projects.push({ name, index: i, maintainer, served, url: lb.server.url(`family/${name}.git`), commits: 0 })
  }
  const t1 = performance.now()
  const published: PublishJson[][] = projects.map(() => [])
  // two lanes: a publish is mostly one core's work (bundle, piece hashes)
  const lanes = [0, 1].map(async lane => {
    for (const p of projects.filter(x => x.index % 2 === lane)) {
      for (let n = 0; n < spec.publishes; n++) {
        if (n > 0) await advance(lb, p, spec.incrementBytes)
        published[p.index]!.push(await publishProject(lb, p, store, dir))
      }
      await pushRecords(lb, p)
    }
  })
  await Promise.all(lanes)
  return { projects, published, generateSeconds: (t1 - t0) / 1000, publishSeconds: (performance.now() - t1) / 1000 }
}

/** One new commit on the maintainer's main: a file of `bytes` incompressible bytes, seeded by project and commit. */
export async function advance (lb: Loopback, p: Project, bytes: number): Promise<void> {
  const n = ++p.commits
  const data = Buffer.concat([...randomChunks(1000 * (p.index + 1) + n, bytes)])
  const msg = `${p.name}: increment ${n}\n`
  const time = `${INCREMENT_TIME + 3600 * n} +0000`
  await fastImport(p.maintainer, lb.env, async write => {
    await write(`commit refs/heads/main\ncommitter ${IDENT} ${time}\ndata ${Buffer.byteLength(msg)}\n${msg}from refs/heads/main^0\n`)
    await write(`M 100644 inline data/increment-${n}.bin\ndata ${data.length}\n`)
    await write(data)
    await write('\ndone\n')
  })
}

/** mirror-publish in the maintainer's repository, into the shared store. */
export async function publishProject (lb: Loopback, p: Project, store: string, dir: string): Promise<PublishJson> {
  const rssDir = path.join(dir, 'rss')
  await mkdir(rssDir, { recursive: true })
  const r = await runOurs(lb, 'mirror-publish', ['--json', '--quiet', '--name', p.name, '--store', store, '--no-sign', ...lb.net],
    { cwd: p.maintainer, timeoutMs: 120_000, rssFile: path.join(rssDir, `publish-${p.name}.jsonl`) })
  if (r.code !== 0) throw new Error(`mirror-publish of ${p.name} failed (exit ${r.code ?? r.signal}):\n${r.stderr.slice(-3000)}`)
  return lastJson<PublishJson>(r.stdout, 'mirror-publish')
}

/** The maintainer's refs, records included, onto the served copy; resolves when the push has exited. */
export async function pushRecords (lb: Loopback, p: Project): Promise<void> {
  await git(['push', '--quiet', '--mirror', p.served], { cwd: p.maintainer, env: lb.env })
}
