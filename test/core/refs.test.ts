import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SAFE_REF_NAMES, UNSAFE_REF_NAMES } from './ref-name-cases.js'
import { isOid, isPublishedRef, isSafeRefName, RECORD_REFS, RECORDS_PREFIX, STAGING_PREFIX, ZERO_OID } from '../../src/core/refs.js'

test('isSafeRefName: accepted', async (t) => {
  for (const name of SAFE_REF_NAMES) {
    await t.test(JSON.stringify(name.slice(0, 60)), () => assert.equal(isSafeRefName(name), true))
  }
})

test('isSafeRefName: refused', async (t) => {
  for (const name of UNSAFE_REF_NAMES) {
    await t.test(JSON.stringify(name.slice(0, 60)), () => assert.equal(isSafeRefName(name), false))
  }
})

test('isSafeRefName: a component ending in .lock is refused, as git does', () => {
  assert.equal(isSafeRefName('refs/heads/a.lock/b'), false)
})

test('isOid: lower-case 40 hex only', async (t) => {
  const cases: Array<[string, boolean]> = [
    ['0'.repeat(40), true],
    ['0123456789abcdef0123456789abcdef01234567', true],
    ['0123456789ABCDEF0123456789abcdef01234567', false],
    ['0'.repeat(39), false],
    ['0'.repeat(41), false],
    ['0'.repeat(64), false],
    ['g'.repeat(40), false],
    [' ' + '0'.repeat(39), false],
    ['0'.repeat(40) + '\n', false],
    ['', false]
  ]
  for (const [s, want] of cases) {
    await t.test(JSON.stringify(s), () => assert.equal(isOid(s), want))
  }
})

test('isPublishedRef: branches and tags only', async (t) => {
  const cases: Array<[string, boolean]> = [
    ['refs/heads/main', true],
    ['refs/tags/v1', true],
    ['HEAD', false],
    ['refs/remotes/origin/main', false],
    ['refs/mirrors/bundle/torrent', false],
    ['refs/mirror/torrent/refs/heads/main', false],
    ['refs/notes/commits', false],
    ['refs/heads', false],
    ['refs/headsx/main', false]
  ]
  for (const [s, want] of cases) {
    await t.test(s, () => assert.equal(isPublishedRef(s), want))
  }
})

test('constants from DESIGN.md', () => {
  assert.equal(RECORDS_PREFIX, 'refs/mirrors/')
  assert.equal(STAGING_PREFIX, 'refs/mirror/')
  assert.deepEqual(RECORD_REFS, {
    torrent: 'refs/mirrors/bundle/torrent',
    magnet: 'refs/mirrors/bundle/magnet',
    http: 'refs/mirrors/bundle/http',
    list: 'refs/mirrors/bundle/list',
    fetchGit: 'refs/mirrors/fetch/git',
    fetchHttp: 'refs/mirrors/fetch/http',
    push: 'refs/mirrors/push'
  })
  for (const ref of Object.values(RECORD_REFS)) {
    assert.ok(ref.startsWith(RECORDS_PREFIX))
    assert.ok(!ref.startsWith(STAGING_PREFIX))
    assert.ok(isSafeRefName(ref))
  }
  assert.equal(ZERO_OID, '0'.repeat(40))
  assert.ok(isOid(ZERO_OID))
})
