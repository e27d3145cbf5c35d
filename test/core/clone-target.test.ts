import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkoutTarget, cloneDirName, cloneLayout, isLocalPath, isScpLike } from '../../src/core/clone-target.js'

// What `git clone <url>` (2.39) names the directory; the odd rows were checked against git itself.
const NAMES: Array<[string, string]> = [
  ['https://github.com/git/git.git', 'git'],
  ['https://git.example.org/group/project', 'project'],
  ['https://git.example.org/project.git/', 'project'],
  ['git@github.com:user/repo.git', 'repo'],
  ['ssh://git@host.xz:2222/path/to/repo.git', 'repo'],
  ['git://127.0.0.1:9418/project.git', 'project'],
  ['file:///srv/git/project.git', 'project'],
  ['/srv/git/project.git', 'project'],
  ['/srv/work/project/.git', 'project'],
  ['../project/', 'project'],
  ['foo:bar.git', 'bar'],
  ['ssh://host.xz:2222', 'host.xz'],
  ['https://host.xz:8443/', 'host.xz'],
  ['host:2222', 'host'],
  ['/srv/bar:2222.git', '2222'],
  ['https://user:secret@host.xz/repo.git', 'repo'],
  ['https://host.xz/repo.bundle', 'repo.bundle'],
  ['a\tb', 'a b'],
  ['a  b', 'a b'],
  [' lead', 'lead']
]

test('cloneDirName names the directory as git clone does', () => {
  for (const [url, name] of NAMES) {
    assert.equal(cloneDirName(url, false), name, url)
    assert.equal(cloneDirName(url, true), `${name}.git`, `${url} --bare`)
  }
})

test('cloneDirName refuses a URL with no name in it, as a usage error', () => {
  for (const url of ['https://', '/', '.git', 'https:///.git']) {
    assert.throws(() => cloneDirName(url, false), { code: 'USAGE' }, url)
  }
})

test('local paths, scp-like ssh and URLs are told apart as git does', () => {
  assert.equal(isScpLike('git@host:repo.git'), true)
  assert.equal(isScpLike('host:path/repo'), true)
  assert.equal(isScpLike('./dir:with-colon'), false)
  assert.equal(isScpLike('https://host/repo'), false)
  assert.equal(isLocalPath('../repo'), true)
  assert.equal(isLocalPath('/srv/repo.git'), true)
  assert.equal(isLocalPath('file:///srv/repo.git'), false)
  assert.equal(isLocalPath('git@host:repo.git'), false)
})

test('cloneLayout: what git clone configures and fetches per mode', () => {
  assert.deepEqual(cloneLayout('normal'), {
    bare: false,
    fetchRefspec: '+refs/heads/*:refs/remotes/origin/*',
    remoteConfig: [['fetch', '+refs/heads/*:refs/remotes/origin/*']],
    tracking: true,
    tags: 'all'
  })
  assert.deepEqual(cloneLayout('bare', 'upstream'), { bare: true, fetchRefspec: '+refs/heads/*:refs/heads/*', remoteConfig: [], tracking: false, tags: 'all' })
  assert.deepEqual(cloneLayout('mirror'), {
    bare: true,
    fetchRefspec: '+refs/*:refs/*',
    remoteConfig: [['fetch', '+refs/*:refs/*'], ['mirror', 'true']],
    tracking: false,
    tags: 'all'
  })
  assert.equal(cloneLayout('normal', 'upstream').fetchRefspec, '+refs/heads/*:refs/remotes/upstream/*')
})

test('cloneLayout: --single-branch and --no-tags write what git clone writes', () => {
  const dev = { kind: 'branch', ref: 'refs/heads/dev' } as const
  const tag = { kind: 'tag', ref: 'refs/tags/v2' } as const
  // from `git clone --single-branch -b dev` / `-b v2` / `--no-tags` (git 2.39)
  assert.deepEqual(cloneLayout('normal', 'origin', { singleBranch: dev }), {
    bare: false, fetchRefspec: '+refs/heads/dev:refs/remotes/origin/dev', remoteConfig: [['fetch', '+refs/heads/dev:refs/remotes/origin/dev']], tracking: true, tags: 'follow'
  })
  assert.deepEqual(cloneLayout('normal', 'up', { singleBranch: tag }).remoteConfig, [['fetch', '+refs/tags/v2:refs/tags/v2']])
  assert.deepEqual(cloneLayout('bare', 'origin', { singleBranch: dev }), { bare: true, fetchRefspec: '+refs/heads/dev:refs/heads/dev', remoteConfig: [], tracking: false, tags: 'follow' })
  assert.deepEqual(cloneLayout('normal', 'origin', { singleBranch: dev, noTags: true }).remoteConfig, [['tagopt', '--no-tags'], ['fetch', '+refs/heads/dev:refs/remotes/origin/dev']])
  assert.equal(cloneLayout('bare', 'origin', { noTags: true }).tags, 'none')
  assert.deepEqual(cloneLayout('bare', 'origin', { noTags: true }).remoteConfig, [['tagopt', '--no-tags']])
  assert.equal(cloneLayout('normal', 'origin', { singleBranch: null }).tags, 'all')
})

test('checkoutTarget: -b names a branch first, then a tag; else the origin\'s HEAD', () => {
  const listing = { head: 'refs/heads/main', refs: [{ name: 'refs/heads/main' }, { name: 'refs/heads/both' }, { name: 'refs/tags/both' }, { name: 'refs/tags/v1' }] }
  assert.deepEqual(checkoutTarget(listing), { kind: 'branch', ref: 'refs/heads/main' })
  assert.deepEqual(checkoutTarget(listing, 'both'), { kind: 'branch', ref: 'refs/heads/both' })
  assert.deepEqual(checkoutTarget(listing, 'v1'), { kind: 'tag', ref: 'refs/tags/v1' })
  assert.throws(() => checkoutTarget(listing, 'nope', 'up'), { code: 'NO_SUCH_BRANCH', message: 'remote branch nope not found in upstream up' })
  assert.equal(checkoutTarget({ head: 'refs/heads/gone', refs: listing.refs }), null, 'a HEAD naming a branch the origin lacks')
  assert.equal(checkoutTarget({ head: null, refs: listing.refs }), null)
  assert.deepEqual(checkoutTarget({ head: null, refs: listing.refs }, 'main'), { kind: 'branch', ref: 'refs/heads/main' }, '-b needs no HEAD')
})
