import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseGitProgress } from '../../src/core/progress.js'

test('parseGitProgress: git\'s progress lines', async (t) => {
  // Lines as git 2.39 writes them (the \r-separated updates split apart).
  const cases: Array<[string, ReturnType<typeof parseGitProgress>]> = [
    ['Counting objects:  33% (1/3)', { step: 'Counting objects', done: 1, total: 3 }],
    ['Counting objects: 100% (3/3), done.', { step: 'Counting objects', done: 3, total: 3 }],
    ['Writing objects:  45% (123/456)', { step: 'Writing objects', done: 123, total: 456 }],
    ['Compressing objects: 100% (2/2), done.', { step: 'Compressing objects', done: 2, total: 2 }],
    ['Receiving objects:  12% (1234/10000), 3.20 MiB | 1.60 MiB/s', { step: 'Receiving objects', done: 1234, total: 10000 }],
    ['Resolving deltas:   0% (0/5)', { step: 'Resolving deltas', done: 0, total: 5 }],
    ['remote: Counting objects:  50% (5/10)', { step: 'Counting objects', done: 5, total: 10 }],
    ['remote: Compressing objects: 100% (4/4), done.        ', { step: 'Compressing objects', done: 4, total: 4 }],
    ['  Checking connectivity: 100% (6/6), done.\r', { step: 'Checking connectivity', done: 6, total: 6 }],
    ['Updating files: 100% (10/10), done.', { step: 'Updating files', done: 10, total: 10 }],
    // no percentage: not a progress figure
    ['Enumerating objects: 6, done.', null],
    ['remote: Enumerating objects: 6, done.', null],
    ['Total 6 (delta 0), reused 0 (delta 0), pack-reused 0', null],
    ['Cloning into \'x\'...', null],
    ['fatal: repository not found', null],
    ['', null]
  ]
  for (const [line, want] of cases) {
    await t.test(JSON.stringify(line), () => assert.deepEqual(parseGitProgress(line), want))
  }
})
