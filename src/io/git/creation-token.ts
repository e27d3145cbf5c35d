import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from '../fs/atomic.js'
import type { Git } from './run-git.js'

/**
 * `<git-dir>/mirror-fetch.json`: per remote, the creationToken of the last
 * bundle of its list this repository holds (git's bundle-uri keeps
 * fetch.bundleCreationToken for the same purpose). A file, not git config,
 * so that a mirror-clone stays equal to a git clone; mirror-fetch looks
 * only at increments published after it. Unreadable means unknown.
 */
const FILE = 'mirror-fetch.json'

export async function readCreationToken (repo: Git, remote: string): Promise<number | null> {
  try {
    const state = JSON.parse(await readFile(await stateFile(repo), 'utf8')) as { remotes?: Record<string, { creationToken?: unknown }> }
    const token = state.remotes?.[remote]?.creationToken
    return Number.isSafeInteger(token) ? token as number : null
  } catch {
    return null
  }
}

export async function writeCreationToken (repo: Git, remote: string, token: number): Promise<void> {
  const file = await stateFile(repo)
  let remotes: Record<string, unknown> = {}
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { remotes?: Record<string, unknown> }
    if (typeof parsed.remotes === 'object' && parsed.remotes !== null) remotes = parsed.remotes
  } catch { /* a new file */ }
  await writeFileAtomic(file, `${JSON.stringify({ remotes: { ...remotes, [remote]: { creationToken: token } } }, null, 2)}\n`)
}

async function stateFile (repo: Git): Promise<string> {
  const gitDir = (await repo.run(['rev-parse', '--absolute-git-dir'])).stdout.trim()
  return path.join(gitDir, FILE)
}
