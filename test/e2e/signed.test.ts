// Signed publishes end to end: mirror-keygen, a signed mirror-publish, a
// clone through the loopback swarm that verifies the push object, and
// mirror-verify on what was published.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { assertSameAsGitClone, mirrorClone, plainClone, publish, startSeeder, T } from './clone-support.js'
import { json, makeWorld } from './world.js'

test('signed: keygen, publish, a clone verified by signature equals git clone, mirror-verify agrees', T, async (t) => {
  const w = await makeWorld(t)
  const keygen = await w.run('mirror-keygen', ['--json'])
  assert.equal(keygen.code, 0, keygen.stderr)
  const key = json(keygen)
  assert.match(key.publicKey, /^ssh-ed25519 AAAA[A-Za-z0-9+/]+=*$/)
  assert.equal((await stat(key.file)).mode & 0o777, 0o600)
  assert.equal((await w.git(['config', '--global', 'mirror.signingKey'])).trim(), key.file)
  const again = await w.run('mirror-keygen', [])
  assert.equal(again.code, 1)
  assert.match(again.stderr, /exists; use --force/)

  const pub = await publish(w)
  assert.equal(pub.pushObject.sequence, 1)
  assert.equal(pub.pushObject.key, key.publicKey)
  assert.ok(pub.records.push !== null)
  assert.equal((await w.git(['hash-object', pub.pushObject.path])).trim(), pub.records.push)   // the record is the stored push object
  assert.match(await readFile(pub.pushObject.path, 'utf8'), /^git-torrent-mirror push object 1\nproject project\nsequence 1\n/)
  assert.equal((await w.git(['ls-remote', w.originUrl, 'refs/mirrors/push'])).split('\t')[0], pub.records.push)

  const badTrust = await w.run('mirror-clone', ['--trust', 'ssh-rsa AAAAB3', w.originUrl, 'never'], w.dir)
  assert.equal(badTrust.code, 2, badTrust.stderr)
  assert.match(badTrust.stderr, /--trust value 1 is not an "ssh-ed25519 AAAA\.\.\." public key/)
  const seeder = await startSeeder(w)
  // the contributor's side: the key trusted for this origin in the user's git config
  await w.git(['config', '--global', '--add', `mirror.${w.originUrl}.trustedKey`, key.publicKey])
  const { report } = await mirrorClone(w, [...w.net, w.originUrl, 'mine'])
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.equal(report.verified, 'signature')
  assert.equal(report.pushObject.id, pub.pushObject.id)
  assert.ok(report.bytes.swarm > 0)
  // the fast path: the publisher's .idx and .rev went in beside the pack, byte for byte, and git finds the repository whole
  assert.equal(report.indexedBy, 'signed-index')
  const published = path.dirname(pub.pushObject.path)
  const packs = (await readdir(path.join(w.dir, 'mine', '.git', 'objects', 'pack'))).sort()
  assert.equal(packs.length, 3, packs.join(' '))
  for (const ext of ['idx', 'rev']) {
    const ours = packs.find(f => f.endsWith(`.${ext}`))!
    assert.deepEqual(await readFile(path.join(w.dir, 'mine', '.git', 'objects', 'pack', ours)), await readFile(path.join(published, `${pub.bundle.file.replace(/\.bundle$/, '')}.${ext}`)))
  }
  await w.git(['fsck', '--no-dangling', '--no-progress'], path.join(w.dir, 'mine'))
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')
  await seeder.stop()

  const verify = await w.run('mirror-verify', ['--json', w.originUrl], w.dir)
  assert.equal(verify.code, 0, verify.stdout + verify.stderr)   // the signing key is the user's own: trusted
  assert.equal(json(verify).valid, true)
  const bundle = path.join(path.dirname(pub.pushObject.path), pub.bundle.file)
  const withBundle = await w.run('mirror-verify', ['--bundle', bundle, '--trust', key.publicKey], w.work)
  assert.equal(withBundle.code, 0, withBundle.stdout + withBundle.stderr)
  assert.match(withBundle.stdout, /valid \(and the bundle matches it\)/)
})
