// One loopback world per e2e test: a generated repository served by a real
// smart-HTTP git server, a real tracker, a working clone, the executables.
import type { TestContext } from 'node:test'
import path from 'node:path'
import { makeRepo, type RepoSpec } from '../../fixtures/make-repo.js'
import { git, makeTestEnv } from '../helpers/env.js'
import { startGitServer, type GitServer } from '../helpers/git-server.js'
import { killAll, runBin, startBin, type RunResult, type Running } from '../helpers/processes.js'
import { startTracker, type Tracker } from '../helpers/tracker.js'

export interface World {
  dir: string
  env: NodeJS.ProcessEnv
  server: GitServer
  tracker: Tracker
  /** The bare repository the server serves. */
  origin: string
  originUrl: string
  /** A clone of the origin: where a maintainer runs mirror-publish. */
  work: string
  /** Network flags that keep everything on loopback: the tracker, nothing public. */
  net: string[]
  git: (args: string[], cwd?: string) => Promise<string>
  run: (bin: string, args: string[], cwd?: string, timeoutMs?: number) => Promise<RunResult>
  start: (bin: string, args: string[], cwd?: string) => Running
}

export const QUIET_NET = ['--no-dht', '--no-lsd', '--no-upnp']

/**
 * `auth`: the server asks for HTTP Basic credentials (a private repository);
 * git gets them from a credential helper in the test's global config, so
 * the maintainer's clone and every git the executables run authenticate,
 * and anything anonymous gets 401.
 */
export async function makeWorld (t: TestContext, o: { spec?: RepoSpec, auth?: { user: string, password: string } } = {}): Promise<World> {
  const te = await makeTestEnv('gtm-e2e-')
  const { env, dir } = te
  const root = path.join(dir, 'srv')
  const origin = path.join(root, 'project.git')
  await makeRepo(origin, o.spec ?? {}, { env, bare: true })
  if (o.auth !== undefined) {
    await git(['config', '--global', 'credential.helper', `!f() { echo username=${o.auth.user}; echo password=${o.auth.password}; }; f`], { cwd: dir, env })
  }
  const server = await startGitServer({ root, env, ...(o.auth === undefined ? {} : { auth: o.auth }) })
  const tracker = await startTracker()
  t.after(async () => {
    await killAll()
    await server.close()
    await tracker.close()
    await te.cleanup()
  })
  const originUrl = server.url('project.git')
  const work = path.join(dir, 'work')
  await git(['clone', '--quiet', originUrl, work], { cwd: dir, env })
  return {
    dir,
    env,
    server,
    tracker,
    origin,
    originUrl,
    work,
    net: ['--tracker', tracker.announceUrl, ...QUIET_NET],
    git: async (args, cwd = work) => await git(args, { cwd, env }),
    run: async (bin, args, cwd = work, timeoutMs = 60_000) => await runBin(bin, args, { cwd, env, timeoutMs }),
    start: (bin, args, cwd = work) => startBin(bin, args, { cwd, env })
  }
}

/** Parses the single JSON object a command printed with --json. */
export function json (r: RunResult): any {
  try {
    return JSON.parse(r.stdout)
  } catch {
    throw new Error(`stdout is not one JSON object (exit ${String(r.code)}):\n${r.stdout}\nstderr:\n${r.stderr}`)
  }
}

/** The JSON lines a long-running command printed with --json. */
export function jsonLines (text: string): any[] {
  return text.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l))
}
