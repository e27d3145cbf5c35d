// An HTTPS-style origin behind Basic auth and no credential helper: on a
// terminal the clone asks once for the user name and once for the password,
// though git talks to the origin several times; without one it fails at once.
import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { binPath } from '../helpers/processes.js'
import { runInPty } from '../helpers/pty.js'
import { makeWorld } from './world.js'
import { assertSameAsGitClone, mirrorClone, plainClone, publish, startSeeder, T } from './clone-support.js'

const AUTH = { user: 'alice', password: 'wonder land' }

test('credentials: asked once per run on a terminal; without one, AUTH_REQUIRED at once naming the credential helper', T, async t => {
  const w = await makeWorld(t, { auth: AUTH, spec: { binaryFiles: 2, binaryBytes: 512 << 10, branches: 1, tags: 1 } })
  await publish(w, ['--private'])   // the maintainer's git has a credential helper (makeWorld)
  const seeder = await startSeeder(w)
  t.after(async () => await seeder.stop('SIGINT'))
  await w.git(['commit', '-q', '--allow-empty', '-m', 'newer than the bundle'])
  await w.git(['push', '-q', 'origin', 'HEAD'])   // so the clone's final fetch is needed too
  await plainClone(w, 'theirs')
  await w.git(['config', '--global', '--unset', 'credential.helper'])   // the contributor has none

  // no terminal: one line, exit 1, nothing left
  const started = Date.now()
  const { stderr } = await mirrorClone(w, [...w.net, '--quiet', w.originUrl, 'no-terminal'], { expectCode: 1 })
  assert.match(stderr, /^mirror-clone: http:\/\/127\.0\.0\.1:\d+ asks for a user name and password, and there is no terminal to ask on: configure a credential helper \(git config --global credential\.helper cache/m)
  assert.equal(stderr.trim().split('\n').length, 1, stderr)
  assert.ok(Date.now() - started < 20_000, 'it fails at once, it does not wait for a prompt')
  const json = await mirrorClone(w, [...w.net, '--json', w.originUrl, 'no-terminal'], { expectCode: 1 })
  assert.match(json.stdout, /"code":"AUTH_REQUIRED"/)

  // a terminal: asked once each, then the clone goes on through the swarm
  const pty = runInPty([process.execPath, binPath('mirror-clone'), ...w.net, '--json', '--cache', path.join(w.dir, 'cache'), w.originUrl, 'mine'], { cwd: w.dir, env: w.env })
  t.after(() => pty.kill())
  let at = await pty.waitForText(/Username for 'http:\/\/127\.0\.0\.1:\d+': $/)
  pty.type(`${AUTH.user}\r`)
  at = await pty.waitForText(/Password for 'http:\/\/alice@127\.0\.0\.1:\d+': $/, { from: at })
  pty.type(`${AUTH.password}\r`)
  assert.equal(await pty.exited, 0, pty.output())
  const out = pty.output()
  assert.equal(out.match(/Username for/g)?.length, 1, out)
  assert.equal(out.match(/Password for/g)?.length, 1, out)
  assert.ok(out.includes(AUTH.user), 'the user name is echoed')
  assert.ok(!out.includes(AUTH.password), `the password is not: ${out}`)
  const report = JSON.parse(out.slice(out.indexOf('{"method"'), out.lastIndexOf('}') + 1))
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.equal(report.originFetched, true, 'the origin was asked three times: its refs, its records, the final fetch')
  await assertSameAsGitClone(w, 'mine', 'theirs')
})
