// Signed chains (issue 16): every bundle of the list carries its own push
// object, each the next sequence after the one before; refs/mirrors/push
// names the newest. A client trusting the key verifies the base against
// its own push object and each increment's link; a list that skips one is
// refused by that check and the clone still equals git clone.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { test } from 'node:test'
import { parsePushObject } from '../../src/core/push-object.js'
import { advance, assertSameAsGitClone, fetchRecord, mirrorClone, plainClone, publish, startSeeder, T } from './clone-support.js'
import { keyedWorld } from './signed-support.js'

test('signed increments: the chain of push objects, a verified clone of all three bundles, a list that skips a link refused, and a verified mirror-fetch', T, async t => {
  const { w, key } = await keyedWorld(t)
  const first = await publish(w)
  const { report: atBase } = await (async () => {
    const seeder = await startSeeder(w)
    try { return await mirrorClone(w, [...w.net, '--trust', key.publicKey, w.originUrl, 'at-base']) } finally { await seeder.stop('SIGINT') }
  })()
  assert.equal(atBase.verified, 'signature')
  await advance(w, 'one', 32 << 10)
  const second = await publish(w)
  await advance(w, 'two', 32 << 10)
  const third = await publish(w)
  assert.deepEqual([first, second, third].map(p => [p.chain.made, p.pushObject.sequence]), [['base', 1], ['increment', 2], ['increment', 3]])
  const record = parsePushObject(await fetchRecord(w, 'refs/mirrors/push'), 'record')
  assert.equal(record.id, third.pushObject.id, 'refs/mirrors/push names the newest push object')
  assert.equal(record.prev, second.pushObject.id)
  assert.equal(third.infoHash, first.infoHash, 'the torrent record still names the base')
  const seeder = await startSeeder(w)
  t.after(async () => await seeder.stop('SIGINT'))
  await plainClone(w, 'theirs')

  const { report } = await mirrorClone(w, [...w.net, '--trust', key.publicKey, w.originUrl, 'mine'])
  assert.equal(report.verified, 'signature', JSON.stringify(report))
  assert.deepEqual(report.bundles.map((b: any) => b.outcome), ['used', 'used', 'used'])
  await assertSameAsGitClone(w, 'mine', 'theirs')

  // the list without the first increment: the second's push object does not follow the base's
  const list = (await fetchRecord(w, 'refs/mirrors/bundle/list')).toString()
  const inc1 = third.chain.bundles[1].id as string
  const gap = list.replace(new RegExp(`\\[bundle "${inc1}"\\][^[]*`), '')
  assert.notEqual(gap, list)
  const oid = execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: w.origin, env: w.env, input: gap }).toString().trim()
  await w.git(['update-ref', 'refs/mirrors/bundle/list', oid], w.origin)
  const refused = await mirrorClone(w, [...w.net, '--trust', key.publicKey, w.originUrl, 'gap'])
  assert.deepEqual(refused.report.bundles.map((b: any) => b.outcome), ['used', 'refused'])
  assert.match(refused.report.bundles[1].reason, /push object refused \(chain\)/)
  await assertSameAsGitClone(w, 'gap', 'theirs')
  await w.git(['update-ref', 'refs/mirrors/bundle/list', execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: w.origin, env: w.env, input: list }).toString().trim()], w.origin)

  // the clone made at the base, with the key trusted in git config: mirror-fetch verifies both increments' links
  await w.git(['config', '--global', 'mirror.trustedKey', key.publicKey])
  const r = await w.run('mirror-fetch', ['--json', '--cache', path.join(w.dir, 'cache'), ...w.net], path.join(w.dir, 'at-base'), 120_000)
  assert.equal(r.code, 0, r.stderr)
  const fetched = JSON.parse(r.stdout)
  assert.equal(fetched.method, 'increments', JSON.stringify(fetched))
  assert.deepEqual(fetched.bundles.map((b: any) => b.outcome), ['used', 'used'])
})
