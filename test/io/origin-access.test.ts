// originAccess against a real smart-HTTP server (git http-backend), with and
// without HTTP Basic authentication: what an anonymous request is answered.
import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { originAccess } from '../../src/io/http/origin-access.js'
import { makeRepo } from '../../fixtures/make-repo.js'
import { git, makeTestEnv } from '../helpers/env.js'
import { startGitServer } from '../helpers/git-server.js'
import { freePort } from '../helpers/wait.js'

test('originAccess: anonymous, authenticated (401, and 404 for what is hidden), unknown, and the URL forms that need no request', { timeout: 60_000 }, async t => {
  const te = await makeTestEnv('gtm-origin-access-')
  const root = path.join(te.dir, 'srv')
  await mkdir(root)
  await makeRepo(path.join(root, 'p.git'), {}, { env: te.env, bare: true })
  const open = await startGitServer({ root, env: te.env })
  const closed = await startGitServer({ root, env: te.env, auth: { user: 'u', password: 'p' } })
  t.after(async () => { await open.close(); await closed.close(); await te.cleanup() })

  assert.equal((await originAccess(open.url('p.git'))).kind, 'anonymous')
  assert.equal((await originAccess(`${open.url('p.git')}/`)).kind, 'anonymous')
  assert.deepEqual(await originAccess(closed.url('p.git')), { kind: 'authenticated', why: 'it answers an anonymous request with HTTP 401' })
  assert.ok(closed.requests.every(r => r.status === 401), 'nothing but 401s: no credentials were sent')
  // the user's credentials do not reach the anonymous request, even in the URL's config: node's HTTP client, not git
  await git(['config', '--global', 'credential.helper', '!f() { echo username=u; echo password=p; }; f'], { cwd: te.dir, env: te.env })
  assert.equal((await originAccess(closed.url('p.git'))).kind, 'authenticated')
  assert.equal((await originAccess(open.url('missing.git'))).kind, 'authenticated', 'a 404 is what hides a private repository')
  const nobody = await originAccess(`http://127.0.0.1:${await freePort()}/p.git`)
  assert.equal(nobody.kind, 'unknown')
  assert.match(nobody.why, /failed: ECONNREFUSED/)
  assert.equal((await originAccess('git@example.invalid:p.git')).kind, 'authenticated')
  assert.equal((await originAccess(path.join(root, 'p.git'))).kind, 'anonymous')
})
