// Store against the real file system.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { access, appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Store } from '../../src/io/store/store.js'
import type { BundleMeta } from '../../src/core/bundle-meta.js'

const ZERO = '0'.repeat(40)
const A = 'a'.repeat(40)

async function tempDir (t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gtm-store-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

const exists = async (p: string): Promise<boolean> => await access(p).then(() => true, () => false)

/** A temp entry holding a bundle file, and the meta that describes it. */
async function prepare (store: Store, end: string, opts: { content?: string, infoHash?: string } = {}): Promise<{ temp: string, meta: BundleMeta }> {
  const temp = await store.makeTemp('publish')
  const file = `repo-${end.slice(0, 12)}.bundle`
  const content = opts.content ?? `bundle for ${end}\n`
  await writeFile(path.join(temp, file), content)
  const st = await stat(path.join(temp, file))
  const meta: BundleMeta = {
    format: 1,
    start: ZERO,
    end,
    file,
    size: st.size,
    sha256: null,
    infoHash: opts.infoHash ?? '1'.repeat(40),
    refs: [{ name: 'HEAD', oid: A }, { name: 'refs/heads/main', oid: A }],
    head: 'refs/heads/main',
    created: '2024-01-01T00:00:00.000Z',
    mtimeMs: st.mtimeMs,
    folder: null,
    pushObject: null,
    pointer: null,
    retired: null
  }
  return { temp, meta }
}

test('Store.open: creates bundles/ and tmp/, and opens again', async (t) => {
  const root = path.join(await tempDir(t), 'deep', 'store')
  const store = await Store.open(root)
  assert.equal(store.root, root)
  assert.deepEqual((await readdir(root)).sort(), ['bundles', 'tmp'])
  assert.deepEqual(await readdir(path.join(root, 'tmp')), [], 'the write probe is removed')
  const again = await Store.open(root)
  assert.deepEqual(await again.list(), [])
})

test('Store.open: a relative path is resolved', async (t) => {
  const dir = await tempDir(t)
  const cwd = process.cwd()
  process.chdir(dir)
  t.after(() => process.chdir(cwd))
  const store = await Store.open('rel')
  assert.equal(store.root, path.join(process.cwd(), 'rel'))
  assert.ok(await exists(path.join(dir, 'rel', 'bundles')))
})

test('Store.open: STORE_NOT_WRITABLE when the directory cannot be made', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'a-regular-file')
  await writeFile(file, 'x')
  // tests run as root here, so a chmod 0555 parent would not stop mkdir; a path under a file does (ENOTDIR)
  const root = path.join(file, 'store')
  await assert.rejects(Store.open(root), (err: any) => {
    assert.equal(err.name, 'MirrorError')
    assert.equal(err.code, 'STORE_NOT_WRITABLE')
    assert.equal(err.message, `store ${root} is not writable (cannot create directory ${root}/bundles: ENOTDIR)`)
    assert.deepEqual(err.data, { store: root })
    return true
  })
})

test('Store.open: STORE_NOT_WRITABLE when tmp/ is a file', async (t) => {
  const root = await tempDir(t)
  await writeFile(path.join(root, 'tmp'), 'x')
  await assert.rejects(Store.open(root), { name: 'MirrorError', code: 'STORE_NOT_WRITABLE', message: `store ${root} is not writable (cannot create directory ${root}/tmp: ${root}/tmp is not a directory)` })
})

test('Store: commit makes the entry visible with one rename', async (t) => {
  const store = await Store.open(await tempDir(t))
  const end = 'e'.repeat(40)
  const { temp, meta } = await prepare(store, end)
  const torrent = Buffer.from('d4:infod4:name1:xee')

  // while under tmp/ nothing is listed, even with every file in place
  await writeFile(path.join(temp, 'meta.json'), JSON.stringify(meta))
  assert.deepEqual(await store.list(), [])
  assert.equal(await store.get(ZERO, end), null)

  const entry = await store.commit(temp, meta, torrent)
  assert.equal(entry.dir, path.join(store.root, 'bundles', '00', ZERO.slice(2), end))
  assert.equal(entry.dir, store.bundleDir(ZERO, end))
  assert.equal(entry.bundlePath, path.join(entry.dir, meta.file))
  assert.equal(entry.torrentPath, path.join(entry.dir, `${meta.file}.torrent`))
  assert.deepEqual(entry.meta, meta)
  assert.equal(await exists(temp), false, 'the temp directory was renamed, not copied')
  assert.deepEqual((await readdir(entry.dir)).sort(), [meta.file, `${meta.file}.torrent`, 'meta.json'].sort())
  assert.deepEqual(await readFile(entry.torrentPath), torrent)
  assert.deepEqual(JSON.parse(await readFile(path.join(entry.dir, 'meta.json'), 'utf8')), meta)

  assert.deepEqual(await store.list(), [entry])
  assert.deepEqual(await store.get(ZERO, end), entry)
  assert.equal(await store.get(ZERO, 'd'.repeat(40)), null)
})

