// parseLsRemote (and listRemote) on what real `git ls-remote --symref` prints.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { parseLsRemote } from '../../src/core/ls-remote.js'
import { listRemote } from '../../src/io/git/list-remote.js'
import { Git } from '../../src/io/git/run-git.js'
import { sandbox, type Sandbox } from './git-sandbox.js'

async function makeOrigin (sb: Sandbox): Promise<string> {
  const repo = await sb.init('origin')
  const first = await sb.commit(repo, 'a.txt', 'one\n')
  await sb.commit(repo, 'a.txt', 'two\n')
  await sb.git(repo, ['branch', 'topic', first])
  await sb.git(repo, ['tag', 'light', first])
  await sb.git(repo, ['tag', '-a', '-m', 'annotated', 'v1.0'])
  const blob = (await sb.git(repo, ['hash-object', '-w', '--stdin'], 'magnet:?xt=urn:btih:x\n')).stdout.trim()
  await sb.git(repo, ['update-ref', 'refs/mirrors/bundle/magnet', blob])
  return repo
}

/** Every ref with its oid, HEAD first, as git itself reports them. */
async function truth (sb: Sandbox, repo: string): Promise<Array<{ name: string, oid: string }>> {
  const head = (await sb.git(repo, ['rev-parse', 'HEAD'])).stdout.trim()
  const { stdout } = await sb.git(repo, ['for-each-ref', '--format=%(objectname) %(refname)'])
  const refs = stdout.split('\n').filter(l => l !== '').map(l => ({ oid: l.slice(0, 40), name: l.slice(41) }))
  return [{ name: 'HEAD', oid: head }, ...refs]
}

test('parseLsRemote: real git ls-remote --symref output', async (t) => {
  const sb = await sandbox(t)
  const repo = await makeOrigin(sb)
  const { stdout } = await sb.git(sb.dir, ['ls-remote', '--symref', repo])
  assert.match(stdout, /^ref: refs\/heads\/main\tHEAD\n/m)
  assert.match(stdout, /\trefs\/tags\/v1\.0\^\{\}\n/, 'the peeled line is there to be dropped')
  const listing = parseLsRemote(stdout)
  assert.equal(listing.head, 'refs/heads/main')
  assert.deepEqual(listing.refs, await truth(sb, repo))
})

test('parseLsRemote: HEAD on another branch, and a detached HEAD', async (t) => {
  const sb = await sandbox(t)
  const repo = await makeOrigin(sb)
  await sb.git(repo, ['symbolic-ref', 'HEAD', 'refs/heads/topic'])
  let listing = parseLsRemote((await sb.git(sb.dir, ['ls-remote', '--symref', repo])).stdout)
  assert.equal(listing.head, 'refs/heads/topic')
  assert.deepEqual(listing.refs, await truth(sb, repo))

  await sb.git(repo, ['checkout', '-q', '--detach', 'main'])
  listing = parseLsRemote((await sb.git(sb.dir, ['ls-remote', '--symref', repo])).stdout)
  assert.equal(listing.head, null)
  assert.deepEqual(listing.refs, await truth(sb, repo))
})

test('parseLsRemote: an empty repository', async (t) => {
  const sb = await sandbox(t)
  const repo = await sb.init('empty')
  const listing = parseLsRemote((await sb.git(sb.dir, ['ls-remote', '--symref', repo])).stdout)
  assert.deepEqual(listing.refs, [])
})

test('listRemote: the same through the Git runner, and REMOTE_UNREACHABLE naming the remote', async (t) => {
  const sb = await sandbox(t)
  const repo = await makeOrigin(sb)
  const git = new Git(sb.dir, sb.env)
  const listing = await listRemote(git, repo)
  assert.equal(listing.head, 'refs/heads/main')
  assert.deepEqual(listing.refs, await truth(sb, repo))

  const missing = path.join(sb.dir, 'no-such-repo')
  await assert.rejects(listRemote(git, missing), (err: any) => {
    assert.equal(err.name, 'MirrorError')
    assert.equal(err.code, 'REMOTE_UNREACHABLE')
    assert.ok(err.message.startsWith(`cannot list ${missing}: `), err.message)
    assert.deepEqual(err.data, { remote: missing })
    return true
  })
})
