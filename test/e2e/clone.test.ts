import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { aria2Download, hasAria2 } from '../helpers/aria2.js'
import { jsonLines, makeWorld } from './world.js'
import { assertSameAsGitClone, mirrorClone, plainClone, publish, startSeeder, T } from './clone-support.js'

test('mirror-clone from a seeded swarm equals git clone, and the origin sends a small fraction', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 6, binaryBytes: 1 << 20, branches: 2, tags: 2 } })
  await publish(w)
  const seeder = await startSeeder(w)

  w.server.resetStats()
  const { report } = await mirrorClone(w, [...w.net, w.originUrl, 'mine'])
  const originBytes = w.server.bytesSent
  const plain = await plainClone(w, 'theirs')
  t.diagnostic(`origin bytes: mirror-clone ${originBytes}, git clone ${plain.bytes}; report ${JSON.stringify(report)}`)

  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.equal(report.fallbackReason, null)
  assert.equal(report.verified, 'origin')
  assert.equal(report.indexedBy, 'git', 'an unsigned bundle is always indexed by git here')
  assert.match(report.infoHash, /^[0-9a-f]{40}$/)
  assert.ok(report.bytes.swarm > 6 << 20, `swarm bytes ${report.bytes.swarm}`)
  assert.ok(originBytes < plain.bytes / 10, `origin sent ${originBytes} bytes for mirror-clone, ${plain.bytes} for git clone`)
  assert.ok(report.bytes.origin > 0 && report.bytes.origin <= originBytes, `report says ${report.bytes.origin}, the server sent ${originBytes}`)
  assert.deepEqual(report.discardedRefs, [])
  assert.equal(report.bundle, null, 'the downloaded bundle is deleted by default')
  await assertSameAsGitClone(w, 'mine', 'theirs')
  await seeder.stop('SIGINT')
})

test('commits the origin got after the bundle arrive through the final fetch', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 3, binaryBytes: 512 << 10, branches: 1, tags: 1 } })
  await publish(w)
  const seeder = await startSeeder(w)
  await writeFile(path.join(w.work, 'newer.txt'), 'after the bundle\n')
  await w.git(['add', 'newer.txt'])
  await w.git(['commit', '-q', '-m', 'newer than the bundle'])
  await w.git(['tag', '-a', 'v-newer', '-m', 'a tag newer than the bundle'])
  await w.git(['push', '-q', 'origin', 'HEAD', 'v-newer'])
  await w.git(['push', '-q', 'origin', 'HEAD:refs/heads/fresh-branch'])

  const { report } = await mirrorClone(w, [...w.net, w.originUrl, 'mine'])
  await plainClone(w, 'theirs')
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.deepEqual(report.discardedRefs, [], 'a bundle behind the origin is not a disagreement')
  const tip = await w.git(['rev-parse', 'HEAD'])
  assert.equal(await w.git(['rev-parse', 'HEAD'], path.join(w.dir, 'mine')), tip)
  assert.equal((await w.git(['cat-file', '-p', 'HEAD:newer.txt'], path.join(w.dir, 'mine'))).trim(), 'after the bundle')
  const refs = (await w.git(['for-each-ref', '--format=%(refname)'], path.join(w.dir, 'mine'))).split('\n')
  assert.ok(refs.includes('refs/remotes/origin/fresh-branch') && refs.includes('refs/tags/v-newer'), refs.join('\n'))
  await assertSameAsGitClone(w, 'mine', 'theirs')
  await seeder.stop('SIGINT')
})

test('--bare and --mirror clone like git clone --bare and --mirror', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 512 << 10, branches: 2, tags: 2 } })
  await publish(w)
  const seeder = await startSeeder(w)
  for (const mode of ['--bare', '--mirror']) {
    const { report } = await mirrorClone(w, [...w.net, mode, w.originUrl, `mine${mode}`])
    await plainClone(w, `theirs${mode}`, [mode])
    assert.equal(report.method, 'torrent', `${mode}: ${String(report.fallbackReason)}`)
    await assertSameAsGitClone(w, `mine${mode}`, `theirs${mode}`)
  }
  // --mirror copies every ref, the records under refs/mirrors/ included, as git clone --mirror does
  assert.match(await w.git(['for-each-ref', '--format=%(refname)'], path.join(w.dir, 'mine--mirror')), /refs\/mirrors\/bundle\/torrent/)
  // without a directory, the name comes from the URL as git names it
  const { report } = await mirrorClone(w, [...w.net, '--bare', w.originUrl])
  assert.equal(report.directory, path.join(w.dir, 'project.git'))
  await seeder.stop('SIGINT')
})

