// The Git runner against real git.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { appendFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Git, gitReason } from '../../src/io/git/run-git.js'
import { isMirrorError } from '../../src/core/errors.js'
import { mountSmallDisk } from '../helpers/small-disk.js'
import { sandbox } from './git-sandbox.js'

test('Git.run: stdout, stderr and code of a success', async (t) => {
  const sb = await sandbox(t)
  const repo = await sb.init('repo')
  const tip = await sb.commit(repo, 'a.txt', 'one\n')
  const git = new Git(repo, sb.env)
  const r = await git.run(['rev-parse', 'HEAD'])
  assert.deepEqual(r, { stdout: `${tip}\n`, stderr: '', code: 0, packBytes: 0 })
})

test('Git.run: a failure is GIT_FAILED carrying git\'s reason', async (t) => {
  const sb = await sandbox(t)
  const repo = await sb.init('repo')
  await sb.commit(repo, 'a.txt', 'one\n')
  const git = new Git(repo, sb.env)
  await assert.rejects(git.run(['rev-parse', '--verify', 'no-such-branch']), (err: any) => {
    assert.equal(err.name, 'MirrorError')
    assert.equal(err.code, 'GIT_FAILED')
    assert.equal(err.message, 'git rev-parse failed: Needed a single revision')
    assert.deepEqual(err.data.args, ['rev-parse', '--verify', 'no-such-branch'])
    assert.equal(err.data.code, 128)
    assert.equal(err.data.stderr, 'fatal: Needed a single revision\n')
    return true
  })
})

test('Git.run: outside a repository, the reason says so', async (t) => {
  const sb = await sandbox(t)
  const plain = path.join(sb.dir, 'plain')
  await mkdir(plain)
  const git = new Git(plain, { ...sb.env, GIT_CEILING_DIRECTORIES: sb.dir })
  await assert.rejects(git.run(['rev-parse', '--git-dir']), {
    name: 'MirrorError', code: 'GIT_FAILED', message: /^git rev-parse failed: not a git repository/
  })
})

test('Git.run: without stderr the message gives the exit status', async (t) => {
  const sb = await sandbox(t)
  const repo = await sb.init('repo')
  const git = new Git(repo, sb.env)
  await assert.rejects(git.run(['rev-parse', '--verify', '--quiet', 'nope']), {
    name: 'MirrorError', code: 'GIT_FAILED', message: 'git rev-parse failed: exit status 1'
  })
})

test('Git.run: okCodes turn an exit status into an answer', async (t) => {
  const sb = await sandbox(t)
  const repo = await sb.init('repo')
  const git = new Git(repo, sb.env)
  const r = await git.run(['rev-parse', '--verify', '--quiet', 'nope'], { okCodes: [1] })
  assert.deepEqual(r, { stdout: '', stderr: '', code: 1, packBytes: 0 })
  const r128 = await git.run(['rev-parse', '--verify', 'nope'], { okCodes: [1, 128] })
  assert.equal(r128.code, 128)
  assert.match(r128.stderr, /^fatal: Needed a single revision/)
  // an exit status not listed still fails
  await assert.rejects(git.run(['rev-parse', '--verify', 'nope'], { okCodes: [1] }), { code: 'GIT_FAILED' })
})

test('Git.run / runBuffer: input on stdin, bytes out exactly', async (t) => {
  const sb = await sandbox(t)
  const repo = await sb.init('repo')
  const git = new Git(repo, sb.env)
  const blob = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0a, 0x0d, 0x80, 0x00])
  const oid = (await git.run(['hash-object', '-w', '--stdin'], { input: blob })).stdout.trim()
  assert.equal(oid, createHash('sha1').update(Buffer.concat([Buffer.from(`blob ${blob.length}\0`), blob])).digest('hex'))
  assert.deepEqual(await git.runBuffer(['cat-file', 'blob', oid]), blob)
  // a string input, and a large one (more than a pipe buffer)
  const big = 'x'.repeat(1 << 20)
  const bigOid = (await git.run(['hash-object', '-w', '--stdin'], { input: big })).stdout.trim()
  assert.equal((await git.runBuffer(['cat-file', 'blob', bigOid])).length, 1 << 20)
})

