// stageSignedPack against real git: a signed publish's bundle and pack index
// made by createBundle (as mirror-publish makes them), staged into a fresh
// repository as they are, or refused when the pack is not the one the index
// names, leaving nothing in the object store and no staged ref.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { createBundle } from '../../src/publish/create-bundle.js'
import { stageSignedPack } from '../../src/source/stage-signed-pack.js'
import { startCopying } from '../../src/source/copy-stream.js'
import { stopStreaming } from '../../src/source/index-stream.js'
import { hashFile } from '../../src/io/fs/hash-file.js'
import { Store } from '../../src/io/store/store.js'
import { sortRefs, type Ref } from '../../src/core/ref-list.js'
import { readBundleHeader } from '../../src/io/fs/read-bundle-header.js'
import { Git } from '../../src/io/git/run-git.js'
import { openRepository } from '../../src/io/git/repository.js'
import { sandbox, type Sandbox } from '../io/git-sandbox.js'

interface Published {
  bundle: string
  idx: string
  rev: string
  refs: Ref[]
}

/** A repository with a few commits, a branch and a tag. */
async function source (sb: Sandbox, name: string, files: number): Promise<string> {
  const repo = await sb.init(name)
  for (let i = 0; i < files; i++) await sb.commit(repo, `f${i}.txt`, `${name} file ${i}\n${'line\n'.repeat(50 * (i + 1))}`)
  await sb.git(repo, ['branch', 'topic', 'HEAD~1'])
  await sb.git(repo, ['tag', '-a', '-m', 'v1', 'v1', 'HEAD'])
  return repo
}

/** What a signed publish makes: createBundle with `index`, into `out`. */
async function publishSigned (sb: Sandbox, repo: string, out: string): Promise<Published> {
  await mkdir(out, { recursive: true })
  const lines = (await sb.git(repo, ['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads/', 'refs/tags/'])).stdout.trim().split('\n')
  const refs = lines.map(l => ({ oid: l.slice(0, 40), name: l.slice(41) }))
  const head = (await sb.git(repo, ['rev-parse', 'HEAD'])).stdout.trim()
  const state = { refs: sortRefs([...refs, { oid: head, name: 'HEAD' }]), head: 'refs/heads/main' }
  const made = await createBundle(await openRepository(repo, sb.env), state, out, 'project-0123456789ab.bundle', { index: true })
  assert.ok(made.index !== null, 'createBundle wrote the index files')
  return { bundle: made.path, idx: made.index.idx, rev: made.index.rev, refs: state.refs }
}

async function destination (sb: Sandbox, name: string): Promise<{ dir: string, git: Git, packDir: string }> {
  const dir = await sb.init(name)
  return { dir, git: new Git(dir, sb.env), packDir: path.join(dir, '.git', 'objects', 'pack') }
}

async function stagedRefs (sb: Sandbox, dir: string): Promise<string> {
  return (await sb.git(dir, ['for-each-ref', '--format=%(objectname) %(refname)', 'refs/mirror/'])).stdout
}

/** Refused as naming another pack; objects/pack as empty as before; no staged ref; nothing in the object store. */
async function assertRefusedCleanly (sb: Sandbox, d: { dir: string, git: Git, packDir: string }, staging: Promise<unknown>): Promise<void> {
  await assert.rejects(staging, (err: any) => {
    assert.equal(err.name, 'MirrorError')
    assert.equal(err.code, 'BAD_BUNDLE')
    assert.equal(err.message, 'the signed pack index names another pack than the bundle holds')
    return true
  })
  assert.deepEqual(await readdir(d.packDir), [], 'no pack, idx, rev or temporary file stays in objects/pack')
  assert.equal(await stagedRefs(sb, d.dir), '', 'no ref staged')
  const counts = (await sb.git(d.dir, ['count-objects', '-v'])).stdout
  assert.match(counts, /^count: 0$/m)
  assert.match(counts, /^packs: 0$/m)
}

