// git clone's options through mirror-clone: each run against `git clone`
// with the same options (refs, HEAD, config, shallow file, work tree).
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { makeWorld, type World } from './world.js'
import { assertSameAsGitClone, mirrorClone, plainClone, publish, startSeeder, T } from './clone-support.js'

/**
 * A published origin with history git clone's options tell apart: main
 * (the HEAD) with tags, a side branch with a lightweight and an annotated
 * tag that main does not reach, seeded from the publisher's store.
 */
async function optionsWorld (t: TestContext): Promise<World> {
  const w = await makeWorld(t, { spec: { binaryFiles: 3, binaryBytes: 256 << 10, branches: 1, tags: 2 } })
  await w.git(['checkout', '-q', '-b', 'side'])
  await writeFile(path.join(w.work, 'side.txt'), 'only on side\n')
  await w.git(['add', 'side.txt'])
  await w.git(['commit', '-q', '-m', 'side work'])
  await w.git(['tag', 'side-light'])
  await w.git(['tag', '-a', '-m', 'an annotated tag on side', 'side-annotated'])
  await w.git(['push', '-q', 'origin', 'side', 'side-light', 'side-annotated'])
  await w.git(['checkout', '-q', '-'])
  await publish(w)
  const seeder = await startSeeder(w)
  t.after(async () => await seeder.stop('SIGINT'))
  return w
}

const CASES: Array<{ name: string, args: string[], swarm: boolean }> = [
  { name: '-b a branch', args: ['-b', 'side'], swarm: true },
  { name: '-b a tag (detached HEAD)', args: ['-b', 'side-annotated'], swarm: true },
  { name: '--single-branch', args: ['--single-branch'], swarm: true },
  { name: '--single-branch -b side', args: ['--single-branch', '--branch', 'side'], swarm: true },
  { name: '--single-branch -b a tag', args: ['--single-branch', '-b', 'side-light'], swarm: true },
  { name: '--no-tags', args: ['--no-tags'], swarm: true },
  { name: '-o upstream -c', args: ['-o', 'upstream', '-c', 'core.autocrlf=false', '-c', 'remote.upstream.fetch=+refs/tags/*:refs/remotes/upstream-tags/*'], swarm: true },
  { name: '--bare --single-branch -b side', args: ['--bare', '--single-branch', '-b', 'side'], swarm: true },
  { name: '--mirror -b side', args: ['--mirror', '-b', 'side'], swarm: true },
  { name: '--depth 1 (git\'s own)', args: ['--depth', '1'], swarm: false },
  { name: '--depth 1 --no-single-branch (git\'s own)', args: ['--depth', '1', '--no-single-branch'], swarm: false },
  { name: '--filter=blob:none (git\'s own)', args: ['--filter', 'blob:none'], swarm: false },
  { name: '--shallow-since (git\'s own)', args: ['--shallow-since', '2000-01-01'], swarm: false }
]

test('git clone\'s options give what git clone gives', { timeout: 600_000 }, async t => {
  const w = await optionsWorld(t)
  for (const [i, c] of CASES.entries()) {
    await t.test(c.name, async () => {
      const { report, stderr } = await mirrorClone(w, [...w.net, ...c.args, w.originUrl, `mine-${i}`])
      await plainClone(w, `theirs-${i}`, c.args)
      if (c.swarm) {
        assert.equal(report.method, 'torrent', report.fallbackReason)
      } else {
        assert.equal(report.method, 'origin')
        assert.match(report.fallbackReason, /the published bundle holds the whole history/)
        assert.match(stderr, /cloning from the origin with git clone --/)
      }
      await assertSameAsGitClone(w, `mine-${i}`, `theirs-${i}`)
    })
  }
})

test('options that cannot be served are refused with what to do instead; -b names no ref', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 1, binaryBytes: 64 << 10 } })
  for (const [args, message] of [
    [['--mirror', '--single-branch'], /--single-branch does not go with --mirror.*use git clone --mirror --single-branch/],
    [['--mirror', '--no-tags'], /--no-tags does not go with --mirror/],
    [['-o', 'bad name'], /--origin "bad name" is not a remote name/],
    [['-c', 'novalue'], /--config "novalue" is not key=value/],
    [['--depth', '0'], /--depth "0" is not a positive number/],
    [['-b', 'a..b'], /--branch "a..b" is not a branch or tag name/],
    [['--reference', '/elsewhere'], /mirror-clone does not take git clone's --reference: run git clone --reference … for that/]
  ] as Array<[string[], RegExp]>) {
    const { stderr } = await mirrorClone(w, [...w.net, ...args, w.originUrl, 'refused'], { expectCode: 2 })
    assert.match(stderr, message)
    assert.equal(stderr.trim().split('\n').length <= 2, true, stderr)
  }
  const { stderr } = await mirrorClone(w, [...w.net, '-b', 'no-such', w.originUrl, 'missing'], { expectCode: 1 })
  assert.match(stderr, /remote branch no-such not found in upstream origin/)
  await assert.rejects(w.git(['rev-parse', '--git-dir'], path.join(w.dir, 'missing')), 'nothing is left behind')
})
