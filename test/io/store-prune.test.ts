import assert from 'node:assert/strict'
import { mkdir, readdir, utimes } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { Store } from '../../src/io/store/store.js'
import { makeTestEnv } from '../helpers/env.js'

test('Store.open prunes scratch directories a crashed run left a day ago, never partial downloads or fresh ones', async t => {
  const te = await makeTestEnv('gtm-prune-')
  t.after(() => te.cleanup())
  const tmp = path.join(te.dir, 'store', 'tmp')
  const old = new Date(Date.now() - 2 * 24 * 3600 * 1000)
  for (const name of ['publish-0a1b2c', 'records-3d4e5f', `download-${'ab'.repeat(20)}`, 'publish-999999']) {
    await mkdir(path.join(tmp, name), { recursive: true })
    if (name !== 'publish-999999') await utimes(path.join(tmp, name), old, old)
  }
  await Store.open(path.join(te.dir, 'store'))
  assert.deepEqual((await readdir(tmp)).sort(), [`download-${'ab'.repeat(20)}`, 'publish-999999'])
})