test('Store: list() ignores directories that are not whole entries', async (t) => {
  const store = await Store.open(await tempDir(t))
  const good = await store.commit(...await prepareArgs(store, 'e'.repeat(40)))

  // a crash before meta.json: bundle and torrent, no meta
  const noMeta = store.bundleDir(ZERO, 'b'.repeat(40))
  await mkdir(noMeta, { recursive: true })
  await writeFile(path.join(noMeta, 'repo-bbbbbbbbbbbb.bundle'), 'x')
  await writeFile(path.join(noMeta, 'repo-bbbbbbbbbbbb.bundle.torrent'), 'x')
  // meta.json that does not parse
  const badMeta = store.bundleDir(ZERO, 'c'.repeat(40))
  await mkdir(badMeta, { recursive: true })
  await writeFile(path.join(badMeta, 'meta.json'), '{"format": 1')
  // a valid meta.json stored under the wrong directory
  const wrongDir = store.bundleDir(ZERO, 'd'.repeat(40))
  await mkdir(wrongDir, { recursive: true })
  await writeFile(path.join(wrongDir, 'meta.json'), await readFile(path.join(good.dir, 'meta.json')))
  // stray files at every level
  await writeFile(path.join(store.root, 'bundles', 'README'), 'x')
  await writeFile(path.join(store.root, 'bundles', '00', 'stray'), 'x')

  assert.deepEqual(await store.list(), [good])
  assert.equal(await store.get(ZERO, 'b'.repeat(40)), null)
  assert.equal(await store.get(ZERO, 'c'.repeat(40)), null)
  assert.equal(await store.get(ZERO, 'd'.repeat(40)), null)
})

async function prepareArgs (store: Store, end: string, infoHash?: string): Promise<[string, BundleMeta, Uint8Array]> {
  const { temp, meta } = await prepare(store, end, infoHash === undefined ? {} : { infoHash })
  return [temp, meta, Buffer.from(`torrent of ${end}`)]
}

test('Store: committing the same state twice keeps the first entry', async (t) => {
  const store = await Store.open(await tempDir(t))
  const end = 'e'.repeat(40)
  const first = await store.commit(...await prepareArgs(store, end))
  const [temp2, meta2] = await prepareArgs(store, end)
  const second = await store.commit(temp2, { ...meta2, created: '2025-01-01T00:00:00.000Z' }, Buffer.from('another torrent'))
  assert.deepEqual(second, first)
  assert.equal(await exists(temp2), false, 'the losing temp directory is removed')
  assert.deepEqual(await readFile(first.torrentPath, 'utf8'), `torrent of ${end}`)
  assert.deepEqual(await readdir(path.join(store.root, 'tmp')), [])
})

test('Store: the same state under another torrent (signed again) replaces the entry', async (t) => {
  const store = await Store.open(await tempDir(t))
  const end = 'e'.repeat(40)
  await store.commit(...await prepareArgs(store, end, '1'.repeat(40)))
  const [temp2, meta2] = await prepareArgs(store, end, '2'.repeat(40))
  const second = await store.commit(temp2, meta2, Buffer.from('the newer torrent'))
  assert.equal(second.meta.infoHash, '2'.repeat(40))
  assert.equal(await readFile(second.torrentPath, 'utf8'), 'the newer torrent')
  assert.equal((await store.findByInfoHash('1'.repeat(40))), null)
  assert.deepEqual((await store.list()).map(e => e.meta.infoHash), ['2'.repeat(40)])
  assert.deepEqual(await readdir(path.join(store.root, 'tmp')), [], 'the replaced entry is gone')
})

test('Store: isUnchanged follows the bundle file\'s size and mtime', async (t) => {
  const store = await Store.open(await tempDir(t))
  const committed = await store.commit(...await prepareArgs(store, 'e'.repeat(40)))
  assert.equal(await store.isUnchanged(committed), true, 'right after commit')

  const T0 = 1_700_000_000   // whole seconds: a Date round trip keeps them exactly
  await utimes(committed.bundlePath, T0, T0)
  assert.equal(await store.isUnchanged(committed), false, 'touched')
  const entry = await store.update(committed, { ...committed.meta, mtimeMs: T0 * 1000 })
  assert.equal(await store.isUnchanged(entry), true, 'meta updated to the new mtime')

  await utimes(entry.bundlePath, T0, T0 + 5)
  assert.equal(await store.isUnchanged(entry), false, 'touched again')
  await utimes(entry.bundlePath, T0, T0)
  assert.equal(await store.isUnchanged(entry), true, 'mtime restored')

  await appendFile(entry.bundlePath, 'more')
  await utimes(entry.bundlePath, T0, T0)
  assert.equal(await store.isUnchanged(entry), false, 'same mtime, other size')

  await rm(entry.bundlePath)
  assert.equal(await store.isUnchanged(entry), false, 'gone')
})

