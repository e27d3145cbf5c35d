import assert from 'node:assert/strict'
import { test } from 'node:test'
import { makeWorld } from './world.js'
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
  assert.match(report.infoHash, /^[0-9a-f]{40}$/)
  assert.ok(report.bytes.swarm > 6 << 20, `swarm bytes ${report.bytes.swarm}`)
  assert.ok(originBytes < plain.bytes / 10, `origin sent ${originBytes} bytes for mirror-clone, ${plain.bytes} for git clone`)
  assert.ok(report.bytes.origin > 0 && report.bytes.origin <= originBytes, `report says ${report.bytes.origin}, the server sent ${originBytes}`)
  assert.deepEqual(report.discardedRefs, [])
  assert.equal(report.bundle, null, 'the downloaded bundle is deleted by default')
  await assertSameAsGitClone(w, 'mine', 'theirs')
  await seeder.stop('SIGINT')
})
