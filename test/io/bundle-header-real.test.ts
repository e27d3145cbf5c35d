// parseBundleHeader and readBundleHeader against bundles written by real git.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { copyFile, readdir, readFile, truncate, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseBundleHeader, type BundleHeader } from '../../src/core/bundle-header.js'
import { readBundleHeader } from '../../src/io/fs/read-bundle-header.js'
import { sandbox, type Sandbox } from './git-sandbox.js'

/** `git bundle list-heads` as {name, oid}, in git's order. */
async function listHeads (sb: Sandbox, repo: string, file: string): Promise<Array<{ name: string, oid: string }>> {
  const { stdout } = await sb.git(repo, ['bundle', 'list-heads', file])
  return stdout.split('\n').filter(l => l !== '').map(l => {
    const sp = l.indexOf(' ')
    return { oid: l.slice(0, sp), name: l.slice(sp + 1) }
  })
}

/** A repository with two commits on main, a branch, a light and an annotated tag. */
async function makeRepo (sb: Sandbox): Promise<{ repo: string, first: string, second: string }> {
  const repo = await sb.init('repo')
  const first = await sb.commit(repo, 'a.txt', 'one\n')
  const second = await sb.commit(repo, 'a.txt', 'two\n')
  await sb.git(repo, ['branch', 'topic', first])
  await sb.git(repo, ['tag', 'light', first])
  await sb.git(repo, ['tag', '-a', '-m', 'annotated', 'v1.0', second])
  return { repo, first, second }
}

async function bothWays (file: string): Promise<BundleHeader> {
  const bytes = await readFile(file)
  const parsed = parseBundleHeader(bytes)
  assert.ok(parsed !== null)
  const read = await readBundleHeader(file)
  assert.deepEqual(read, parsed)
  // the pack starts exactly at `length`
  assert.equal(bytes.subarray(parsed.length, parsed.length + 4).toString('latin1'), 'PACK')
  assert.equal(bytes[parsed.length - 1], 0x0a)
  assert.equal(bytes[parsed.length - 2], 0x0a)
  return parsed
}

async function setup (t: TestContext): Promise<Sandbox & Awaited<ReturnType<typeof makeRepo>>> {
  const sb = await sandbox(t)
  return { ...sb, ...await makeRepo(sb) }
}

test('real git: v2 bundle of --all', async (t) => {
  const s = await setup(t)
  const file = path.join(s.dir, 'all.bundle')
  await s.git(s.repo, ['bundle', 'create', '-q', file, '--all'])
  const h = await bothWays(file)
  assert.equal(h.version, 2)
  assert.deepEqual(h.capabilities, {})
  assert.deepEqual(h.prerequisites, [])
  assert.deepEqual(h.refs, await listHeads(s, s.repo, file))
  const names = h.refs.map(r => r.name)
  assert.deepEqual([...names].sort(), ['HEAD', 'refs/heads/main', 'refs/heads/topic', 'refs/tags/light', 'refs/tags/v1.0'])
  // the annotated tag is recorded as the tag object, not the commit
  const tagOid = (await s.git(s.repo, ['rev-parse', 'refs/tags/v1.0'])).stdout.trim()
  assert.equal(h.refs.find(r => r.name === 'refs/tags/v1.0')?.oid, tagOid)
  assert.equal(h.refs.find(r => r.name === 'HEAD')?.oid, s.second)
})

test('real git: v3 bundle (--version=3) carries @object-format=sha1', async (t) => {
  const s = await setup(t)
  const file = path.join(s.dir, 'v3.bundle')
  await s.git(s.repo, ['bundle', 'create', '-q', '--version=3', file, '--all'])
  const h = await bothWays(file)
  assert.equal(h.version, 3)
  assert.deepEqual(h.capabilities, { 'object-format': 'sha1' })
  assert.deepEqual(h.prerequisites, [])
  assert.deepEqual(h.refs, await listHeads(s, s.repo, file))
})

test('real git: incremental bundle main~1..main has the prerequisite', async (t) => {
  const s = await setup(t)
  for (const version of ['2', '3']) {
    const file = path.join(s.dir, `inc-v${version}.bundle`)
    await s.git(s.repo, ['bundle', 'create', '-q', `--version=${version}`, file, 'main~1..main'])
    const h = await bothWays(file)
    assert.equal(h.version, Number(version))
    assert.deepEqual(h.prerequisites, [s.first])
    assert.deepEqual(h.refs, [{ name: 'refs/heads/main', oid: s.second }])
    assert.deepEqual(h.refs, await listHeads(s, s.repo, file))
    // git agrees it needs exactly that commit
    const verify = await s.git(s.repo, ['bundle', 'verify', file])
    assert.match(verify.stdout + verify.stderr, new RegExp(s.first))
  }
})

test('real git: every proper prefix of a real header is incomplete, not an error', async (t) => {
  const s = await setup(t)
  const file = path.join(s.dir, 'v3.bundle')
  await s.git(s.repo, ['bundle', 'create', '-q', '--version=3', file, 'main~1..main', 'topic', 'v1.0'])
  const bytes = await readFile(file)
  const h = parseBundleHeader(bytes)
  assert.ok(h !== null)
  for (let n = 0; n < h.length; n++) assert.equal(parseBundleHeader(bytes.subarray(0, n)), null, `prefix ${n}`)
  assert.deepEqual(parseBundleHeader(bytes.subarray(0, h.length)), h)
})

