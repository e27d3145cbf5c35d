// A pinned environment for tests, the way git's own test suite pins it:
// HOME and the global git config live in the test's temp directory, dates,
// locale and time zone are fixed, so a developer's setup never changes a result.
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

export interface TestEnv {
  dir: string
  env: NodeJS.ProcessEnv
  cleanup(): Promise<void>
}

export const FIXED_DATE = '2024-01-01T00:00:00Z'

const GITCONFIG = [
  '[user]',
  '\tname = Test User',
  '\temail = test@example.com',
  '[init]',
  '\tdefaultBranch = main',
  '[protocol]',
  '\tversion = 2',
  ''
].join('\n')

// Variables that would point git somewhere else, trace it, or route loopback
// traffic through a proxy. Every GIT_* variable is dropped as test-lib.sh does.
const DROP = ['DEBUG', 'http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']

export function pinnedEnv (dir: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(base)) {
    if (k.startsWith('GIT_') || DROP.includes(k)) continue
    env[k] = v
  }
  const home = path.join(dir, 'home')
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig'),
    GIT_CONFIG_NOSYSTEM: '1',
    TZ: 'UTC',
    LC_ALL: 'C',
    LANG: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Test User',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_AUTHOR_DATE: FIXED_DATE,
    GIT_COMMITTER_NAME: 'Test User',
    GIT_COMMITTER_EMAIL: 'test@example.com',
    GIT_COMMITTER_DATE: FIXED_DATE,
    no_proxy: '127.0.0.1,localhost',
    NO_PROXY: '127.0.0.1,localhost'
  }
}

export async function makeTestEnv (prefix = 'gtm-'): Promise<TestEnv> {
  const dir = await mkdtemp(path.join(await realpath(os.tmpdir()), prefix))
  const env = pinnedEnv(dir)
  const home = env.HOME as string
  await mkdir(path.join(home, '.config'), { recursive: true })
  await mkdir(path.join(home, '.cache'), { recursive: true })
  await writeFile(env.GIT_CONFIG_GLOBAL as string, GITCONFIG)
  let removed: Promise<void> | undefined
  return {
    dir,
    env,
    cleanup: () => (removed ??= rm(dir, { recursive: true, force: true, maxRetries: 3 }))
  }
}

export class GitError extends Error {
  constructor (
    message: string,
    readonly args: string[],
    readonly exitCode: number | string | null,
    readonly stderr: string,
    readonly stdout: string
  ) {
    super(message)
    this.name = 'GitError'
  }
}

export async function git (
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; input?: string | Buffer }
): Promise<string> {
  return await new Promise((resolve, reject) => {
    const child = execFile('git', args, {
      cwd: opts.cwd,
      env: opts.env,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024
    }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as { code?: number | string }).code ?? null
        const msg = `git ${args.join(' ')} failed (${String(code)}${err.killed ? ', killed' : ''}): ${stderr.trim() || err.message}`
        reject(new GitError(msg, args, code, stderr, stdout))
        return
      }
      resolve(stdout.endsWith('\n') ? stdout.slice(0, -1) : stdout)
    })
    child.stdin?.on('error', () => { /* git may exit before reading its input; the exit status tells */ })
    child.stdin?.end(opts.input)
  })
}
