// Incremental bundles (issue 16): createBundle with `since` writes the
// previous publish's tips as prerequisites and packs only what is newer;
// real git verifies it where they are present, refuses it where they are
// not, and fetches from it; with `index` the pack indexes on its own.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { sortRefs, type Ref } from '../../src/core/ref-list.js'
import { openRepository } from '../../src/io/git/repository.js'
import { readBundleHeader } from '../../src/io/fs/read-bundle-header.js'
import { createBundle } from '../../src/publish/create-bundle.js'
import { sandbox } from '../io/git-sandbox.js'

test('createBundle with since: an increment git verifies, fetches from, and refuses without its prerequisites', { timeout: 60_000 }, async t => {
  const sb = await sandbox(t)
  const repo = await sb.init('repo')
  for (let i = 0; i < 5; i++) await sb.commit(repo, `f${i}`, randomBytes(20_000).toString('base64'))   // incompressible: the base is large
  const base = (await sb.git(repo, ['rev-parse', 'HEAD'])).stdout.trim()
  const baseState = { refs: sortRefs([{ name: 'HEAD', oid: base }, { name: 'refs/heads/main', oid: base }]), head: 'refs/heads/main' }
  await sb.git(repo, ['tag', 'v1'])
  for (let i = 0; i < 2; i++) await sb.commit(repo, `g${i}`, `newer ${i}\n`)
  const tip = (await sb.git(repo, ['rev-parse', 'HEAD'])).stdout.trim()
  const state = { refs: sortRefs([{ name: 'HEAD', oid: tip }, { name: 'refs/heads/main', oid: tip }, { name: 'refs/tags/v1', oid: base }] as Ref[]), head: 'refs/heads/main' }
  const out = path.join(sb.dir, 'out')
  await mkdir(out)
  const r = await openRepository(repo, sb.env)
  const full = await createBundle(r, baseState, out, 'base.bundle')
  for (const index of [false, true]) {
    const dir = path.join(out, `inc-${String(index)}`)
    await mkdir(dir)
    const inc = await createBundle(r, state, dir, 'inc.bundle', { since: [base], index })
    const header = await readBundleHeader(inc.path)
    assert.deepEqual(header.prerequisites, [base])
    assert.ok(inc.size < full.size / 5, `the increment (${inc.size} bytes) is a small part of the base (${full.size})`)

    // a clone of the base has the prerequisite: git verifies the increment and fetches from it
    const clone = path.join(sb.dir, `clone-${String(index)}`)
    await sb.git(sb.dir, ['clone', '-q', full.path, clone])
    await sb.git(clone, ['bundle', 'verify', '-q', inc.path])
    await sb.git(clone, ['fetch', '-q', inc.path, 'refs/heads/main:refs/remotes/origin/main'])
    assert.equal((await sb.git(clone, ['rev-parse', 'refs/remotes/origin/main'])).stdout.trim(), tip)
    assert.equal((await sb.git(clone, ['fsck', '--no-dangling'])).stderr.trim(), '')

    // an empty repository lacks it: git refuses
    const empty = await sb.init(`empty-${String(index)}`)
    await assert.rejects(sb.git(empty, ['bundle', 'verify', inc.path]), /lacks these prerequisite commits|Repository lacks/)
    if (index) assert.ok(inc.index !== null, 'the increment\'s pack indexed on its own (not thin)')
  }
})

test('createBundle with since: the prerequisites are the commits the new ones build on, not every previous tip', { timeout: 60_000 }, async t => {
  const sb = await sandbox(t)
  const repo = await sb.init('repo')
  const root = await sb.commit(repo, 'a', 'a\n')
  await sb.git(repo, ['tag', '-a', '-m', 'old', 'v0', root])
  await sb.git(repo, ['checkout', '-q', '-b', 'side'])
  const side = await sb.commit(repo, 'side', 'side\n')
  await sb.git(repo, ['checkout', '-q', 'main'])
  const mainOld = await sb.commit(repo, 'b', 'b\n')
  const tag = (await sb.git(repo, ['rev-parse', 'v0'])).stdout.trim()
  const mainNew = await sb.commit(repo, 'c', 'c\n')
  const state = { refs: sortRefs([{ name: 'HEAD', oid: mainNew }, { name: 'refs/heads/main', oid: mainNew }, { name: 'refs/heads/side', oid: side }, { name: 'refs/tags/v0', oid: tag }] as Ref[]), head: 'refs/heads/main' }
  const out = path.join(sb.dir, 'out')
  await mkdir(out)
  const r = await openRepository(repo, sb.env)
  const since = [...new Set([mainOld, side, root])]   // the previous tips, peeled
  const inc = await createBundle(r, state, out, 'inc.bundle', { since })
  assert.deepEqual((await readBundleHeader(inc.path)).prerequisites, [mainOld], 'only the commit main grew from')

  // a state with no new commit (a branch deleted): every previous tip, so that the increment still names what it needs
  const fewer = { refs: state.refs.filter(x => x.name !== 'refs/heads/side'), head: 'refs/heads/main' }
  const none = path.join(sb.dir, 'none')
  await mkdir(none)
  const inc2 = await createBundle(r, fewer, none, 'inc.bundle', { since: [mainNew] })
  assert.deepEqual((await readBundleHeader(inc2.path)).prerequisites, [mainNew])
})