test('Git: the environment given is the one git sees, with the locale pinned', async (t) => {
  const sb = await sandbox(t)
  const repo = await sb.init('repo')
  const git = new Git(repo, { ...sb.env, LC_ALL: 'de_DE.UTF-8', GIT_TERMINAL_PROMPT: '1' })
  assert.equal(git.env.LC_ALL, 'C')
  assert.equal(git.env.GIT_TERMINAL_PROMPT, '0')
  assert.equal((await git.run(['var', 'GIT_AUTHOR_IDENT'])).stdout, 'Test User <test@example.com> 1704067200 +0000\n')
  // per-call env on top
  const other = await git.run(['var', 'GIT_AUTHOR_IDENT'], { env: { GIT_AUTHOR_NAME: 'Other' } })
  assert.equal(other.stdout, 'Other <test@example.com> 1704067200 +0000\n')
  // the user's own config is not read: the global config is the sandbox's
  assert.equal((await git.run(['config', '--global', 'user.name'])).stdout, 'Test User\n')
  // at() keeps the environment
  const elsewhere = git.at(sb.dir)
  assert.equal(elsewhere.cwd, sb.dir)
  assert.deepEqual(elsewhere.env, git.env)
})

test('Git.run: timeoutMs kills a git that hangs', async (t) => {
  const sb = await sandbox(t)
  const repo = await sb.init('repo')
  const fifo = path.join(sb.dir, 'fifo')
  execFileSync('mkfifo', [fifo])
  const git = new Git(repo, sb.env)
  const started = Date.now()
  // hash-object blocks opening a FIFO that nobody writes
  await assert.rejects(git.run(['hash-object', fifo], { timeoutMs: 300 }), (err: any) => {
    assert.equal(err.name, 'MirrorError')
    assert.equal(err.code, 'GIT_FAILED')
    assert.equal(err.message, 'git hash-object did not finish within 300 ms')
    assert.deepEqual(err.data, { args: ['hash-object', fifo] })
    return true
  })
  const elapsed = Date.now() - started
  assert.ok(elapsed >= 250 && elapsed < 3000, `took ${elapsed} ms`)
})

test('Git.run: timeoutMs also bounds a git whose child process hangs', async (t) => {
  const sb = await sandbox(t)
  const repo = await sb.init('repo')
  const git = new Git(repo, sb.env)
  const started = Date.now()
  await assert.rejects(git.run(['-c', 'alias.hang=!sleep 2', 'hang'], { timeoutMs: 200 }), { code: 'GIT_FAILED', message: /did not finish/ })
  const elapsed = Date.now() - started
  assert.ok(elapsed < 1500, `took ${elapsed} ms for a 200 ms timeout`)
})

test('Git: the message names the git command when options come first', async (t) => {
  const sb = await sandbox(t)
  const repo = await sb.init('repo')
  await assert.rejects(new Git(repo, sb.env).run(['-c', 'core.abbrev=12', 'rev-parse', '--verify', 'nope']), {
    code: 'GIT_FAILED', message: /^git rev-parse failed/
  })
})

test('Git.run: no git on PATH is GIT_FAILED saying so', async (t) => {
  const sb = await sandbox(t)
  const git = new Git(sb.dir, { ...sb.env, PATH: path.join(sb.dir, 'no-bin') })
  await assert.rejects(git.run(['--version']), { name: 'MirrorError', code: 'GIT_FAILED', message: 'git is not installed (no git on PATH)' })
})

