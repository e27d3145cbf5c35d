import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { publicKeyFromRaw } from '../../src/core/public-key.js'
import { trustedKeysFor } from '../../src/io/keys/trusted-keys.js'
import { Git } from '../../src/io/git/run-git.js'
import { sandbox } from './git-sandbox.js'

function newKey (): string {
  const x = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!
  return publicKeyFromRaw(Buffer.from(x, 'base64url')).text
}

test('trustedKeysFor: --trust, unscoped and URL-scoped keys; the repository\'s own config only when asked', async (t) => {
  const sb = await sandbox(t)
  const repo = await sb.init('r')
  const [everywhere, scoped, under, other, local, flag] = [newKey(), newKey(), newKey(), newKey(), newKey(), newKey()]
  await sb.git(repo, ['config', '--global', '--add', 'mirror.trustedKey', everywhere])
  await sb.git(repo, ['config', '--global', '--add', 'mirror.https://h.example/p.git.trustedKey', `${scoped} a comment`])
  await sb.git(repo, ['config', '--global', '--add', 'mirror.https://h.example/.trustedKey', under])
  await sb.git(repo, ['config', '--global', '--add', 'mirror.https://other.example/p.git.trustedKey', other])
  await sb.git(repo, ['config', '--local', '--add', 'mirror.trustedKey', local])
  const git = new Git(repo, sb.env)
  const texts = async (urls: string[], extra: string[], userOnly: boolean): Promise<string[]> =>
    (await trustedKeysFor(git, urls, extra, { userOnly })).map(k => k.text).sort()

  assert.deepEqual(await texts(['https://h.example/p.git'], [flag], true), [everywhere, scoped, under, flag].sort())
  assert.deepEqual(await texts(['https://h.example/p.git'], [], false), [everywhere, scoped, under, local].sort())
  assert.deepEqual(await texts(['https://third.example/x.git'], [], true), [everywhere])
  assert.deepEqual(await texts([], [everywhere], true), [everywhere], 'a key given twice counts once')
})

test('trustedKeysFor: a value that is not a key fails, naming where it came from', async (t) => {
  const sb = await sandbox(t)
  const repo = await sb.init('r')
  const git = new Git(repo, sb.env)
  await assert.rejects(trustedKeysFor(git, [], ['ssh-rsa AAAA']), { code: 'BAD_KEY', message: /^--trust value 1 is not an "ssh-ed25519 AAAA\.\.\." public key/ })
  await sb.git(repo, ['config', '--global', 'mirror.https://h.example/p.git.trustedKey', 'nonsense'])
  await assert.rejects(trustedKeysFor(git, ['https://h.example/p.git'], [], { userOnly: true }), { code: 'BAD_KEY', message: /^git config mirror\.https:\/\/h\.example\/p\.git\.trustedkey is not/ })
  assert.deepEqual(await trustedKeysFor(git, ['https://elsewhere.example/q.git'], [], { userOnly: true }), [], 'a broken key scoped to another origin is not read')
})
