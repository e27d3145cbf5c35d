import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bundleFileName, projectName, sanitizeName, isProjectBundle, projectOfBundle } from '../../src/core/project-name.js'
import { checkBundleTorrent } from '../../src/core/torrent-policy.js'
import { parseBundleMeta } from '../../src/core/bundle-meta.js'

const END = '0123456789abcdef0123456789abcdef01234567'

test('projectName: table', async (t) => {
  const cases: Array<[string, string]> = [
    ['https://github.com/user/repo.git', 'repo'],
    ['https://github.com/user/repo', 'repo'],
    ['https://github.com/user/repo.git/', 'repo'],
    ['https://github.com/user/repo/', 'repo'],
    ['git@github.com:user/repo.git', 'repo'],
    ['git@github.com:repo.git', 'repo'],
    ['ssh://git@host:2222/srv/git/linux.git', 'linux'],
    ['/home/u/src/my-project', 'my-project'],
    ['/home/u/src/my-project///', 'my-project'],
    ['C:\\Users\\u\\proj.git', 'proj'],
    ['../relative/proj', 'proj'],
    ['proj', 'proj'],
    ['/srv/git/My Project (old).git', 'My-Project-old'],
    ['/srv/git/caf\u00e9', 'caf'],
    ['/srv/git/v1.2.3', 'v1.2.3'],
    ['/srv/git/.hidden', 'hidden'],
    ['/srv/git/--x', 'x'],
    ['/', 'repository'],
    ['', 'repository'],
    ['/srv/git/\u65e5\u672c', 'repository']
  ]
  for (const [input, want] of cases) {
    await t.test(JSON.stringify(input), () => assert.equal(projectName(input), want))
  }
})

test('sanitizeName: table', async (t) => {
  const cases: Array<[string, string]> = [
    ['repo', 'repo'],
    ['a b  c', 'a-b-c'],
    ['a/b\\c', 'a-b-c'],
    ['...x', 'x'],
    ['-.-x', 'x'],
    ['x---', 'x'],
    ['x!!!', 'x'],
    ['a_b.c-d', 'a_b.c-d'],
    ['', 'repository'],
    ['...', 'repository'],
    ['!!!', 'repository'],
    ['x'.repeat(100), 'x'.repeat(64)]
  ]
  for (const [input, want] of cases) {
    await t.test(JSON.stringify(input), () => assert.equal(sanitizeName(input), want))
  }
})

test('bundleFileName: <project>-<12 hex>.bundle', () => {
  assert.equal(bundleFileName('repo', END), 'repo-0123456789ab.bundle')
  assert.equal(bundleFileName('My Repo', END), 'My-Repo-0123456789ab.bundle')
  assert.equal(bundleFileName('', END), 'repository-0123456789ab.bundle')
})

/** What the rest of the code requires of a bundle's file name. */
function acceptedElsewhere (file: string): void {
  checkBundleTorrent({ name: file, length: 1, 'piece length': 16384, pieces: new Uint8Array(20) }, { maxSize: 10, ref: 'test' })
  parseBundleMeta(JSON.stringify({
    format: 1, start: '0'.repeat(40), end: END, file, size: 1, sha256: null, infoHash: 'f'.repeat(40),
    refs: [], head: null, created: '2024-01-01T00:00:00.000Z', mtimeMs: 0
  }))
}

test('bundleFileName: the name is accepted by the torrent policy and by meta.json', async (t) => {
  for (const project of ['repo', 'My Repo', '.dotted', '-dash', 'x'.repeat(300), 'a+b', '', 'v1.0', 'a'.repeat(63) + '-b']) {
    await t.test(JSON.stringify(project), () => acceptedElsewhere(bundleFileName(project, END)))
  }
})

test('bundleFileName: a project name starting with "_" gives an accepted file name', () => {
  acceptedElsewhere(bundleFileName('_private', END))
  acceptedElsewhere(bundleFileName(projectName('/srv/git/_tools.git'), END))
})

test('isProjectBundle: a project\'s bases and increments, not another project that starts the same', () => {
  const h = 'abcdef012345'
  const cases: Array<[string, string, boolean]> = [
    ['foo', `foo-${h}.bundle`, true],
    ['foo', `foo-${h}-from-${h}.bundle`, true],
    ['foo', `foo-bar-${h}.bundle`, false],
    ['foo-bar', `foo-bar-${h}.bundle`, true],
    ['foo', `foo-${h}.bundle.torrent`, false],
    ['foo', `foo-${h.toUpperCase()}.bundle`, false],
    ['foo', `foo-${h}-from-x.bundle`, false],
    ['my project', `my-project-${h}.bundle`, true]
  ]
  for (const [project, file, want] of cases) assert.equal(isProjectBundle(project, file), want, `${project} ${file}`)
})

test('projectOfBundle: the project a bundle file name names', () => {
  assert.equal(projectOfBundle('foo-bar-abcdef012345.bundle'), 'foo-bar')
  assert.equal(projectOfBundle('foo-abcdef012345-from-0123456789ab.bundle'), 'foo')
  assert.equal(projectOfBundle('foo.bundle'), null)
  assert.equal(projectOfBundle('foo-abcdef012345.bundle.torrent'), null)
})