test('Git.stream: stdout streamed, done settles on exit', async (t) => {
  const sb = await sandbox(t)
  const repo = await sb.init('repo')
  await sb.commit(repo, 'a.txt', 'one\n')
  const git = new Git(repo, sb.env)
  const chunks: Buffer[] = []
  const stderr: string[] = []
  const s = git.stream(['bundle', 'create', '--progress', '-', '--all'], { onStderr: c => stderr.push(c) })
  s.child.stdout!.on('data', (b: Buffer) => chunks.push(b))
  await s.done
  assert.match(Buffer.concat(chunks).subarray(0, 16).toString('latin1'), /^# v[23] git bundle\n/)
  assert.match(stderr.join(''), /Counting objects|Writing objects|Enumerating objects/)

  const bad = git.stream(['cat-file', 'blob', 'f'.repeat(40)])
  bad.child.stdout!.resume()
  await assert.rejects(bad.done, { name: 'MirrorError', code: 'GIT_FAILED', message: /^git cat-file failed: / })
})

test('gitReason: table', async (t) => {
  const cases: Array<[string, string]> = [
    ['', ''],
    ['fatal: repository not found\n', 'repository not found'],
    ['error: src refspec x does not match any\nerror: failed to push some refs to \'y\'\n', 'failed to push some refs to \'y\''],
    ['warning: w\nfatal: f\nhint: h\n', 'f'],
    ['just a line\nthe last line\n', 'the last line'],
    ['Receiving objects:  50% (1/2)\rReceiving objects: 100% (2/2), done.\r\nfatal: early EOF\r\n', 'early EOF'],
    ['   \n\n', ''],
    ['remote: error: denied\n', 'remote: error: denied']
  ]
  for (const [stderr, want] of cases) {
    await t.test(JSON.stringify(stderr), () => assert.equal(gitReason(stderr), want))
  }
})

test('Git.run countPack: exactly the pack a fetch received, and nothing when not asked', async (t) => {
  const sb = await sandbox(t)
  const origin = await sb.init('origin')
  await sb.commit(origin, 'a.txt', 'one\n')
  const repo = await sb.init('repo')
  const git = new Git(repo, sb.env)
  // a pack this small prints no "Receiving objects" line; keep it as a pack to compare sizes
  const r = await git.run(['-c', 'fetch.unpackLimit=1', 'fetch', '--quiet', origin, 'HEAD'], { countPack: true })
  const dir = path.join(repo, '.git', 'objects', 'pack')
  const packs = (await readdir(dir)).filter(f => f.endsWith('.pack'))
  assert.equal(packs.length, 1)
  assert.equal(r.packBytes, (await stat(path.join(dir, packs[0]!))).size)
  await sb.commit(origin, 'b.txt', 'two\n')
  const plain = await git.run(['fetch', '--quiet', origin, 'HEAD'])
  assert.equal(plain.packBytes, 0, 'not counted unless asked')
})

test('Git.run countPack does not wait for a daemon git left holding the trace pipe', async (t) => {
  const sb = await sandbox(t)
  const repo = await sb.init('repo')
  const pidFile = path.join(repo, 'daemon.pid')
  const git = new Git(repo, sb.env)
  // like git-credential-cache--daemon: started by git, outlives it, inherits fd 3
  const r = await git.run(['-c', `alias.spawn-daemon=!sleep 60 & echo $! > '${pidFile}'`, 'spawn-daemon'], { countPack: true })
  const pid = Number((await readFile(pidFile, 'utf8')).trim())
  t.after(() => { try { process.kill(pid, 'SIGKILL') } catch {} })
  assert.equal(r.code, 0)
  assert.doesNotThrow(() => process.kill(pid, 0), 'run() returned while the daemon still runs')
})

test('Git.run with a signal: aborting stops git and what it started, as ABORTED', async (t) => {
  const sb = await sandbox(t)
  const repo = await sb.init('repo')
  const pidFile = path.join(repo, 'child.pid')
  const git = new Git(repo, sb.env)
  const ac = new AbortController()
  const running = git.run(['-c', `alias.wait-long=!echo $$ > '${pidFile}'; sleep 60`, 'wait-long'], { signal: ac.signal })
  const deadline = Date.now() + 10_000
  while (!existsSync(pidFile) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  ac.abort()
  await assert.rejects(running, { name: 'MirrorError', code: 'ABORTED' })
  const shell = Number((await readFile(pidFile, 'utf8')).trim())
  assert.equal(await running_(shell), false, 'the alias shell was killed with git')
})

/** Whether a process runs: a zombie (killed, not yet reaped by whoever adopted it) does not. */
async function running_ (pid: number): Promise<boolean> {
  try { process.kill(pid, 0) } catch { return false }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  return stat !== '' && !/^\d+ \(.*\) Z /.test(stat)
}

test('Git.run: on a full disk, a failure whose message does not say so (git config) is NO_SPACE', { timeout: 30_000 }, async (t) => {
  const disk = await mountSmallDisk(t, 1 << 20)
  if (typeof disk !== 'string') { t.skip(disk.skip); return }
  const sb = await sandbox(t)
  const repo = path.join(disk, 'repo')
  await new Git(disk, sb.env).run(['init', '--quiet', repo])
  await writeFile(path.join(disk, 'filler'), Buffer.alloc(0))
  // fill the disk to the last block
  await assert.rejects(appendFile(path.join(disk, 'filler'), Buffer.alloc(2 << 20)))
  await assert.rejects(new Git(repo, sb.env).run(['config', 'remote.origin.url', 'https://example.org/x.git']), (err: unknown) => {
    assert.ok(isMirrorError(err, 'NO_SPACE'), String(err))
    assert.match(err.message, /^git config failed: .*\(\d+ bytes free on its disk\)$/)
    return true
  })
})
