// readDaemonConfig against real git config: the remotes (all, or those
// mirror.daemon.remote names), the interval and the action, and a value
// that does not parse named.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isMirrorError } from '../../src/core/errors.js'
import { readDaemonConfig } from '../../src/io/git/daemon-config.js'
import { Git } from '../../src/io/git/run-git.js'
import { sandbox } from './git-sandbox.js'

test('readDaemonConfig: every remote by default, the named ones otherwise, interval and action; bad values are BAD_OPTION', async t => {
  const sb = await sandbox(t)
  const repo = await sb.init('repo')
  const git = new Git(repo, sb.env)
  assert.deepEqual(await readDaemonConfig(git), { remotes: [], intervalSeconds: null, action: null })
  await sb.git(repo, ['remote', 'add', 'origin', 'https://git.example.org/p.git'])
  await sb.git(repo, ['remote', 'add', 'Up.Stream', 'ssh://git@example.net/p.git'])
  assert.deepEqual((await readDaemonConfig(git)).remotes, [{ name: 'Up.Stream', url: 'ssh://git@example.net/p.git' }, { name: 'origin', url: 'https://git.example.org/p.git' }], 'a remote\'s name keeps its case')
  await sb.git(repo, ['config', '--add', 'mirror.daemon.remote', 'origin'])
  await sb.git(repo, ['config', 'mirror.daemon.interval', '90'])
  await sb.git(repo, ['config', 'mirror.daemon.action', 'fetch'])
  assert.deepEqual(await readDaemonConfig(git), { remotes: [{ name: 'origin', url: 'https://git.example.org/p.git' }], intervalSeconds: 90, action: 'fetch' })

  const bad: Array<[string, string, RegExp]> = [
    ['mirror.daemon.remote', 'nosuch', /mirror\.daemon\.remote="nosuch": no such remote/],
    ['mirror.daemon.interval', 'soon', /mirror\.daemon\.interval="soon" is not a number of seconds/],
    ['mirror.daemon.interval', '0', /is not a number of seconds/],
    ['mirror.daemon.action', 'pull', /mirror\.daemon\.action="pull" is not none or fetch/]
  ]
  for (const [key, value, why] of bad) {
    await sb.git(repo, ['config', '--replace-all', key, value])
    await assert.rejects(readDaemonConfig(git), (err: unknown) => isMirrorError(err, 'BAD_OPTION') && why.test((err as Error).message), `${key}=${value}`)
    await sb.git(repo, ['config', '--unset-all', key])
  }
})
