// isSafeRefName promises "a conservative subset of git check-ref-format": every
// name it accepts must be one git accepts too.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isSafeRefName } from '../../src/core/refs.js'
import { SAFE_REF_NAMES, UNSAFE_REF_NAMES } from '../core/ref-name-cases.js'
import { sandbox, type Sandbox } from './git-sandbox.js'

async function gitAccepts (sb: Sandbox, name: string): Promise<boolean> {
  return await sb.git(sb.dir, ['check-ref-format', name]).then(() => true, () => false)
}

const EXTRA = [
  'refs/heads/a.lock/b',
  'refs/heads/a./b',
  'refs/heads/x.lock.lock',
  'refs/heads/a/.lock',
  'refs/heads/@{',
  'refs/heads/a@',
  'refs/heads/-dash',
  'refs/heads/\u{1F600}',
  'refs/heads/a\u00a0b',
  'refs/tags/v1^{}'
]

test('isSafeRefName accepts only names git check-ref-format accepts', async (t) => {
  const sb = await sandbox(t)
  const candidates = [...SAFE_REF_NAMES, ...UNSAFE_REF_NAMES, ...EXTRA]
    .filter(n => n !== 'HEAD' && !n.includes('\u0000'))   // HEAD is one-level for git; NUL cannot be an argument
  const accepted = candidates.filter(isSafeRefName)
  const refusedByGit: string[] = []
  for (const name of accepted) if (!await gitAccepts(sb, name)) refusedByGit.push(name)
  assert.deepEqual(refusedByGit, [])
  for (const name of SAFE_REF_NAMES.filter(n => n !== 'HEAD')) assert.ok(accepted.includes(name), name)
})

test('isSafeRefName: nothing git refuses is accepted', async (t) => {
  const sb = await sandbox(t)
  for (const name of EXTRA.filter(isSafeRefName)) {
    assert.ok(await gitAccepts(sb, name), `isSafeRefName accepts ${JSON.stringify(name)}, git does not`)
  }
})
