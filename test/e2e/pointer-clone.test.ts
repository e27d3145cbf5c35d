// Cloning by the publisher's key alone (BEP 46): the pointer from a private
// DHT, the torrent from the swarm, the push object checked against exactly
// that key; no origin at all, or one that no longer answers; a replayed
// older pointer refused as a rollback; a DHT that answers nothing.
import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { parsePointerMagnet } from '../../src/core/pointer.js'
import { PointerDht, type DhtClient } from '../../src/io/dht/pointer-dht.js'
import { loadSigningKey } from '../../src/io/keys/signing-key.js'
import { startDht } from '../helpers/dht.js'
import { json, makeWorld, type World } from './world.js'
import { assertSameAsGitClone, repoState, T } from './clone-support.js'

async function run (w: World, bin: string, args: string[], cwd = w.work): Promise<any> {
  const r = await w.run(bin, ['--json', ...args], cwd, 120_000)
  assert.equal(r.code, 0, r.stderr)
  return json(r)
}

test('mirror-clone <BEP 46 magnet>: the signed refs, from the swarm, with the origin gone; an older pointer is a rollback; a silent DHT is bounded', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 512 << 10, branches: 2, tags: 2 } })
  const dht = await startDht({ nodes: 5 })
  t.after(async () => await dht.close())
  const net = (bootstrap: string): string[] => ['--tracker', w.tracker.announceUrl, '--dht-bootstrap', bootstrap, '--no-lsd', '--no-upnp']
  await run(w, 'mirror-keygen', [])
  const first = await run(w, 'mirror-publish', net(dht.bootstrap))
  const magnet: string = first.pointer.magnet
  const name = parsePointerMagnet(magnet, 'the reported magnet')
  const old = await new PointerDht(dht.nodes[2] as unknown as DhtClient).get(name)
  assert.equal(old?.seq, 1)
  await w.git(['commit', '-q', '--allow-empty', '-m', 'second'])
  await w.git(['push', '-q', 'origin', 'HEAD'])
  // a full bundle (the pointer names a chain's base: an increment would not move it)
  const second = await run(w, 'mirror-publish', [...net(dht.bootstrap), '--max-increments', '0'])
  assert.equal(second.pointer.seq, 2)
  const seeder = w.start('mirror-seed', [...net(dht.bootstrap), '--status-interval', '1'])
  t.after(async () => await seeder.stop('SIGINT'))
  await seeder.waitFor(/^seeding 2 bundle/, { stream: 'stderr' })
  await w.git(['clone', '--quiet', w.originUrl, 'theirs'], w.dir)   // what the origin had at the second publish

  // the origin still answers: the push object names it (signed), so the clone fetches what is newer than the bundle from it
  await w.git(['commit', '-q', '--allow-empty', '-m', 'newer than any publish'])
  await w.git(['push', '-q', 'origin', 'HEAD'])
  await w.git(['clone', '--quiet', w.originUrl, 'theirs-now'], w.dir)
  const live = await run(w, 'mirror-clone', [...net(dht.bootstrap), '--cache', path.join(w.dir, 'cache'), magnet, 'with-origin'], w.dir)
  assert.equal(live.method, 'torrent', live.fallbackReason)
  assert.equal(live.verified, 'signature')
  assert.equal(live.originFetched, true, 'the newer commit came from the origin the push object names')
  await assertSameAsGitClone(w, 'with-origin', 'theirs-now')
  await w.server.close()   // the origin is gone

  const report = await run(w, 'mirror-clone', [...net(dht.bootstrap), '--cache', path.join(w.dir, 'cache'), magnet, 'mine'], w.dir)
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.equal(report.verified, 'signature')
  assert.equal(report.originFetched, false)
  assert.equal(report.pushObject.sequence, 2, 'the highest seq the DHT holds')
  const mine = await repoState(w, path.join(w.dir, 'mine'))
  const theirs = await repoState(w, path.join(w.dir, 'theirs'))
  for (const k of ['refs', 'head', 'fsck', 'status', 'tree'] as const) assert.equal(mine[k], theirs[k], k)
  assert.equal(mine.config, theirs.config, 'the remote is the origin the push object names, for a later fetch')

  // a replayed older pointer: this user accepted sequence 2; an attacker re-puts sequence 1 (validly signed, once) on a DHT of its own
  const attackers = await startDht({ nodes: 3 })
  t.after(async () => await attackers.close())
  await new PointerDht(attackers.nodes[0] as unknown as DhtClient).put(name, { infoHash: old!.infoHash, seq: old!.seq, sig: old!.sig })
  const replay = await w.run('mirror-clone', [...net(attackers.bootstrap), '--timeout', '10', '--cache', path.join(w.dir, 'cache'), magnet, 'replayed'], w.dir, 60_000)
  assert.equal(replay.code, 1, replay.stderr)
  assert.match(replay.stderr, /push object refused \(rollback\): the DHT pointer's sequence 1 is older than sequence 2, accepted before/)

  // mirror-verify of the magnet: the pointer, its torrent and push object, as the clone checks them
  const verified = await run(w, 'mirror-verify', [...net(dht.bootstrap), magnet], w.dir)
  assert.equal(verified.valid, true)
  assert.deepEqual(verified.pointer, { seq: 2, infoHash: second.infoHash })
  assert.equal(verified.pushObject.sequence, 2)
  const notValid = await w.run('mirror-verify', ['--json', ...net(attackers.bootstrap), '--timeout', '10', magnet], w.dir, 60_000)
  assert.equal(notValid.code, 1, notValid.stderr)
  assert.equal(json(notValid).check, 'rollback')

  // nobody answers: bounded, one line, nothing left
  const started = Date.now()
  const silent = await w.run('mirror-clone', ['--tracker', w.tracker.announceUrl, '--dht-bootstrap', '127.0.0.1:9', '--no-lsd', '--no-upnp', '--timeout', '5', magnet, 'nothing'], w.dir, 60_000)
  assert.equal(silent.code, 1, silent.stderr)
  assert.match(silent.stderr, /DHT/)
  assert.ok(Date.now() - started < 40_000, `bounded: ${Date.now() - started} ms`)
})

