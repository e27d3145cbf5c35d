// DHT pointers end to end on a private DHT: a signed publish puts its BEP 44
// item and reports the BEP 46 magnet; mirror-seed, without the private key,
// keeps it alive on a DHT the publisher never met; unsigned, private and
// --no-dht publishes put none.
import assert from 'node:assert/strict'
import { rename } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { isPointerMagnet, parsePointerMagnet } from '../../src/core/pointer.js'
import { PointerDht, type DhtClient } from '../../src/io/dht/pointer-dht.js'
import { Store } from '../../src/io/store/store.js'
import { startDht } from '../helpers/dht.js'
import { json, makeWorld } from './world.js'
import { T } from './clone-support.js'

test('a signed publish puts its pointer; mirror-seed keeps it alive without the key; unsigned and private publishes put none', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 256 << 10 } })
  const dht = await startDht({ nodes: 5 })
  t.after(async () => await dht.close())
  const withDht = (bootstrap: string): string[] => ['--tracker', w.tracker.announceUrl, '--dht-bootstrap', bootstrap, '--no-lsd', '--no-upnp']
  const publish = async (_: unknown, args: string[]): Promise<any> => {   // the world's own flags say --no-dht
    const r = await w.run('mirror-publish', ['--json', ...args])
    assert.equal(r.code, 0, r.stderr)
    return json(r)
  }

  const unsigned = await publish(w, withDht(dht.bootstrap))
  assert.equal(unsigned.pointer, null, 'an unsigned publish has nothing to sign a pointer with')

  const keygen = await w.run('mirror-keygen', ['--json'])
  assert.equal(keygen.code, 0, keygen.stderr)
  const { publicKey, file: keyFile } = json(keygen)
  const out = await publish(w, withDht(dht.bootstrap))
  assert.ok(out.pointer !== null, 'a signed public publish puts a pointer')
  assert.equal(out.pointer.error, null)
  assert.ok(out.pointer.nodes > 0, `nodes ${out.pointer.nodes as number}`)
  assert.ok(isPointerMagnet(out.pointer.magnet))
  const name = parsePointerMagnet(out.pointer.magnet, 'the reported magnet')
  assert.equal(name.key.text, publicKey)
  assert.equal(name.project, 'project')
  assert.equal(out.pointer.seq, out.pushObject.sequence)
  const got = await new PointerDht(dht.nodes[3] as unknown as DhtClient).get(name)
  assert.equal(got?.infoHash, out.infoHash, 'the pointer names the published torrent')
  assert.equal(got?.seq, out.pushObject.sequence)

  // the publisher's key goes away and the DHT it met with it; only mirror-seed, on a fresh DHT
  await rename(keyFile, `${keyFile as string}.away`)
  const fresh = await startDht({ nodes: 4 })
  t.after(async () => await fresh.close())
  const reader = new PointerDht(fresh.nodes[3] as unknown as DhtClient)
  assert.equal(await reader.get(name, { timeoutMs: 5000 }), null)
  const seeder = w.start('mirror-seed', [...withDht(fresh.bootstrap), '--json', '--status-interval', '1'])
  t.after(async () => await seeder.stop('SIGINT'))
  await seeder.waitFor(/"event":"pointer"/, { stream: 'stdout', timeoutMs: 30_000 })
  const kept = await reader.get(name)
  assert.equal(kept?.infoHash, out.infoHash)
  assert.equal(kept?.sig, got?.sig, 'the publisher\'s signature, re-put')
  await seeder.stop('SIGINT')

  await rename(`${keyFile as string}.away`, keyFile)
  const noDht = await publish(w, ['--tracker', w.tracker.announceUrl, '--no-dht', '--no-lsd', '--no-upnp'])
  assert.equal(noDht.pointer, null, '--no-dht: no pointer')
  const priv = await publish(w, [...withDht(dht.bootstrap), '--private'])
  assert.equal(priv.pointer, null, 'a private publish never puts one')
})

test('a CI reseeder (mirror-seed <url>) takes over a signed publish\'s DHT pointer and keeps it alive once the publisher is gone', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 128 << 10 } })
  const dht = await startDht({ nodes: 5 })
  t.after(async () => await dht.close())
  const net = ['--tracker', w.tracker.announceUrl, '--dht-bootstrap', dht.bootstrap, '--no-lsd', '--no-upnp']
  assert.equal((await w.run('mirror-keygen', ['--json'])).code, 0)
  const r = await w.run('mirror-publish', ['--json', ...net])
  assert.equal(r.code, 0, r.stderr)
  const out = json(r)
  const name = parsePointerMagnet(out.pointer.magnet, 'the reported magnet')
  const maintainer = w.start('mirror-seed', [...net, '--status-interval', '1'])
  t.after(async () => await maintainer.stop('SIGINT'))
  await maintainer.waitFor(/^seeding 1 bundle/, { stream: 'stderr' })

  const ciStore = path.join(w.dir, 'ci-store')
  const ci = w.start('mirror-seed', [...net, '--json', '--status-interval', '1', '--store', ciStore, w.originUrl], w.dir)
  t.after(async () => await ci.stop('SIGINT'))
  await ci.waitFor(/"event":"ready"/, { stream: 'stdout', timeoutMs: 60_000 })
  const put = JSON.parse((await ci.waitFor(/"event":"pointer"/, { stream: 'stdout', timeoutMs: 60_000 })).input!)
  assert.equal(put.project, 'project')
  assert.equal(put.seq, out.pointer.seq)
  const entry = (await Store.open(ciStore).then(async s => await s.list()))[0]!
  assert.deepEqual(entry.meta.pointer && { infoHash: entry.meta.pointer.infoHash, seq: entry.meta.pointer.seq, key: entry.meta.pointer.key }, { infoHash: out.infoHash, seq: out.pointer.seq, key: name.key.text }, 'kept in the reseeder\'s store')
  await maintainer.stop('SIGINT')
  const kept = await new PointerDht(dht.nodes[2] as unknown as DhtClient).get(name)
  assert.equal(kept?.infoHash, out.infoHash)
})
