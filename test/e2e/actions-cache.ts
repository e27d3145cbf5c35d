// actions/cache as GitHub runs it, for the CI recipe's test: entries are
// scoped by the ref of the run that saved them; a run restores from its own
// ref's entries, then from the default branch's, never from another tag's or
// branch's; an entry is never updated, only added under a new key.
import { existsSync } from 'node:fs'
import { cp } from 'node:fs/promises'
import path from 'node:path'
import type { Action, JobRun } from './actions-runner.js'

/** actions/cache's store, scoped by ref as GitHub scopes it. */
export class ActionsCache {
  readonly entries: Array<{ scope: string, key: string, dir: string, seq: number }> = []
  private seq = 0

  /** An exact hit on `key`, else the newest prefix match of key, then of each restore key; in the run's ref first, then the default branch's. */
  find (scopes: string[], key: string, restoreKeys: string[]): { dir: string, exact: boolean, key: string } | null {
    for (const scope of [...new Set(scopes)]) {
      const here = this.entries.filter(e => e.scope === scope).sort((a, b) => b.seq - a.seq)
      const exact = here.find(e => e.key === key)
      if (exact !== undefined) return { dir: exact.dir, exact: true, key }
      for (const prefix of [key, ...restoreKeys]) {
        const m = here.find(e => e.key.startsWith(prefix))
        if (m !== undefined) return { dir: m.dir, exact: false, key: m.key }
      }
    }
    return null
  }

  /** Keeps a copy of `from` (mtimes too, as tar keeps them); an existing scope and key is left as it is, as GitHub does. */
  async save (scope: string, key: string, from: string, storage: string): Promise<boolean> {
    if (this.entries.some(e => e.scope === scope && e.key === key)) return false
    const dir = path.join(storage, `cache-${++this.seq}`)
    await cp(from, dir, { recursive: true, preserveTimestamps: true })
    this.entries.push({ scope, key, dir, seq: this.seq })
    return true
  }
}

/**
 * actions/cache@v4 (restore now, save after the job's steps when the key was
 * not hit exactly) and actions/cache/restore@v4, for one path under the
 * workspace. A path that does not exist is not saved, as GitHub warns and
 * goes on.
 */
export function cacheActions (cache: ActionsCache, o: { defaultBranch: string, storage: string }): Record<string, Action> {
  const restore = async (job: JobRun, inputs: Record<string, string>, save: boolean): Promise<(() => Promise<void>) | undefined> => {
    const known = ['path', 'key', 'restore-keys']
    const unknown = Object.keys(inputs).filter(k => !known.includes(k))
    if (unknown.length > 0) throw new Error(`actions/cache with ${unknown.join(', ')}: not modelled here`)
    const rel = inputs.path ?? ''
    if (rel === '' || /[\n*?[]/.test(rel) || path.isAbsolute(rel)) throw new Error(`actions/cache path "${rel}": one relative path only, here`)
    const dir = path.join(job.workspace, rel)
    const key = inputs.key ?? ''
    if (key === '') throw new Error('actions/cache needs a key')
    const restoreKeys = (inputs['restore-keys'] ?? '').split('\n').map(k => k.trim()).filter(k => k !== '')
    const hit = cache.find([job.event.ref, `refs/heads/${o.defaultBranch}`], key, restoreKeys)
    if (hit !== null) await cp(hit.dir, dir, { recursive: true, preserveTimestamps: true })
    if (!save || hit?.exact === true) return undefined
    return async () => {
      if (existsSync(dir)) await cache.save(job.event.ref, key, dir, o.storage)
    }
  }
  return {
    'actions/cache@v4': async (job, inputs) => await restore(job, inputs, true),
    'actions/cache/restore@v4': async (job, inputs) => await restore(job, inputs, false)
  }
}
