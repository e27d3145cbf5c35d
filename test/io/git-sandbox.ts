// Git helpers for io tests on top of the shared pinned environment
// (test/helpers/env.ts): a temp directory removed in t.after, repositories
// initialised and committed to in it.
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { TestContext } from 'node:test'
import { makeTestEnv } from '../helpers/env.js'

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
  const te = await makeTestEnv('gtm-test-')
  t.after(async () => { await te.cleanup() })
  const { dir, env } = te

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

