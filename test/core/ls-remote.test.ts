import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseLsRemote } from '../../src/core/ls-remote.js'

const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const C = 'c'.repeat(40)

test('parseLsRemote: table', async (t) => {
  const cases: Array<[string, string, ReturnType<typeof parseLsRemote>]> = [
    ['empty (an empty repository)', '', { refs: [], head: null }],
    ['typical --symref output',
      `ref: refs/heads/main\tHEAD\n${A}\tHEAD\n${A}\trefs/heads/main\n${B}\trefs/tags/v1\n${C}\trefs/tags/v1^{}\n`,
      { refs: [{ name: 'HEAD', oid: A }, { name: 'refs/heads/main', oid: A }, { name: 'refs/tags/v1', oid: B }], head: 'refs/heads/main' }],
    ['no symref line: head unknown',
      `${A}\tHEAD\n${A}\trefs/heads/main\n`,
      { refs: [{ name: 'HEAD', oid: A }, { name: 'refs/heads/main', oid: A }], head: null }],
    ['detached HEAD of the remote',
      `${B}\tHEAD\n${A}\trefs/heads/main\n`,
      { refs: [{ name: 'HEAD', oid: B }, { name: 'refs/heads/main', oid: A }], head: null }],
    ['symref for something other than HEAD is not the head',
      `ref: refs/heads/main\trefs/remotes/origin/HEAD\n${A}\trefs/heads/main\n`,
      { refs: [{ name: 'refs/heads/main', oid: A }], head: null }],
    ['unborn HEAD: symref line, no oid for HEAD',
      `ref: refs/heads/main\tHEAD\n`,
      { refs: [], head: 'refs/heads/main' }],
    ['records, pulls and other namespaces are listed',
      `${A}\trefs/mirrors/bundle/torrent\n${B}\trefs/pull/1/head\n`,
      { refs: [{ name: 'refs/mirrors/bundle/torrent', oid: A }, { name: 'refs/pull/1/head', oid: B }], head: null }],
    ['CRLF line ends: the CR makes the name unsafe, so dropped',
      `${A}\trefs/heads/main\r\n`,
      { refs: [], head: null }],
    ['lines that do not parse are skipped',
      [
        'warning: redirecting to https://example.com/x.git/',
        `${A} refs/heads/space-not-tab`,
        `${'a'.repeat(39)}\trefs/heads/short`,
        `${A.toUpperCase()}\trefs/heads/upper`,
        `${A}\trefs/heads/bad..name`,
        `${A}\trefs/heads/has space`,
        `${A}\tmain`,
        'ref: refs/heads/../x\tHEAD',
        `${C}\trefs/heads/ok`
      ].join('\n'),
      { refs: [{ name: 'refs/heads/ok', oid: C }], head: null }]
  ]
  for (const [name, text, want] of cases) {
    await t.test(name, () => assert.deepEqual(parseLsRemote(text), want))
  }
})