test('real git: a sha256 bundle is refused, naming the object format', async (t) => {
  const sb = await sandbox(t)
  const repo = await sb.init('sha256', '--object-format=sha256')
  await sb.commit(repo, 'a.txt', 'one\n')
  const file = path.join(sb.dir, 'sha256.bundle')
  await sb.git(repo, ['bundle', 'create', '-q', file, '--all'])
  assert.match((await readFile(file, 'latin1')).split('\n')[1]!, /^@object-format=sha256$/)
  await assert.rejects(readBundleHeader(file), { name: 'MirrorError', code: 'BAD_BUNDLE', message: /sha256/ })
})

test('real git: a ref name that is not UTF-8 is refused, not silently renamed', async (t) => {
  const s = await setup(t)
  const latin1 = Buffer.from('refs/heads/caf\xe9', 'latin1')
  // through stdin: an argv string would be sent as UTF-8
  await s.git(s.repo, ['update-ref', '--stdin'], Buffer.concat([Buffer.from('create '), latin1, Buffer.from(` ${s.second}\n`)]))
  const file = path.join(s.dir, 'latin1.bundle')
  await s.git(s.repo, ['bundle', 'create', '-q', file, '--all'])
  const bytes = await readFile(file)
  assert.ok(bytes.includes(latin1), 'git wrote the raw byte 0xe9')
  let h: BundleHeader | null = null
  try { h = parseBundleHeader(bytes) } catch (err) {
    assert.equal((err as { code?: string }).code, 'BAD_BUNDLE')
    return
  }
  assert.ok(h !== null)
  const names = h.refs.map(r => r.name)
  assert.ok(names.every(n => bytes.includes(Buffer.from(` ${n}\n`, 'utf8'))), `names not in the file: ${JSON.stringify(names)}`)
})

test('readBundleHeader: a header larger than 64 KiB (thousands of tags)', async (t) => {
  const sb = await sandbox(t)
  const repo = await sb.init('tags')
  const tip = await sb.commit(repo, 'a.txt', 'one\n')
  const n = 2000   // about 200 KB of header: the read grows 64 KiB -> 128 KiB -> 256 KiB
  const lines: string[] = []
  for (let i = 0; i < n; i++) lines.push(`create refs/tags/release/${'long-name-'.repeat(5)}${String(i).padStart(5, '0')} ${tip}\n`)
  await sb.git(repo, ['update-ref', '--stdin'], lines.join(''))
  const file = path.join(sb.dir, 'tags.bundle')
  await sb.git(repo, ['bundle', 'create', '-q', file, '--all'])
  const h = await bothWays(file)
  assert.ok(h.length > 128 * 1024, `header is only ${h.length} bytes`)
  assert.equal(h.refs.length, n + 2)   // the tags, main, HEAD
  assert.deepEqual(h.refs, await listHeads(sb, repo, file))
})

test('readBundleHeader: files that are not whole bundles', async (t) => {
  const s = await setup(t)
  const good = path.join(s.dir, 'good.bundle')
  await s.git(s.repo, ['bundle', 'create', '-q', good, '--all'])
  const h = await readBundleHeader(good)

  await t.test('empty file', async () => {
    const f = path.join(s.dir, 'empty.bundle')
    await writeFile(f, '')
    await assert.rejects(readBundleHeader(f), { name: 'MirrorError', code: 'BAD_BUNDLE', message: 'the bundle ends inside its header' })
  })
  await t.test('cut one byte before the end of the header', async () => {
    const f = path.join(s.dir, 'cut.bundle')
    await copyFile(good, f)
    await truncate(f, h.length - 1)
    await assert.rejects(readBundleHeader(f), { name: 'MirrorError', code: 'BAD_BUNDLE', message: 'the bundle ends inside its header' })
  })
  await t.test('cut right after the header: the header is whole', async () => {
    const f = path.join(s.dir, 'header-only.bundle')
    await copyFile(good, f)
    await truncate(f, h.length)
    assert.deepEqual(await readBundleHeader(f), h)
  })
  await t.test('not a bundle', async () => {
    const f = path.join(s.dir, 'torrent.bundle')
    await writeFile(f, 'd8:announce30:udp://tracker.example:1/announce4:infod4:name1:xee')
    await assert.rejects(readBundleHeader(f), { name: 'MirrorError', code: 'BAD_BUNDLE', message: /not a git bundle/ })
  })
  await t.test('a corrupted ref line names its line', async () => {
    const f = path.join(s.dir, 'corrupt.bundle')
    const bytes = await readFile(good)
    const second = bytes.indexOf(0x0a) + 1
    bytes[second + 3] = 'X'.charCodeAt(0)   // inside the oid of line 2
    await writeFile(f, bytes)
    await assert.rejects(readBundleHeader(f), { name: 'MirrorError', code: 'BAD_BUNDLE', message: /^bundle header line 2: malformed reference$/ })
  })
  await t.test('no such file: the fs error', async () => {
    await assert.rejects(readBundleHeader(path.join(s.dir, 'missing.bundle')), { code: 'ENOENT' })
  })
  await t.test('closes the file, also on errors', { skip: process.platform !== 'linux' && 'counts /proc/self/fd' }, async () => {
    const before = (await readdir('/proc/self/fd')).length
    for (let i = 0; i < 20; i++) {
      await readBundleHeader(good)
      await assert.rejects(readBundleHeader(path.join(s.dir, 'empty.bundle')))
      await assert.rejects(readBundleHeader(path.join(s.dir, 'torrent.bundle')))
    }
    assert.equal((await readdir('/proc/self/fd')).length, before)
  })
})
