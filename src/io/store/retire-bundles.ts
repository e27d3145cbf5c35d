import { rm } from 'node:fs/promises'
import path from 'node:path'
import createDebug from 'debug'
import { isProjectBundle } from '../../core/project-name.js'
import type { Store, StoredBundle } from './store.js'

const debug = createDebug('mirror:store')

/** A week: a bundle that left the list is still seeded for clients holding the old chain (and a weekly CI reseed) this long. */
export const DEFAULT_GRACE_SECONDS = 7 * 24 * 3600

/**
 * After a publish (or a reseed of a remote's list): the project's stored bundles that are not in `chain`
 * are marked retired (meta.json `retired`, the time they left the list),
 * and those retired more than `graceSeconds` ago are removed from the store
 * (0: all of them, mirror-publish --prune). A project's bundles are named
 * for it (core/project-name.ts isProjectBundle).
 * Returns the directories retired now and those removed.
 */
export async function retireBundles (
  store: Store, o: { project: string, chain: StoredBundle[], nowSeconds: number, graceSeconds: number }
): Promise<{ retired: string[], pruned: string[] }> {
  const listed = new Set(o.chain.map(e => e.dir))
  const retired: string[] = []
  const pruned: string[] = []
  for (let e of await store.list()) {
    if (listed.has(e.dir) || !isProjectBundle(o.project, e.meta.file)) continue
    if (e.meta.retired === null) {
      e = await store.update(e, { ...e.meta, retired: new Date(o.nowSeconds * 1000).toISOString() })
      retired.push(e.dir)
    }
    if (o.nowSeconds - Date.parse(e.meta.retired!) / 1000 >= o.graceSeconds) {
      debug('removing %s, retired %s', e.dir, e.meta.retired)
      // meta.json first: a crash mid-way leaves a directory the store no longer loads, never half an entry that looks whole
      await rm(path.join(e.dir, 'meta.json'), { force: true })
      await rm(e.dir, { recursive: true, force: true })
      pruned.push(e.dir)
    }
  }
  return { retired, pruned }
}