async function setup (t: TestContext): Promise<{ sb: Sandbox, a: Published, b: Published }> {
  const sb = await sandbox(t)
  const a = await publishSigned(sb, await source(sb, 'a', 4), path.join(sb.dir, 'out-a'))
  const b = await publishSigned(sb, await source(sb, 'b', 5), path.join(sb.dir, 'out-b'))
  return { sb, a, b }
}

test('stageSignedPack: a bundle and its own signed index go in as they are; the refs are staged; git fsck passes', async t => {
  const { sb, a } = await setup(t)
  const d = await destination(sb, 'dest')
  const header = await readBundleHeader(a.bundle)
  const progress: Array<{ loaded?: number, total?: number }> = []
  const staged = await stageSignedPack(d.git, { file: a.bundle, header, idx: a.idx, rev: a.rev }, { onProgress: p => progress.push(p) })

  const expected = a.refs.filter(r => r.name !== 'HEAD').map(r => ({ oid: r.oid, name: r.name.replace(/^refs\//, 'refs/mirror/torrent/') }))
  assert.deepEqual(staged, expected)
  assert.equal(await stagedRefs(sb, d.dir), expected.map(r => `${r.oid} ${r.name}\n`).join(''))

  const name = `pack-${(await readFile(a.idx)).subarray(-40, -20).toString('hex')}`
  assert.deepEqual((await readdir(d.packDir)).sort(), [`${name}.idx`, `${name}.pack`, `${name}.rev`])
  const bundle = await readFile(a.bundle)
  assert.ok((await readFile(path.join(d.packDir, `${name}.pack`))).equals(bundle.subarray(header.length)), 'the pack is the bundle\'s, byte for byte')
  assert.ok((await readFile(path.join(d.packDir, `${name}.idx`))).equals(await readFile(a.idx)))
  assert.ok((await readFile(path.join(d.packDir, `${name}.rev`))).equals(await readFile(a.rev)))
  await sb.git(d.dir, ['fsck', '--strict', '--no-dangling'])
  await sb.git(d.dir, ['verify-pack', path.join(d.packDir, `${name}.idx`)])
  const total = bundle.length - header.length
  assert.deepEqual(progress.at(-1), { phase: 'index', loaded: total, total, detail: 'pack and its signed index' })
})

test('stageSignedPack: a pack whose trailing checksum is not the one the index names is refused; nothing stays, nothing is staged', async t => {
  const { sb, a } = await setup(t)
  const good = await readFile(a.bundle)
  const flipped = Buffer.from(good)
  flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 0x01   // the pack trailer's last byte: same size
  const file = path.join(sb.dir, 'flipped.bundle')
  await writeFile(file, flipped)
  const d = await destination(sb, 'dest')
  await assertRefusedCleanly(sb, d, stageSignedPack(d.git, { file, header: await readBundleHeader(file), idx: a.idx, rev: a.rev }))
})

test('stageSignedPack: another publish\'s pack beside this index (and this pack beside another index) is refused; nothing stays', async t => {
  const { sb, a, b } = await setup(t)
  const d = await destination(sb, 'dest')
  await assertRefusedCleanly(sb, d, stageSignedPack(d.git, { file: b.bundle, header: await readBundleHeader(b.bundle), idx: a.idx, rev: a.rev }))
  await assertRefusedCleanly(sb, d, stageSignedPack(d.git, { file: a.bundle, header: await readBundleHeader(a.bundle), idx: b.idx, rev: null }))
  // the same destination then takes the right pair
  await stageSignedPack(d.git, { file: b.bundle, header: await readBundleHeader(b.bundle), idx: b.idx, rev: null })
  assert.equal((await readdir(d.packDir)).filter(f => f.endsWith('.rev')).length, 0, 'no .rev without one given')
  await sb.git(d.dir, ['fsck', '--strict', '--no-dangling'])
  assert.ok(existsSync(path.join(d.dir, '.git', 'refs')) && (await stagedRefs(sb, d.dir)).includes('refs/mirror/torrent/heads/main'))
})

// mirror-clone interrupted during the signed fast path must say ABORTED, not "internal error"
test('stageSignedPack: an aborted signal rejects with ABORTED and leaves nothing', async t => {
  const { sb, a } = await setup(t)
  const d = await destination(sb, 'dest')
  await assert.rejects(stageSignedPack(d.git, { file: a.bundle, header: await readBundleHeader(a.bundle), idx: a.idx, rev: a.rev }, { signal: AbortSignal.abort() }),
    (err: any) => err.name === 'MirrorError' && err.code === 'ABORTED')
  assert.deepEqual(await readdir(d.packDir), [])
  assert.equal(await stagedRefs(sb, d.dir), '')
})

/** The bundle's bytes in small chunks, as readInOrder yields a downloading bundle's. */
async function * chunksOf (file: string, size: number): AsyncGenerator<Buffer> {
  const bytes = await readFile(file)
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size)
}

test('startCopying hashes the bundle and copies its pack out as it streams; stageSignedPack moves that copy in', async t => {
  const { sb, a, b } = await setup(t)
  const store = await Store.open(path.join(sb.dir, 'cache'))
  const header = await readBundleHeader(a.bundle)
  const copying = startCopying({ store }, () => chunksOf(a.bundle, 777))
  const copied = await copying.done
  assert.ok(copying.scratch !== null && copied.file.startsWith(copying.scratch + path.sep), 'the copy is in the cache\'s scratch directory')
  assert.deepEqual(copied.bundle, await hashFile(a.bundle))
  assert.deepEqual(copied.header, header)
  const whole = await readFile(a.bundle)
  assert.ok((await readFile(copied.file)).equals(whole.subarray(header.length)), 'the pack is the bundle past its header')
  assert.ok(copied.trailer.equals(whole.subarray(-20)))

  // another publish's index names another pack: refused before the copy leaves the cache
  const d1 = await destination(sb, 'dest-other')
  await assertRefusedCleanly(sb, d1, stageSignedPack(d1.git, { file: a.bundle, header, idx: b.idx, rev: b.rev, copied }))
  assert.ok(existsSync(copied.file), 'a refused copy stays where the caller removes it')

  const d = await destination(sb, 'dest')
  const staged = await stageSignedPack(d.git, { file: a.bundle, header, idx: a.idx, rev: a.rev, copied })
  assert.deepEqual(staged, a.refs.filter(r => r.name !== 'HEAD').map(r => ({ oid: r.oid, name: r.name.replace(/^refs\//, 'refs/mirror/torrent/') })))
  assert.ok(!existsSync(copied.file), 'the copy was moved, not copied again')
  const packs = (await readdir(d.packDir)).sort()
  assert.equal(packs.length, 3, packs.join(' '))
  assert.ok((await readFile(path.join(d.packDir, packs.find(f => f.endsWith('.pack'))!))).equals(whole.subarray(header.length)))
  await sb.git(d.dir, ['fsck', '--strict', '--no-dangling'])
  await stopStreaming(copying)
  assert.ok(!existsSync(copying.scratch), 'stopStreaming removes the scratch directory')
})

test('startCopying stops with the bundle\'s header error on a file that is no bundle', async t => {
  const sb = await sandbox(t)
  const store = await Store.open(path.join(sb.dir, 'cache'))
  const junk = path.join(sb.dir, 'junk')
  await writeFile(junk, 'not a bundle\n'.repeat(10))
  const copying = startCopying({ store }, () => chunksOf(junk, 5))
  await assert.rejects(copying.done, (err: any) => err.code === 'BAD_BUNDLE')
  await stopStreaming(copying)
  assert.deepEqual(await readdir(path.join(sb.dir, 'cache', 'tmp')), [])
})