test('a pointer signed by the magnet\'s key that leads to a torrent signed by another key is refused', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 1, binaryBytes: 256 << 10, branches: 1, tags: 1 } })
  const dht = await startDht({ nodes: 4 })
  t.after(async () => await dht.close())
  const net = ['--tracker', w.tracker.announceUrl, '--dht-bootstrap', dht.bootstrap, '--no-lsd', '--no-upnp']
  // the magnet's key: the maintainer's, which publishes (pointer seq 1 to its own torrent)
  const maintainer = await run(w, 'mirror-keygen', [])
  const published = await run(w, 'mirror-publish', net)
  // another key publishes the same repository into a store of its own and seeds it
  const otherKey = path.join(w.dir, 'other-key')
  await run(w, 'mirror-keygen', ['--file', otherKey, '--no-config'])
  const other = await run(w, 'mirror-publish', [...net, '--sign-key', otherKey, '--no-push', '--store', path.join(w.dir, 'other-store')])
  const seeder = w.start('mirror-seed', [...net, '--store', path.join(w.dir, 'other-store'), '--status-interval', '1'])
  t.after(async () => await seeder.stop('SIGINT'))
  await seeder.waitFor(/^seeding \d+ bundle/, { stream: 'stderr' })
  // the maintainer's key signs a pointer (seq 2) to the other key's torrent: a mistake, or a stolen signing step
  const key = await loadSigningKey(maintainer.file)
  const name = parsePointerMagnet(published.pointer.magnet, 'm')
  await new PointerDht(dht.nodes[1] as unknown as DhtClient).put(name, { infoHash: other.infoHash, seq: 2, sign: key.sign })

  const r = await w.run('mirror-clone', [...net, '--timeout', '20', '--cache', path.join(w.dir, 'cache'), published.pointer.magnet, 'mine'], w.dir, 90_000)
  assert.equal(r.code, 1, r.stderr)
  assert.match(r.stderr, /push object refused \(untrusted-key\)/)
  await assert.rejects(w.git(['rev-parse', '--git-dir'], path.join(w.dir, 'mine')), 'nothing is left behind')
})
