// ssh origins, end to end, against a real OpenSSH server on 127.0.0.1
// (test/helpers/sshd.ts): mirror-publish in a clone whose remote is an ssh
// URL pushes its records over ssh, mirror-clone of that URL takes the
// bundle from the swarm and ends equal to `git clone` of it, in both of
// git's ssh forms (ssh://user@host:port/path and the scp-like
// user@host:/path, whose port comes from the ssh config file); a key the
// server refuses fails with one line and leaves nothing; full git mirrors
// recorded as ssh URLs in refs/mirrors/fetch/git are fetched over ssh.
// Every git run, ours and the plain one compared with, gets the same
// GIT_SSH_COMMAND; everything else is the loopback world of world.ts.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { chmod, copyFile, mkdir, readdir, rename } from 'node:fs/promises'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { git } from '../helpers/env.js'
import { binPath, runBin, runProcess, startBin } from '../helpers/processes.js'
import { runInPty } from '../helpers/pty.js'
import { hasSshd, startSshd, type Sshd } from '../helpers/sshd.js'
import { json, makeWorld, QUIET_NET, type World } from './world.js'
import { assertSameAsGitClone, mirrorClone, publish, startSeeder } from './clone-support.js'

const SMALL = { binaryFiles: 3, binaryBytes: 512 << 10, branches: 2, tags: 2 }
/** Per test: small repositories, loopback only; a few seconds each when healthy. */
const BOUND = { timeout: 90_000 }
const CLONE_MS = 40_000
/** No tracker, no DHT: a torrent nobody seeds. */
const NOBODY = ['--no-tracker', ...QUIET_NET]

interface SshWorld extends World {
  sshd: Sshd
  /** ssh://USER@127.0.0.1:PORT/.../project.git */
  sshUrl: string
  /** USER@127.0.0.1:/.../project.git */
  scpUrl: string
}

/**
 * The loopback world with its origin also served over ssh, every git run
 * through the authorized key, and (unless `remote` is 'http') the work
 * clone made afresh from the ssh URL of that form: the maintainer's clone.
 */
async function sshWorld (t: TestContext, remote: 'ssh' | 'scp' | 'http'): Promise<SshWorld> {
  assert.ok(hasSshd(), 'sshd is needed for the ssh tests (apt-get install -y --no-install-recommends openssh-server)')
  const w = await makeWorld(t, { spec: SMALL })
  const sshd = await startSshd({ env: w.env })
  t.after(async () => await sshd.close())
  const env = { ...w.env, GIT_SSH_COMMAND: sshd.sshCommand() }
  const sshUrl = sshd.url(w.origin)
  const scpUrl = sshd.scpUrl(w.origin)
  let work = w.work
  let originUrl = w.originUrl
  if (remote !== 'http') {
    originUrl = remote === 'ssh' ? sshUrl : scpUrl
    work = path.join(w.dir, 'work-ssh')
    await git(['clone', '--quiet', originUrl, work], { cwd: w.dir, env })
  }
  return {
    ...w,
    env,
    work,
    originUrl,
    sshd,
    sshUrl,
    scpUrl,
    git: async (args, cwd = work) => await git(args, { cwd, env }),
    run: async (bin, args, cwd = work, timeoutMs = 60_000) => await runBin(bin, args, { cwd, env, timeoutMs }),
    start: (bin, args, cwd = work) => startBin(bin, args, { cwd, env })
  }
}

