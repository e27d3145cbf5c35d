import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync, sign } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { publicKeyFromRaw } from '../../src/core/public-key.js'
import { encodePushObject, ZERO_ID, type PushObject } from '../../src/core/push-object.js'
import { PushObjectStore } from '../../src/io/store/push-objects.js'

const A = 'a'.repeat(40)

function signer (): { make: (sequence: number, prev: string, project?: string) => PushObject } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const key = publicKeyFromRaw(Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'))
  return {
    make: (sequence, prev, project = 'p') => encodePushObject({
      project, sequence, created: 1000 + sequence, expires: 10_000, prev,
      bundle: { sha256: 'b'.repeat(64), size: 10, infoHash: 'c'.repeat(40) },
      refs: [{ name: 'HEAD', oid: A }, { name: 'refs/heads/main', oid: A }]
    }, key, m => sign(null, m, privateKey))
  }
}

test('PushObjectStore: stores under <key id>/<project>/<id>, HEAD follows the highest sequence', async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'gtm-po-'))
  t.after(async () => await rm(root, { recursive: true, force: true }))
  const store = new PushObjectStore(root)
  const k = signer()
  const one = k.make(1, ZERO_ID)
  assert.equal(await store.head(one.signer.id, 'p'), null)
  assert.equal(await store.accepted(one.signer.id, 'p'), null)

  await store.add(one)
  assert.deepEqual(await readFile(path.join(root, one.signer.id, 'p', one.id)), one.bytes)
  assert.equal(await readFile(path.join(root, one.signer.id, 'p', 'HEAD'), 'utf8'), `${one.id}\n`)
  const two = k.make(2, one.id)
  await store.add(two)
  assert.deepEqual(await store.accepted(one.signer.id, 'p'), { sequence: 2, id: two.id })
  await store.add(one)   // an older one stored again does not move HEAD back
  assert.equal((await store.head(one.signer.id, 'p'))!.id, two.id)
  await store.add(k.make(1, ZERO_ID, 'q'))
  assert.equal((await store.head(one.signer.id, 'q'))!.sequence, 1, 'projects are kept apart')
  assert.equal((await store.head(one.signer.id, 'p'))!.id, two.id)
})

test('PushObjectStore: a HEAD naming a missing or different object is STORE_CORRUPT, not "nothing accepted"', async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'gtm-po-'))
  t.after(async () => await rm(root, { recursive: true, force: true }))
  const store = new PushObjectStore(root)
  const k = signer()
  const one = k.make(1, ZERO_ID)
  await store.add(one)
  const dir = path.join(root, one.signer.id, 'p')
  await writeFile(path.join(dir, 'HEAD'), `${'d'.repeat(64)}\n`)
  await assert.rejects(store.head(one.signer.id, 'p'), { code: 'STORE_CORRUPT' })
  await writeFile(path.join(dir, 'HEAD'), 'garbage\n')
  await assert.rejects(store.accepted(one.signer.id, 'p'), { code: 'STORE_CORRUPT', message: /HEAD is not a push object id/ })
  await writeFile(path.join(dir, 'HEAD'), `${one.id}\n`)
  await writeFile(path.join(dir, one.id), Buffer.concat([one.bytes, Buffer.from('x')]))
  await assert.rejects(store.head(one.signer.id, 'p'), { code: 'STORE_CORRUPT' })
})

test('PushObjectStore: key ids and project names are checked before they become paths', () => {
  const store = new PushObjectStore('/nonexistent')
  assert.throws(() => store.dir('../'.repeat(10), 'p'), RangeError)
  assert.throws(() => store.dir('a'.repeat(40), '../x'), RangeError)
  assert.equal(store.dir('a'.repeat(40), 'p'), path.join('/nonexistent', 'a'.repeat(40), 'p'))
})
