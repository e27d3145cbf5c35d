// The publisher's side of signing: the chain of push objects across
// republishes, machines and --no-sign, and a signed folder torrent served by
// a web seed alone.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cp, mkdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { git } from '../helpers/env.js'
import { startStaticServer } from '../helpers/static-server.js'
import { parsePushObject, ZERO_ID } from '../../src/core/push-object.js'
import { assertSameAsGitClone, mirrorClone, plainClone, publish, T } from './clone-support.js'
import { json, makeWorld, type World } from './world.js'

const SMALL = { binaryFiles: 2, binaryBytes: 512 << 10 }

async function keygen (w: World): Promise<string> {
  const r = await w.run('mirror-keygen', ['--json'])
  assert.equal(r.code, 0, r.stderr)
  return json(r).publicKey
}

async function pushRecord (w: World): Promise<Buffer> {
  const oid = (await w.git(['ls-remote', w.originUrl, 'refs/mirrors/push'])).split('\t')[0]!
  assert.match(oid, /^[0-9a-f]{40}$/, 'the origin has refs/mirrors/push')
  return Buffer.from(await git(['cat-file', 'blob', oid], { cwd: w.origin, env: w.env }) + '\n')
}

async function newCommit (w: World, name: string): Promise<void> {
  await w.git(['commit', '--allow-empty', '-m', name])
  await w.git(['push', '--quiet', 'origin', 'HEAD:refs/heads/main'])
}

test('signed publish: the chain across republishes, a fresh machine, and --no-sign', T, async (t) => {
  const w = await makeWorld(t, { spec: SMALL })
  const key = await keygen(w)

  const first = await publish(w)
  assert.equal(first.pushObject.sequence, 1)
  const po1 = parsePushObject(await pushRecord(w), 'record')
  assert.equal(po1.id, first.pushObject.id)
  assert.equal(po1.prev, ZERO_ID)
  assert.equal(po1.signer.text, key)
  assert.equal(po1.project, 'project')
  assert.equal(po1.bundle.sha256, first.bundle.sha256)
  assert.equal(po1.bundle.size, first.bundle.size)
  assert.notEqual(po1.bundle.infoHash, first.infoHash, 'the push object names the bundle\'s own infohash, not the folder torrent\'s')

  const same = await publish(w)
  assert.equal(same.bundle.reused, true)
  assert.equal(same.pushObject.reused, true)
  assert.equal(same.pushObject.id, first.pushObject.id)
  assert.equal(same.infoHash, first.infoHash, 'unchanged state, unchanged torrent')
  assert.equal(same.push.outcome, 'up-to-date')

  await newCommit(w, 'second')
  const second = await publish(w)
  const po2 = parsePushObject(await pushRecord(w), 'record')
  assert.equal(po2.sequence, 2)
  assert.equal(po2.prev, po1.id)
  assert.equal(second.pushObject.id, po2.id)

  // a new machine: a fresh clone with its own (empty) store, the same key
  const fresh = path.join(w.dir, 'fresh')
  await w.git(['clone', '--quiet', w.originUrl, fresh], w.dir)
  await newCommit(w, 'third')
  await git(['pull', '--quiet', 'origin', 'main'], { cwd: fresh, env: w.env })
  const r3 = await w.run('mirror-publish', [...w.net, '--json'], fresh)
  assert.equal(r3.code, 0, r3.stderr)
  const po3 = parsePushObject(await pushRecord(w), 'record')
  assert.equal(po3.sequence, 3, 'the chain continues from the remote\'s refs/mirrors/push')
  assert.equal(po3.prev, po2.id)
  assert.equal(await readFile(path.join(fresh, '.git', 'mirror', 'pushobjects', po3.signer.id, 'project', 'HEAD'), 'utf8'), `${po3.id}\n`)

  // a remote record that cannot be read stops a signed publish: restarting the chain would look like a rollback
  const garbage = (await git(['hash-object', '-w', '--stdin'], { cwd: w.origin, env: w.env, input: Buffer.from('not a push object\n') })).trim()
  await git(['update-ref', 'refs/mirrors/push', garbage], { cwd: w.origin, env: w.env })
  const stranger = path.join(w.dir, 'stranger')
  await w.git(['clone', '--quiet', w.originUrl, stranger], w.dir)
  await newCommit(w, 'fourth')
  await git(['pull', '--quiet', 'origin', 'main'], { cwd: stranger, env: w.env })
  const stopped = await w.run('mirror-publish', [...w.net], stranger)
  assert.equal(stopped.code, 1, stopped.stderr)
  assert.match(stopped.stderr, /the next push object must follow the published one: delete refs\/mirrors\/push on the remote to start a new chain/)
  assert.equal((await w.git(['ls-remote', w.originUrl, 'refs/mirrors/push'])).split('\t')[0], garbage, 'nothing was pushed')

  const unsigned = await w.run('mirror-publish', [...w.net, '--json', '--no-sign'], fresh)
  assert.equal(unsigned.code, 0, unsigned.stderr)
  assert.equal(json(unsigned).pushObject, null)
  assert.equal(json(unsigned).records.push, null)
  assert.equal((await w.git(['ls-remote', w.originUrl, 'refs/mirrors/*'])).includes('refs/mirrors/push'), false, '--no-sign deletes the push record')
})

