// A temp directory and a pinned environment for tests that run git, the way
// git's own test suite pins it: HOME and the global config inside the temp
// directory, no system config, UTC, fixed dates, C locale. Removed in t.after.
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'

export const FIXED_DATE = '2024-01-01T00:00:00Z'

export interface Sandbox {
  /** The temp directory (real path). */
  dir: string
  /** Pass this to the code under test, e.g. `new Git(repo, env)`. */
  env: NodeJS.ProcessEnv
  /** Runs git in `cwd` with the pinned env; rejects on a non-zero exit. */
  git: (cwd: string, args: string[], input?: string | Buffer) => Promise<{ stdout: string, stderr: string }>
  /** Same, stdout as bytes. */
  gitBuffer: (cwd: string, args: string[]) => Promise<Buffer>
  /** `git init` of a new repository `name` under dir with branch main. */
  init: (name: string, ...extra: string[]) => Promise<string>
  /** Writes `file` and commits it; returns the new commit id. */
  commit: (repo: string, file: string, content: string, message?: string) => Promise<string>
}

export async function sandbox (t: TestContext): Promise<Sandbox> {
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'gtm-test-')))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const home = path.join(dir, 'home')
  await mkdir(home)
  const gitconfig = path.join(home, '.gitconfig')
  await writeFile(gitconfig, '[user]\n\tname = Test User\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n')

  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('GIT_') || /^(DEBUG|https?_proxy|HTTPS?_PROXY|all_proxy|ALL_PROXY)$/.test(k)) continue
    env[k] = v
  }
  Object.assign(env, {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    GIT_CONFIG_GLOBAL: gitconfig,
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
    GIT_COMMITTER_DATE: FIXED_DATE
  })

  const run = async (cwd: string, args: string[], input?: string | Buffer, encoding: 'utf8' | 'buffer' = 'utf8'): Promise<{ stdout: string | Buffer, stderr: string }> =>
    await new Promise((resolve, reject) => {
      const child = execFile('git', args, { cwd, env, encoding, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err !== null) reject(new Error(`git ${args.join(' ')}: ${String(err.message)}\n${String(stderr)}`))
        else resolve({ stdout, stderr: String(stderr) })
      })
      child.stdin!.on('error', () => {})   // git may exit without reading stdin; its exit status tells
      child.stdin!.end(input ?? '')
    })

  const git = async (cwd: string, args: string[], input?: string | Buffer): Promise<{ stdout: string, stderr: string }> => {
    const r = await run(cwd, args, input)
    return { stdout: r.stdout as string, stderr: r.stderr }
  }
  const gitBuffer = async (cwd: string, args: string[]): Promise<Buffer> => (await run(cwd, args, undefined, 'buffer')).stdout as Buffer

  const init = async (name: string, ...extra: string[]): Promise<string> => {
    const repo = path.join(dir, name)
    await git(dir, ['init', '-q', '-b', 'main', ...extra, repo])
    return repo
  }
  const commit = async (repo: string, file: string, content: string, message = `change ${file}`): Promise<string> => {
    await writeFile(path.join(repo, file), content)
    await git(repo, ['add', '--', file])
    await git(repo, ['commit', '-q', '-m', message])
    return (await git(repo, ['rev-parse', 'HEAD'])).stdout.trim()
  }
  return { dir, env, git, gitBuffer, init, commit }
}

