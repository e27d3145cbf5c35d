// A disk that fits a git clone but not a bundle and its pack (issue 13,
// item 4): the clone checks the free space before it chooses the swarm, and
// a source that fills the disk anyway is freed before the origin is asked.
// The cache and the clone share one small tmpfs; the bundle's history is
// large (an 8 MB file added, then removed) and its checkout small, as in
// the probe (git clone 43 MB of a 48 MB disk, bundle 26 MB).
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { git } from '../helpers/env.js'
import { mountSmallDisk } from '../helpers/small-disk.js'
import { startStaticServer } from '../helpers/static-server.js'
import { assertSameAsGitClone, mirrorClone, plainClone, publish, startSeeder } from './clone-support.js'
import { makeWorld, type World } from './world.js'

const BOUND = { timeout: 180_000 }
/** git clone needs about 11.5 MB of it; bundle and pack about 20 MB */
const DISK = 16 << 20

/** An 8 MB file committed, then removed, and pushed: a large history under a small checkout. */
async function bigHistory (w: World): Promise<void> {
  await writeFile(path.join(w.work, 'big.bin'), randomBytes(8 << 20))
  await w.git(['add', 'big.bin'])
  await w.git(['commit', '--quiet', '-m', 'a big file'])
  await w.git(['rm', '--quiet', 'big.bin'])
  await w.git(['commit', '--quiet', '-m', 'and gone'])
  await w.git(['push', '--quiet', 'origin', 'main'])
}

async function ls (dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).filter(f => !f.endsWith('.lock'))
}

test('not enough free space for bundle and pack: the swarm is skipped before a byte is downloaded, and the origin fits', BOUND, async t => {
  const w = await makeWorld(t)
  await bigHistory(w)
  const out = await publish(w)
  assert.ok(out.bundle.size > 8 << 20)
  const seeder = await startSeeder(w)
  t.after(async () => await seeder.stop())
  const disk = await mountSmallDisk(t, DISK)
  if (typeof disk !== 'string') { t.skip(disk.skip); return }

  // before: the download and index-pack filled the disk, mirror-clone exited 1 ("No space left") and left the download
  const { report, stderr } = await mirrorClone(w, [...w.net, '--cache', path.join(disk, 'cache'), w.originUrl, path.join(disk, 'mine')])
  t.diagnostic(JSON.stringify(report.attempts))
  assert.equal(report.method, 'origin', stderr)
  assert.equal(report.attempts[0].source, 'torrent')
  assert.equal(report.attempts[0].outcome, 'skipped')
  assert.match(report.attempts[0].reason, /^not enough free space: the bundle and its pack need about \d+\.\d MiB, \d+\.\d MiB is free$/)
  assert.equal(report.bytes.swarm, 0)
  assert.deepEqual(await ls(path.join(disk, 'cache', 'tmp')), [])
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, path.join(disk, 'mine'), 'theirs')
})

test('a source that fills the disk anyway: its partial download and git\'s temporary pack are deleted, and the origin fits', BOUND, async t => {
  const w = await makeWorld(t)
  await bigHistory(w)
  const out = await publish(w, ['--no-tracker'])
  // the bundle over plain HTTP: its size is not known before the transfer, so nothing can be checked first
  const www = path.join(w.dir, 'www')
  await mkdir(www)
  await copyFile(out.bundle.path, path.join(www, out.bundle.file))
  const web = await startStaticServer(www)
  t.after(async () => await web.close())
  const oid = await git(['hash-object', '-w', '--stdin'], { cwd: w.origin, env: w.env, input: `${web.url(out.bundle.file)}\n` })
  await git(['update-ref', 'refs/mirrors/bundle/http', oid], { cwd: w.origin, env: w.env })
  const disk = await mountSmallDisk(t, DISK)
  if (typeof disk !== 'string') { t.skip(disk.skip); return }

  // before: exit 1, and the partial download stayed to fill the disk for every rerun
  const { report, stderr } = await mirrorClone(w, [...w.net, '--sources', 'http', '--cache', path.join(disk, 'cache'), w.originUrl, path.join(disk, 'mine')])
  t.diagnostic(JSON.stringify(report.attempts))
  assert.equal(report.method, 'origin', stderr)
  assert.equal(report.attempts[0].source, 'http')
  assert.equal(report.attempts[0].outcome, 'failed')
  // whichever write met the full disk: the download, index-pack, or git config in the new clone (which does not say why)
  assert.match(report.attempts[0].reason, /(No space left on device|bytes free on its disk).*; the (partial download|downloaded bundle) was deleted to free the space$/)
  assert.deepEqual(await ls(path.join(disk, 'cache', 'tmp')), [], 'no partial download left')
  const packs = await readdir(path.join(disk, 'mine', '.git', 'objects', 'pack'))
  assert.deepEqual(packs.filter(f => f.startsWith('tmp_')), [], 'no temporary pack left')
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, path.join(disk, 'mine'), 'theirs')
})
