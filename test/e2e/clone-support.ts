// What the mirror-clone tests share: publishing and seeding in a world, a
// plain git clone to compare with, and a repository's observable state.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Running } from '../helpers/processes.js'
import { json, type World } from './world.js'

export const T = { timeout: 240_000 }
export const SEEDING = /^seeding \d+ bundle/

export async function publish (w: World, extra: string[] = []): Promise<any> {
  const r = await w.run('mirror-publish', [...w.net, '--json', ...extra])
  assert.equal(r.code, 0, r.stderr)
  return json(r)
}

/** mirror-seed in the world's work clone (its store), ready once it announced. */
export async function startSeeder (w: World, extra: string[] = w.net): Promise<Running> {
  const seeder = w.start('mirror-seed', [...extra, '--status-interval', '1'])
  await seeder.waitFor(SEEDING, { stream: 'stderr' })
  return seeder
}

/** Runs mirror-clone --json in w.dir with its own cache; returns the report. */
export async function mirrorClone (w: World, args: string[], o: { timeoutMs?: number, expectCode?: number } = {}): Promise<{ report: any, stderr: string, stdout: string }> {
  const r = await w.run('mirror-clone', ['--json', '--cache', path.join(w.dir, 'cache'), ...args], w.dir, o.timeoutMs ?? 120_000)
  assert.equal(r.code, o.expectCode ?? 0, `mirror-clone exit ${String(r.code)}\n${r.stderr}`)
  return { report: (o.expectCode ?? 0) === 0 ? json(r) : null, stderr: r.stderr, stdout: r.stdout }
}

/** A plain git clone of the origin, measuring what the server sent for it. */
export async function plainClone (w: World, dir: string, args: string[] = []): Promise<{ bytes: number }> {
  w.server.resetStats()
  await w.git(['clone', '--quiet', ...args, w.originUrl, dir], w.dir)
  return { bytes: w.server.bytesSent }
}

/** What must be equal between a mirror-clone and a git clone of the same origin. */
export async function repoState (w: World, dir: string): Promise<Record<string, string>> {
  const g = async (args: string[]): Promise<string> => (await w.git(args, dir)).trim()
  const bare = await g(['rev-parse', '--is-bare-repository'])
  return {
    refs: await g(['for-each-ref', '--format=%(objectname) %(objecttype) %(refname) %(symref)']),
    // a branch (symbolic), or a detached HEAD (clone -b <tag>): name and commit either way
    head: `${await g(['rev-parse', '--symbolic-full-name', 'HEAD'])} ${await g(['rev-parse', 'HEAD'])}`,
    shallow: await readFile(path.resolve(dir, await g(['rev-parse', '--git-path', 'shallow'])), 'utf8').catch(() => 'not shallow'),
    config: await g(['config', '--local', '--list']),
    fsck: await g(['fsck', '--no-dangling', '--no-progress']),
    status: bare === 'true' ? 'bare' : await g(['status', '--porcelain', '--untracked-files=all']),
    tree: bare === 'true' ? 'bare' : await g(['ls-files', '-s'])
  }
}

export async function assertSameAsGitClone (w: World, mine: string, theirs: string): Promise<void> {
  assert.deepEqual(await repoState(w, path.resolve(w.dir, mine)), await repoState(w, path.resolve(w.dir, theirs)))
}

/** A record blob as the origin serves it, fetched into a scratch repository as a client would (with the world's git and credentials). */
export async function fetchRecord (w: World, ref: string): Promise<Buffer> {
  const scratch = path.join(w.dir, `scratch-${Math.random().toString(16).slice(2)}`)
  await w.git(['init', '--bare', '--quiet', scratch])
  await w.git(['fetch', '--quiet', w.originUrl, `${ref}:refs/record`], scratch)
  const oid = await w.git(['rev-parse', 'refs/record'], scratch)
  return execFileSync('git', ['cat-file', 'blob', oid], { cwd: scratch, env: w.env })
}

/** A new commit on main at the origin, with `bytes` of incompressible content, and a tag; returns the commit. */
export async function advance (w: World, name: string, bytes = 4096): Promise<string> {
  await writeFile(path.join(w.work, `${name}.bin`), randomBytes(bytes))
  await w.git(['add', '.'])
  await w.git(['commit', '-q', '-m', name])
  await w.git(['tag', '-a', '-m', name, `t-${name}`])
  await w.git(['push', '-q', '--follow-tags', 'origin', 'HEAD'])
  return await w.git(['rev-parse', 'HEAD'])
}