test('--seed keeps the bundle and serves it: aria2c downloads it from the new clone alone', T, async t => {
  assert.ok(hasAria2(), 'aria2c is needed for the interop tests (apt-get install -y aria2)')
  const w = await makeWorld(t, { spec: { binaryFiles: 3, binaryBytes: 1 << 20 } })
  const out = await publish(w)
  const seeder = await startSeeder(w)
  const cloner = w.start('mirror-clone', ['--json', '--cache', path.join(w.dir, 'cache'), '--seed', '--status-interval', '1', ...w.net, w.originUrl, 'mine'], w.dir)
  await cloner.waitFor(/^seeding 1 bundle/, { stream: 'stderr' })
  await seeder.stop('SIGINT')   // from now on the clone is the only seeder

  const got = await aria2Download(out.torrent, path.join(w.dir, 'aria2'), { env: w.env, timeoutMs: 60_000 })
  assert.equal(Buffer.compare(await readFile(got.file), await readFile(out.bundle.path)), 0)
  await cloner.waitFor(/"peersServed":1/, { timeoutMs: 15_000 })
  const exit = await cloner.stop('SIGINT')
  assert.equal(exit.code, 0, cloner.stderr())
  const lines = jsonLines(cloner.stdout())
  const cloned = lines.find(l => l.event === 'cloned')
  assert.equal(cloned.method, 'torrent')
  assert.match(cloned.bundle, new RegExp(`^${path.join(w.dir, 'cache', 'bundles')}`), 'the bundle stays in the cache')
  assert.equal(lines.at(-1).event, 'summary')
  assert.ok(lines.at(-1).uploaded >= out.bundle.size)
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')
})

test('--keep-bundle leaves the bundle in the cache, and the next clone takes it from there', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 512 << 10 } })
  await publish(w)
  const seeder = await startSeeder(w)
  const first = (await mirrorClone(w, [...w.net, '--keep-bundle', w.originUrl, 'one'])).report
  assert.equal(first.method, 'torrent')
  assert.ok(typeof first.bundle === 'string' && first.bundle.endsWith('.bundle'))
  await seeder.stop('SIGINT')

  // no seeder now: the cached bundle is all the second clone needs
  const second = (await mirrorClone(w, [...w.net, '--timeout', '5', w.originUrl, 'two'])).report
  assert.equal(second.method, 'torrent', second.fallbackReason)
  assert.equal(second.infoHash, first.infoHash)
  assert.equal(second.bytes.swarm + second.bytes.webSeed, 0)
  assert.equal(second.bundle, first.bundle, 'a bundle that was in the cache stays there')
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'two', 'theirs')
})

test('a local-path origin is recorded as git clone records it', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 256 << 10 } })
  await publish(w)
  const seeder = await startSeeder(w)
  const rel = path.relative(w.dir, w.origin)
  const { report } = await mirrorClone(w, [...w.net, rel, 'mine'])
  assert.equal(report.method, 'torrent', report.fallbackReason)
  await w.git(['clone', '--quiet', '--no-local', rel, 'theirs'], w.dir)
  await assertSameAsGitClone(w, 'mine', 'theirs')
  await seeder.stop('SIGINT')
})

test('an origin\'s own refs under refs/mirror/ survive a --mirror clone; clone.defaultRemoteName names the remote', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 256 << 10, branches: 1 } })
  const main = await w.git(['rev-parse', 'HEAD'])
  await w.git(['update-ref', 'refs/mirror/torrent/heads/keepme', main.trim()], w.origin)
  await publish(w)
  const seeder = await startSeeder(w)

  const mirror = (await mirrorClone(w, [...w.net, '--mirror', w.originUrl, 'mine.git'])).report
  assert.equal(mirror.method, 'torrent', mirror.fallbackReason)
  await plainClone(w, 'theirs.git', ['--mirror'])
  await assertSameAsGitClone(w, 'mine.git', 'theirs.git')
  assert.equal((await w.git(['rev-parse', 'refs/mirror/torrent/heads/keepme'], path.join(w.dir, 'mine.git'))).trim(), main.trim())

  await w.git(['config', '--global', 'clone.defaultRemoteName', 'upstream'], w.dir)
  const named = (await mirrorClone(w, [...w.net, w.originUrl, 'mine'])).report
  assert.equal(named.method, 'torrent', named.fallbackReason)
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')
  assert.match(await w.git(['config', '--local', '--list'], path.join(w.dir, 'mine')), /^remote\.upstream\.url=/m)
  await seeder.stop('SIGINT')
})
