import { rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { isLocalPath } from '../core/clone-target.js'
import { MirrorError } from '../core/errors.js'
import { makeDirs } from '../io/fs/make-dirs.js'
import type { Git } from '../io/git/run-git.js'

/** What became of one submodule: cloned through the swarm pipeline (its method), or left to git. */
export interface SubmoduleReport {
  path: string
  url: string
  /** The clone's method ('torrent', 'http', 'mirror', 'origin'), or 'git' when git cloned it (a local URL, as git's own protocol.file rules decide). */
  method: string
  fallbackReason: string | null
}

/** Clones one submodule's repository into `dir` (non-bare, no checkout), as mirror-clone would: the swarm when it publishes records. */
export type CloneOne = (url: string, dir: string) => Promise<{ method: string, fallbackReason: string | null }>

/**
 * `git clone --recurse-submodules` after the checkout, with each
 * submodule's repository cloned through mirror-clone's pipeline (the
 * swarm when the submodule publishes records, a plain clone otherwise)
 * into `.git/modules/<name>`, where `git submodule update --init` finds
 * and uses it: git then checks out the recorded commit (fetching it if no
 * branch has it) and wires the work tree, as it does for its own clones.
 * Nested submodules the same way, depth first. Local and file:// URLs are
 * git's alone, under its protocol.file rules.
 */
export async function cloneSubmodules (repo: Git, cloneOne: CloneOne, o: { onNotice?: (line: string) => void, signal?: AbortSignal, prefix?: string } = {}): Promise<SubmoduleReport[]> {
  const reports: SubmoduleReport[] = []
  await repo.run(['submodule', 'init'], stop(o.signal))
  const gitDir = path.resolve(repo.cwd, (await repo.run(['rev-parse', '--git-dir'])).stdout.trim())
  for (const sm of await submodules(repo)) {
    const shown = `${o.prefix ?? ''}${sm.path}`
    if (sm.url === null) continue   // not active: git submodule init skipped it
    let method = 'git'
    let fallbackReason: string | null = null
    if (!isLocalPath(sm.url) && !sm.url.startsWith('file:')) {
      const modules = path.join(gitDir, 'modules', sm.name)
      const scratch = `${modules}.mirror-clone-${process.pid}`
      o.onNotice?.(`Submodule '${sm.name}' (${sm.url}) for path '${shown}'`)
      await makeDirs(path.dirname(modules), 'the submodule\'s git directory')
      const r = await cloneOne(sm.url, scratch)
      await rename(path.join(scratch, '.git'), modules)
      await rm(scratch, { recursive: true, force: true })
      method = r.method
      fallbackReason = r.fallbackReason
    }
    await repo.run(['submodule', 'update', '--init', '--', sm.path], stop(o.signal))
    reports.push({ path: shown, url: sm.url, method, fallbackReason })
    reports.push(...await cloneSubmodules(repo.at(path.join(repo.cwd, sm.path)), cloneOne, { ...o, prefix: `${shown}/` }))
  }
  return reports
}

/** The submodules of .gitmodules with their name, path and (once `git submodule init` ran) resolved URL. */
async function submodules (repo: Git): Promise<Array<{ name: string, path: string, url: string | null }>> {
  const listed = await repo.run(['config', '-z', '--file', '.gitmodules', '--get-regexp', '^submodule\\..*\\.path$'], { okCodes: [1] })
  const out: Array<{ name: string, path: string, url: string | null }> = []
  for (const entry of listed.stdout.split('\0')) {
    const nl = entry.indexOf('\n')
    if (nl === -1) continue
    const key = entry.slice(0, nl)
    const name = key.slice('submodule.'.length, -'.path'.length)
    const url = await repo.run(['config', '--get', `submodule.${name}.url`], { okCodes: [1] })
    // a name or path that would leave .git/modules or the work tree: git refuses it too
    if (name.split('/').includes('..') || path.isAbsolute(entry.slice(nl + 1))) throw new MirrorError('BAD_RECORD', `.gitmodules names a submodule outside the repository: ${JSON.stringify(name)}`)
    out.push({ name, path: entry.slice(nl + 1), url: url.code === 0 ? url.stdout.trim() : null })
  }
  return out
}

function stop (signal?: AbortSignal): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal }
}
