import { test } from 'node:test'
import assert from 'node:assert/strict'
import { scopeMatches, trustedKeyScope } from '../../src/core/trust-scope.js'

test('scopeMatches: which mirror.<scope>.trustedKey applies to an origin URL', async (t) => {
  const cases: Array<[string | null, string, boolean]> = [
    [null, 'https://h.example/p.git', true],
    ['https://h.example/p.git', 'https://h.example/p.git', true],
    ['https://h.example/p', 'https://h.example/p.git', true],
    ['https://h.example/p.git', 'https://h.example/p', true],
    ['https://h.example/p.git/', 'https://h.example/p.git', true],
    ['https://h.example/', 'https://h.example/p.git', true],
    ['https://h.example/', 'https://h.example/group/p.git', true],
    ['https://h.example/group/', 'https://h.example/other/p.git', false],
    ['https://h.example', 'https://h.example.evil/p.git', false],
    ['https://h.example/p', 'https://h.example/p2.git', false],
    ['https://h.example/p.git', 'http://h.example/p.git', false],
    ['git@h.example:p.git', 'git@h.example:p.git', true],
    ['/srv/git/p.git', '/srv/git/p.git', true],
    ['/srv/git/', '/srv/git/p.git', true]
  ]
  for (const [scope, url, want] of cases) {
    await t.test(`${String(scope)} vs ${url}`, () => assert.equal(scopeMatches(scope, url), want))
  }
})

test('trustedKeyScope: the scope of a config key as git config --get-regexp prints it', async (t) => {
  const cases: Array<[string, string | null | undefined]> = [
    ['mirror.trustedkey', null],
    ['mirror.https://H.example/P.git.trustedkey', 'https://H.example/P.git'],
    ['mirror.a.b.c.trustedkey', 'a.b.c'],
    ['mirror.tracker', undefined],
    ['other.trustedkey', undefined],
    ['mirror.trustedkeys', undefined]
  ]
  for (const [key, want] of cases) {
    await t.test(key, () => assert.equal(trustedKeyScope(key), want))
  }
})
