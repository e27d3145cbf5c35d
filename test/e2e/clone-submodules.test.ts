// --recurse-submodules: a submodule that publishes records comes from its
// swarm, one that does not from its origin; the result equals git clone's.
import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { makeRepo } from '../../fixtures/make-repo.js'
import { git } from '../helpers/env.js'
import { makeWorld } from './world.js'
import { assertSameAsGitClone, mirrorClone, plainClone, publish, repoState, startSeeder, T } from './clone-support.js'

test('--recurse-submodules clones published submodules from their swarm, the others from their origin, as git clone does', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 256 << 10, branches: 1, tags: 1 } })
  const env = w.env
  // two more repositories on the same server: lib publishes a bundle, plain does not
  const srv = path.dirname(w.origin)
  await makeRepo(path.join(srv, 'lib.git'), { binaryFiles: 2, binaryBytes: 512 << 10, branches: 1, tags: 1, seed: 7 }, { env, bare: true })
  await makeRepo(path.join(srv, 'plain.git'), { binaryFiles: 1, binaryBytes: 64 << 10, branches: 0, tags: 0, seed: 9 }, { env, bare: true })
  const libWork = path.join(w.dir, 'lib-work')
  await git(['clone', '--quiet', w.server.url('lib.git'), libWork], { cwd: w.dir, env })
  const lib = { ...w, work: libWork, run: async (bin: string, args: string[], cwd = libWork, ms?: number) => await w.run(bin, args, cwd, ms), start: (bin: string, args: string[], cwd = libWork) => w.start(bin, args, cwd) }
  await publish(lib)
  const libSeeder = await startSeeder(lib)
  t.after(async () => await libSeeder.stop('SIGINT'))

  // the superproject names lib by a relative URL (resolved against its origin) and plain by an absolute one
  await w.git(['submodule', 'add', '--quiet', '../lib.git', 'vendor/lib'])
  await w.git(['submodule', 'add', '--quiet', w.server.url('plain.git'), 'plain'])
  await w.git(['commit', '-q', '-m', 'two submodules'])
  await w.git(['push', '-q', 'origin', 'HEAD'])
  await publish(w)
  const seeder = await startSeeder(w)
  t.after(async () => await seeder.stop('SIGINT'))

  const { report, stderr } = await mirrorClone(w, [...w.net, '--recurse-submodules', w.originUrl, 'mine'])
  await plainClone(w, 'theirs', ['--recurse-submodules'])
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.deepEqual(report.submodules.map((m: any) => [m.path, m.method]), [['vendor/lib', 'torrent'], ['plain', 'origin']], stderr)
  assert.match(report.submodules[1].fallbackReason, /publishes no bundle/)
  await assertSameAsGitClone(w, 'mine', 'theirs')
  for (const sub of ['vendor/lib', 'plain']) {
    assert.deepEqual(await repoState(w, path.join(w.dir, 'mine', sub)), await repoState(w, path.join(w.dir, 'theirs', sub)), sub)
    const gitDir = async (root: string): Promise<string> => path.relative(path.join(w.dir, root), (await w.git(['rev-parse', '--absolute-git-dir'], path.join(w.dir, root, sub))).trim())
    assert.equal(await gitDir('mine'), await gitDir('theirs'), 'the submodule\'s repository is in .git/modules/<name>')
  }
  const status = await w.git(['submodule', 'status', '--recursive'], path.join(w.dir, 'mine'))
  assert.equal(status, await w.git(['submodule', 'status', '--recursive'], path.join(w.dir, 'theirs')))
  assert.doesNotMatch(status, /^[-+U]/m, 'every submodule checked out at the recorded commit')
})
