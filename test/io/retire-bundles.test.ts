// retireBundles against a real store: what leaves the list is marked, kept
// through the grace period, then removed; other projects' bundles and the
// listed chain are never touched.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import type { BundleMeta } from '../../src/core/bundle-meta.js'
import { Store, type StoredBundle } from '../../src/io/store/store.js'
import { retireBundles } from '../../src/io/store/retire-bundles.js'

async function entry (store: Store, project: string, end: string): Promise<StoredBundle> {
  const temp = await store.makeTemp('publish')
  const file = `${project}-${end.slice(0, 12)}.bundle`
  await writeFile(path.join(temp, file), `bundle ${end}\n`)
  const st = await stat(path.join(temp, file))
  const meta: BundleMeta = {
    format: 1, start: '0'.repeat(40), end, file, size: st.size, sha256: null, infoHash: end, refs: [], head: null,
    created: new Date().toISOString(), mtimeMs: st.mtimeMs, folder: null, pushObject: null, pointer: null, retired: null
  }
  return await store.commit(temp, meta, Buffer.from('d4:infod6:lengthi1eee'))
}

test('retireBundles: marked when they leave the list, removed after the grace, never the listed chain or another project', async t => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gtm-retire-'))
  t.after(async () => await rm(dir, { recursive: true, force: true }))
  const store = await Store.open(dir)
  const old = await entry(store, 'proj', 'a'.repeat(40))
  const listed = await entry(store, 'proj', 'b'.repeat(40))
  const other = await entry(store, 'other', 'c'.repeat(40))
  const now = 1_800_000_000

  const first = await retireBundles(store, { project: 'proj', chain: [listed], nowSeconds: now, graceSeconds: 3600 })
  assert.deepEqual(first, { retired: [old.dir], pruned: [] })
  assert.equal((await store.get(old.meta.start, old.meta.end))!.meta.retired, new Date(now * 1000).toISOString())

  const during = await retireBundles(store, { project: 'proj', chain: [listed], nowSeconds: now + 3599, graceSeconds: 3600 })
  assert.deepEqual(during, { retired: [], pruned: [] }, 'retired once, kept through the grace')

  const after = await retireBundles(store, { project: 'proj', chain: [listed], nowSeconds: now + 3600, graceSeconds: 3600 })
  assert.deepEqual(after, { retired: [], pruned: [old.dir] })
  assert.equal(existsSync(old.dir), false)
  assert.equal(existsSync(listed.bundlePath), true)
  assert.equal(existsSync(other.bundlePath), true, 'another project in the same store')
  assert.equal((await store.get(other.meta.start, other.meta.end))!.meta.retired, null)
})