test('signed publish: an unchanged state past half its validity is signed again, without reading the bundle anew', T, async (t) => {
  const w = await makeWorld(t, { spec: SMALL })
  await keygen(w)
  const first = await publish(w, ['--valid-days', '1'])
  const po1 = parsePushObject(await pushRecord(w), 'record')
  const again = await publish(w, ['--valid-days', '10'])   // 1 day left of a 10-day validity: under half
  const po2 = parsePushObject(await pushRecord(w), 'record')
  assert.equal(again.bundle.reused, true, 'the same bundle')
  assert.equal(again.pushObject.reused, false)
  assert.equal(po2.sequence, 2)
  assert.equal(po2.prev, po1.id)
  assert.deepEqual(po2.bundle, po1.bundle, 'the same digests and bundle infohash')
  assert.notEqual(again.infoHash, first.infoHash, 'a new folder torrent: it carries the new push object')
  assert.equal(await readFile(again.pushObject.path, 'utf8'), po2.bytes.toString())
  const kept = await publish(w, ['--valid-days', '10'])
  assert.equal(kept.pushObject.reused, true, 'now more than half of its validity is left')
  assert.equal(kept.infoHash, again.infoHash)
})

test('signed publish: a web seed serving the folder alone, no peer, feeds a verified clone', T, async (t) => {
  const w = await makeWorld(t, { spec: SMALL })
  const key = await keygen(w)
  const www = path.join(w.dir, 'www')
  await mkdir(path.join(www, 'git'), { recursive: true })
  const web = await startStaticServer(www)
  t.after(async () => await web.close())
  const NOTHING = ['--no-tracker', '--no-dht', '--no-lsd', '--no-upnp']

  const bad = await w.run('mirror-publish', [...NOTHING, '--web-seed', web.url('git/x.bundle')])
  assert.equal(bad.code, 1)
  assert.match(bad.stderr, /names one file, but a signed publish's torrent is a folder/)

  const out = json(await w.run('mirror-publish', [...NOTHING, '--json', '--web-seed', web.url('git/')]))
  const folder = path.basename(path.dirname(out.pushObject.path))
  assert.deepEqual(out.webSeeds, [web.url('git/')])
  const httpRecord = await w.git(['cat-file', 'blob', 'refs/mirrors/bundle/http'], w.origin)
  assert.equal(httpRecord.trim(), web.url(`git/${folder}/${out.bundle.file as string}`), 'the http record names the bundle itself')
  await cp(path.dirname(out.pushObject.path), path.join(www, 'git', folder), { recursive: true })

  const { report } = await mirrorClone(w, [...NOTHING, '--timeout', '20', '--trust', key, w.originUrl, 'mine'], { timeoutMs: 60_000 })
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.equal(report.verified, 'signature')
  assert.equal(report.bytes.swarm, 0)
  assert.ok(report.bytes.webSeed >= (await stat(out.bundle.path)).size)
  assert.ok(web.requests.some(r => r.path.endsWith('.push')) && web.requests.some(r => r.path.endsWith('.bundle')), JSON.stringify(web.requests.slice(0, 4)))
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')
})