test('Store: isUnchanged survives the meta.json round trip (sub-millisecond mtimes)', async (t) => {
  const store = await Store.open(await tempDir(t))
  const entry = await store.commit(...await prepareArgs(store, 'e'.repeat(40)))
  await utimes(entry.bundlePath, new Date(), 1700000000.123456)
  const st = await stat(entry.bundlePath)
  const updated = await store.update(entry, { ...entry.meta, mtimeMs: st.mtimeMs })
  const reloaded = await store.get(ZERO, 'e'.repeat(40))
  assert.ok(reloaded !== null)
  assert.deepEqual(reloaded.meta, updated.meta)
  assert.equal(await store.isUnchanged(reloaded), true)
})

test('Store: findByInfoHash', async (t) => {
  const store = await Store.open(await tempDir(t))
  const e1 = await store.commit(...await prepareArgs(store, 'e'.repeat(40), '1'.repeat(40)))
  const e2 = await store.commit(...await prepareArgs(store, 'd'.repeat(40), '2'.repeat(40)))
  assert.deepEqual(await store.findByInfoHash('1'.repeat(40)), e1)
  assert.deepEqual(await store.findByInfoHash('2'.repeat(40)), e2)
  assert.equal(await store.findByInfoHash('3'.repeat(40)), null)
  assert.equal((await store.list()).length, 2)
})

test('Store: update replaces the torrent and meta in place', async (t) => {
  const store = await Store.open(await tempDir(t))
  const entry = await store.commit(...await prepareArgs(store, 'e'.repeat(40)))
  const meta = { ...entry.meta, created: '2030-01-01T00:00:00.000Z' }
  const updated = await store.update(entry, meta, Buffer.from('new torrent'))
  assert.deepEqual(updated, { ...entry, meta })
  assert.equal(await readFile(entry.torrentPath, 'utf8'), 'new torrent')
  assert.deepEqual(await store.get(ZERO, 'e'.repeat(40)), updated)
  assert.deepEqual((await readdir(entry.dir)).sort(), [entry.meta.file, `${entry.meta.file}.torrent`, 'meta.json'].sort(), 'no temp files left')
})

test('Store: keys and temp names are checked (RangeError: a caller bug)', async (t) => {
  const store = await Store.open(await tempDir(t))
  for (const [start, end] of [['x', A], [ZERO, '../../etc'], [ZERO, A.toUpperCase()]]) {
    assert.throws(() => store.bundleDir(start!, end!), RangeError)
  }
  await assert.rejects(store.stableTemp('../escape'), RangeError)
  await assert.rejects(store.stableTemp(`download-${'A'.repeat(40)}`), RangeError)
  const dir = await store.stableTemp(`download-${A}`)
  assert.equal(dir, path.join(store.root, 'tmp', `download-${A}`))
  assert.equal(await store.stableTemp(`download-${A}`), dir, 'stable: the same name again')
  const t1 = await store.makeTemp('x')
  const t2 = await store.makeTemp('x')
  assert.notEqual(t1, t2)
  assert.equal(path.dirname(t1), path.join(store.root, 'tmp'))
})

test('claimDownload: one live run holds tmp/download-<infohash>; others get a private directory; a dead holder\'s lock is taken over', async (t) => {
  const store = await Store.open(await tempDir(t))
  const ih = 'c'.repeat(40)
  const first = await store.claimDownload(ih)
  assert.equal(first.shared, true)
  assert.equal(first.dir, path.join(store.root, 'tmp', `download-${ih}`))
  assert.match(await readFile(`${first.dir}.lock`, 'utf8'), new RegExp(`^${process.pid} [0-9a-f]{16}$`))

  const second = await store.claimDownload(ih)   // held by a live run (this one): the lock holds
  assert.equal(second.shared, false)
  assert.match(path.basename(second.dir), /^private-\d+-[0-9a-f]{8}-[0-9a-f]{12}$/)
  await second.release()
  assert.ok(await exists(`${first.dir}.lock`), 'a run without the lock does not drop it')

  await first.release()
  assert.equal(await exists(`${first.dir}.lock`), false)
  assert.ok(await exists(first.dir), 'the partial download stays for a rerun')

  await writeFile(`${first.dir}.lock`, '999999999 0123456789abcdef')   // no such process: a crashed run's lock
  const third = await store.claimDownload(ih)
  assert.equal(third.shared, true)
  await third.release()

  await writeFile(`${first.dir}.lock`, `${process.pid} 0123456789abcdef`)   // our pid, but not our lock: a previous life's (containers reuse pids)
  const fourth = await store.claimDownload(ih)
  assert.equal(fourth.shared, true)
  await fourth.release()
})
