import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cloneDirName, cloneLayout, isLocalPath, isScpLike } from '../../src/core/clone-target.js'

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
    tracking: true
  })
  assert.deepEqual(cloneLayout('bare', 'upstream'), { bare: true, fetchRefspec: '+refs/heads/*:refs/heads/*', remoteConfig: [], tracking: false })
  assert.deepEqual(cloneLayout('mirror'), {
    bare: true,
    fetchRefspec: '+refs/*:refs/*',
    remoteConfig: [['fetch', '+refs/*:refs/*'], ['mirror', 'true']],
    tracking: false
  })
  assert.equal(cloneLayout('normal', 'upstream').fetchRefspec, '+refs/heads/*:refs/remotes/upstream/*')
})