/** The origin's records, as `<oid> <ref>` lines, read on its disk. */
async function originRecords (w: SshWorld): Promise<string> {
  return await git(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/mirrors/'], { cwd: w.origin, env: w.env })
}

test('ssh:// origin: mirror-publish pushes the records over ssh, mirror-clone takes the swarm and equals git clone', BOUND, async t => {
  const w = await sshWorld(t, 'ssh')
  assert.equal(await w.git(['config', 'remote.origin.url']), w.sshUrl)
  const out = await publish(w, ['--public'])   // an ssh origin cannot be told public: the maintainer says so
  assert.deepEqual(out.push, { remote: 'origin', outcome: 'pushed' })
  assert.match(out.bundle.file, /^project-[0-9a-f]{12}\.bundle$/, 'the project is named after the ssh URL\'s path')
  assert.equal(await originRecords(w), [
    `${out.records.list as string} refs/mirrors/bundle/list`,
    `${out.records.magnet as string} refs/mirrors/bundle/magnet`,
    `${out.records.torrent as string} refs/mirrors/bundle/torrent`
  ].join('\n'))
  assert.match(w.sshd.log(), new RegExp(`Accepted publickey for ${w.sshd.user} from 127\\.0\\.0\\.1`), 'the push went through sshd')
  const seeder = await startSeeder(w)

  const { report } = await mirrorClone(w, [...w.net, '--timeout', '20', w.sshUrl, 'mine'], { timeoutMs: CLONE_MS })
  t.diagnostic(`report ${JSON.stringify(report)}`)
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.equal(report.fallbackReason, null)
  assert.equal(report.infoHash, out.infoHash)
  assert.equal(report.verified, 'origin')
  assert.ok(report.bytes.swarm >= out.bundle.size, `swarm bytes ${report.bytes.swarm as number}`)
  assert.ok(report.bytes.origin < out.bundle.size / 10, `the origin sent ${report.bytes.origin as number} over ssh`)
  assert.equal(report.directory, path.join(w.dir, 'mine'))

  await w.git(['clone', '--quiet', w.sshUrl, 'theirs'], w.dir)
  assert.equal(await w.git(['config', 'remote.origin.url'], path.join(w.dir, 'mine')), w.sshUrl)
  await assertSameAsGitClone(w, 'mine', 'theirs')
  assert.equal(await w.git(['for-each-ref', 'refs/mirror/'], path.join(w.dir, 'mine')), '', 'no staging ref remains')

  // publishing the same state again over ssh: nothing to push
  const again = await publish(w)   // --public was recorded (mirror.visibility)
  assert.equal(again.infoHash, out.infoHash)
  assert.deepEqual(again.push, { remote: 'origin', outcome: 'up-to-date' })
  await seeder.stop('SIGINT')
})

test('scp-like origin (user@host:/path, the port from the ssh config): publish, and a clone without a directory named as git names it', BOUND, async t => {
  const w = await sshWorld(t, 'scp')
  assert.equal(await w.git(['config', 'remote.origin.url']), w.scpUrl)
  const out = await publish(w, ['--public'])   // an ssh origin cannot be told public: the maintainer says so
  assert.deepEqual(out.push, { remote: 'origin', outcome: 'pushed' })
  assert.match(out.bundle.file, /^project-[0-9a-f]{12}\.bundle$/, 'the project is named after the scp-like path')
  assert.match(await originRecords(w), /refs\/mirrors\/bundle\/torrent$/m)
  const seeder = await startSeeder(w)

  const { report } = await mirrorClone(w, [...w.net, '--timeout', '20', w.scpUrl], { timeoutMs: CLONE_MS })
  t.diagnostic(`report ${JSON.stringify(report)}`)
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.equal(report.infoHash, out.infoHash)
  assert.equal(report.directory, path.join(w.dir, 'project'))

  const plain = path.join(w.dir, 'plain')
  await mkdir(plain)
  await w.git(['clone', '--quiet', w.scpUrl], plain)
  assert.deepEqual(await readdir(plain), ['project'], 'git clone names the directory the same way')
  assert.equal(await w.git(['config', 'remote.origin.url'], path.join(w.dir, 'project')), w.scpUrl)
  await assertSameAsGitClone(w, 'project', 'plain/project')

  // --bare: project.git, as git clone --bare names it
  const bare = (await mirrorClone(w, [...w.net, '--timeout', '20', '--bare', w.scpUrl], { timeoutMs: CLONE_MS })).report
  assert.equal(bare.method, 'torrent', bare.fallbackReason)
  assert.equal(bare.directory, path.join(w.dir, 'project.git'))
  await w.git(['clone', '--quiet', '--bare', w.scpUrl], plain)
  await assertSameAsGitClone(w, 'project.git', 'plain/project.git')
  await seeder.stop('SIGINT')
})

test('an ssh origin that refuses the key: mirror-clone and mirror-publish fail with one line, exit 1, and leave nothing', BOUND, async t => {
  const w = await sshWorld(t, 'ssh')
  const refused = { ...w.env, GIT_SSH_COMMAND: w.sshd.sshCommand('refused') }
  const before = (await readdir(w.dir)).sort()

  const clone = await runBin('mirror-clone', ['--json', '--quiet', '--cache', path.join(w.dir, 'cache'), ...w.net, w.sshUrl, 'mine'], { cwd: w.dir, env: refused, timeoutMs: CLONE_MS })
  t.diagnostic(`mirror-clone stderr: ${clone.stderr}`)
  assert.equal(clone.code, 1, clone.stderr)
  const lines = clone.stderr.trim().split('\n')
  assert.equal(lines.length, 1, `one line on stderr:\n${clone.stderr}`)
  assert.match(lines[0]!, new RegExp(`^mirror-clone: cannot list ${w.sshUrl.replace(/[.:/]/g, '\\$&')}: `))
  assert.match(lines[0]!, /Permission denied \(publickey\)/, 'the reason is ssh\'s, not only git\'s "Could not read from remote repository"')
  assert.equal(json(clone).error.code, 'REMOTE_UNREACHABLE')
  assert.equal(existsSync(path.join(w.dir, 'mine')), false, 'no directory left behind')
  assert.deepEqual((await readdir(w.dir)).filter(n => !before.includes(n) && n !== 'cache'), [], 'nothing new beside the cache')
  if (existsSync(path.join(w.dir, 'cache', 'tmp'))) assert.deepEqual(await readdir(path.join(w.dir, 'cache', 'tmp')), [], 'no scratch repository left in the cache')

  const pub = await runBin('mirror-publish', [...w.net, '--public', '--json', '--quiet'], { cwd: w.work, env: refused, timeoutMs: 60_000 })
  t.diagnostic(`mirror-publish stderr: ${pub.stderr}`)
  assert.equal(pub.code, 1, pub.stderr)
  assert.equal(pub.stderr.trim().split('\n').length, 1, `one line on stderr:\n${pub.stderr}`)
  assert.match(pub.stderr, /^mirror-publish: .*Permission denied \(publickey\)/)
  assert.equal(await w.git(['for-each-ref', 'refs/mirrors/']), '', 'no record ref was written in the clone')
  assert.equal(existsSync(path.join(w.work, '.git', 'mirror', 'bundles')), false, 'no bundle was made')
  assert.equal(await originRecords(w), '', 'nothing reached the origin')
})

test('full git mirrors recorded as ssh URLs (refs/mirrors/fetch/git): ssh:// and scp-like, fetched over ssh, the next one when one is gone', BOUND, async t => {
  const w = await sshWorld(t, 'http')   // the origin over HTTP, its mirrors over ssh
  const mirrors = path.join(w.dir, 'mirrors')
  await mkdir(mirrors)
  const first = path.join(mirrors, 'first.git')
  const second = path.join(mirrors, 'second.git')
  for (const dir of [first, second]) await git(['clone', '--quiet', '--mirror', w.origin, dir], { cwd: w.dir, env: w.env })
  const urls = [w.sshd.url(first), w.sshd.scpUrl(second)]
  const pub = await w.run('mirror-publish', [...NOBODY, '--public', '--json', ...urls.flatMap(u => ['--fetch-mirror', u])])
  assert.equal(pub.code, 0, pub.stderr)
  assert.deepEqual(json(pub).fetchMirrors, urls)
  assert.equal(await git(['cat-file', 'blob', 'refs/mirrors/fetch/git'], { cwd: w.origin, env: w.env }), urls.join('\n'))

  const { report } = await mirrorClone(w, [...NOBODY, '--sources', 'mirror', w.originUrl, 'mine'], { timeoutMs: CLONE_MS })
  t.diagnostic(`report ${JSON.stringify(report)}`)
  assert.equal(report.method, 'mirror', report.fallbackReason)
  assert.deepEqual(report.attempts.map((a: any) => [a.source, a.url, a.outcome]), [['mirror', urls[0], 'used'], ['mirror', urls[1], 'skipped']])
  assert.ok(report.bytes.mirror > 0)
  assert.equal(report.originFetched, false, 'the mirror is current: no pack from the origin')
  await w.git(['clone', '--quiet', w.originUrl, 'theirs'], w.dir)
  await assertSameAsGitClone(w, 'mine', 'theirs')

  // the ssh:// mirror is gone: its failure is reported, and the scp-like one serves
  await rename(first, `${first}.gone`)
  const next = (await mirrorClone(w, [...NOBODY, '--sources', 'mirror', w.originUrl, 'mine2'], { timeoutMs: CLONE_MS })).report
  t.diagnostic(`report ${JSON.stringify(next)}`)
  assert.equal(next.method, 'mirror', next.fallbackReason)
  assert.deepEqual(next.attempts.map((a: any) => [a.source, a.url, a.outcome]), [['mirror', urls[0], 'failed'], ['mirror', urls[1], 'used']])
  // git's last line; the cause before it (hiddenRemoteCause) once the git runner's gitReason uses it
  assert.match(next.attempts[0].reason, /does not appear to be a git repository/)
  await assertSameAsGitClone(w, 'mine2', 'theirs')
})

test('a key with a passphrase, on a terminal: asked once for a clone that connects to the origin three times', BOUND, async t => {
  const w = await sshWorld(t, 'ssh')
  await publish(w, ['--public'])
  const seeder = await startSeeder(w)
  t.after(async () => await seeder.stop('SIGINT'))
  await w.git(['commit', '-q', '--allow-empty', '-m', 'newer than the bundle'])
  await w.git(['push', '-q', 'origin', 'HEAD'])   // so the final fetch connects too
  // the authorized key, now behind a passphrase; ssh may ask (no BatchMode), there is no agent
  const locked = path.join(w.dir, 'locked_ed25519')
  await copyFile(path.join(w.sshd.dir, 'client_ed25519'), locked)
  await chmod(locked, 0o600)
  await runProcess('ssh-keygen', ['-q', '-p', '-P', '', '-N', PASSPHRASE, '-f', locked], { cwd: w.dir, env: w.env, timeoutMs: 10_000 })
  const env = { ...w.env, GIT_SSH_COMMAND: `ssh -o BatchMode=no -F '${path.join(w.sshd.dir, 'ssh_config')}' -i '${locked}'` }

  const pty = runInPty([process.execPath, binPath('mirror-clone'), ...w.net, '--json', '--cache', path.join(w.dir, 'cache'), w.sshUrl, 'mine'], { cwd: w.dir, env })
  t.after(() => pty.kill())
  await pty.waitForText(/Enter passphrase for key '[^']+locked_ed25519': $/, { timeoutMs: 30_000 })
  pty.type(`${PASSPHRASE}\r`)
  assert.equal(await pty.exited, 0, pty.output())
  const out = pty.output()
  assert.equal(out.match(/Enter passphrase/g)?.length, 1, out)
  assert.ok(!out.includes(PASSPHRASE), 'the passphrase is not echoed')
  const report = JSON.parse(out.slice(out.indexOf('{"method"'), out.lastIndexOf('}') + 1))
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.equal(report.originFetched, true)
  const logins = w.sshd.log().match(/Accepted publickey for .* ED25519/g) ?? []
  assert.ok(logins.length >= 4, `the publish's push and the clone's three connections logged in: ${logins.length}`)
})

const PASSPHRASE = 'correct horse battery'
