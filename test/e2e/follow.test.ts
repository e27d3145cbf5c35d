// mirror-seed --follow: a reseeder picks up the maintainer's next publishes
// without a restart (the origin's records change): an increment is seeded
// beside the base; a new base is seeded and what it replaced dropped after
// the grace period; a clone then gets the new state from
// the reseeder alone. And a publisher's own seeder follows its DHT pointer:
// a publish made on another machine with the same key is picked up.
import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { startDht } from '../helpers/dht.js'
import { makeWorld } from './world.js'
import { mirrorClone, SEEDING, T } from './clone-support.js'

test('mirror-seed --follow: the next publish of an origin is downloaded and seeded, the old one dropped; a clone gets it from the follower', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 512 << 10, branches: 1, tags: 1 } })
  const dht = await startDht({ nodes: 4 })
  t.after(async () => await dht.close())
  const net = ['--tracker', w.tracker.announceUrl, '--dht-bootstrap', dht.bootstrap, '--no-lsd', '--no-upnp']
  const first = await w.run('mirror-publish', ['--json', ...net])
  assert.equal(first.code, 0, first.stderr)
  const maintainer = w.start('mirror-seed', [...net, '--status-interval', '1'])
  t.after(async () => await maintainer.stop('SIGINT'))
  await maintainer.waitFor(SEEDING, { stream: 'stderr' })

  const follower = w.start('mirror-seed', [...net, '--json', '--follow', '--follow-interval', '1', '--grace', '2', '--store', path.join(w.dir, 'follower-store'), w.originUrl], w.dir)
  t.after(async () => await follower.stop('SIGINT'))
  await follower.waitFor(/"event":"ready"/, { stream: 'stdout', timeoutMs: 60_000 })
  await follower.waitFor(/^following 1 origin/, { stream: 'stderr' })

  // the next publish is an increment: seeded beside the base, nothing dropped
  await w.git(['commit', '-q', '--allow-empty', '-m', 'the next release'])
  await w.git(['push', '-q', 'origin', 'HEAD'])
  const inc = await w.run('mirror-publish', ['--json', ...net])
  assert.equal(inc.code, 0, inc.stderr)
  const increment = JSON.parse(inc.stdout).chain.bundles[1]
  await maintainer.stop('SIGINT')
  const maintainer2 = w.start('mirror-seed', [...net, '--status-interval', '1'])   // seeds the store's increment too
  t.after(async () => await maintainer2.stop('SIGINT'))
  await maintainer2.waitFor(SEEDING, { stream: 'stderr' })
  const added = JSON.parse((await follower.waitFor(/"event":"changed"/, { stream: 'stdout', timeoutMs: 60_000 })).input!)
  assert.equal(added.infoHash, increment.infoHash)

  // then a full bundle (the chain collapses), seeded by the maintainer only while the follower picks it up
  await w.git(['commit', '-q', '--allow-empty', '-m', 'the release after'])
  await w.git(['push', '-q', 'origin', 'HEAD'])
  const next = w.start('mirror-publish', [...net, '--json', '--max-increments', '0', '--seed', '--status-interval', '1'])
  t.after(async () => await next.stop('SIGINT'))
  const published = JSON.parse((await next.waitFor(/^\{"store"/, { stream: 'stdout', timeoutMs: 60_000 })).input!)
  assert.equal(published.chain.made, 'base')
  const changed = JSON.parse((await follower.waitFor(new RegExp(`"event":"changed".*"infoHash":"(?!${increment.infoHash as string})`), { stream: 'stdout', timeoutMs: 60_000 })).input!)
  assert.equal(changed.infoHash, published.infoHash)
  await follower.waitFor(/"event":"dropped"/, { stream: 'stdout', timeoutMs: 30_000 })
  await next.stop('SIGINT')
  await maintainer2.stop('SIGINT')

  // only the follower seeds the new bundle now
  const { report } = await mirrorClone(w, [...net, w.originUrl, 'mine'])
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.equal(report.infoHash, published.infoHash)
  assert.ok(report.bytes.swarm > 0)
  assert.equal(report.originFetched, false, 'the new bundle holds every ref the origin has')
})

test('mirror-seed --follow in the publisher\'s repository follows its DHT pointer: a publish from another machine with the same key is picked up', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 256 << 10, branches: 1, tags: 1 } })
  const dht = await startDht({ nodes: 4 })
  t.after(async () => await dht.close())
  const net = ['--tracker', w.tracker.announceUrl, '--dht-bootstrap', dht.bootstrap, '--no-lsd', '--no-upnp']
  assert.equal((await w.run('mirror-keygen', ['--json'])).code, 0)
  const first = await w.run('mirror-publish', ['--json', ...net])
  assert.equal(first.code, 0, first.stderr)
  const seeder = w.start('mirror-seed', [...net, '--json', '--follow', '--follow-interval', '1', '--grace', '1'])
  t.after(async () => await seeder.stop('SIGINT'))
  await seeder.waitFor(/^following 0 origin\(s\) and the DHT pointers/, { stream: 'stderr' })

  // another machine: its own clone, the same key (the test's global config), the next publish, seeded there
  const other = path.join(w.dir, 'other')
  await w.git(['clone', '--quiet', w.originUrl, other], w.dir)
  await w.git(['commit', '-q', '--allow-empty', '-m', 'from the other machine'], other)
  await w.git(['push', '-q', 'origin', 'HEAD'], other)
  const elsewhere = w.start('mirror-publish', [...net, '--json', '--seed', '--status-interval', '1'], other)
  t.after(async () => await elsewhere.stop('SIGINT'))
  const published = JSON.parse((await elsewhere.waitFor(/^\{"store"/, { stream: 'stdout', timeoutMs: 60_000 })).input!)
  assert.equal(published.pointer.seq, 2)
  const changed = JSON.parse((await seeder.waitFor(/"event":"changed"/, { stream: 'stdout', timeoutMs: 60_000 })).input!)
  assert.equal(changed.infoHash, published.infoHash)
  assert.match(changed.what, /the DHT pointer of project/)
  await seeder.waitFor(/"event":"dropped"/, { stream: 'stdout', timeoutMs: 30_000 })
})
