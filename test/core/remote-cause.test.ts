import { test } from 'node:test'
import assert from 'node:assert/strict'
import { hiddenRemoteCause } from '../../src/core/remote-cause.js'

const ADVICE = 'fatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n'

// stderr of git 2.39 ls-remote and fetch over ssh (OpenSSH 9.2) and http, as written here
test('hiddenRemoteCause: table of what real git and ssh print', async (t) => {
  const cases: Array<[string, string, string | null]> = [
    ['a refused key', `root@127.0.0.1: Permission denied (publickey).\n${ADVICE}`, 'root@127.0.0.1: Permission denied (publickey).'],
    ['no repository at that path: the remote git\'s fatal line',
      `fatal: '/tmp/nope.git' does not appear to be a git repository\n${ADVICE}`, '\'/tmp/nope.git\' does not appear to be a git repository'],
    ['an unknown host key: the last of ssh\'s lines',
      `No ED25519 host key is known for [127.0.0.1]:2299 and you have requested strict checking.\nHost key verification failed.\n${ADVICE}`, 'Host key verification failed.'],
    ['nothing listening', `ssh: connect to host 127.0.0.1 port 1: Connection refused\n${ADVICE}`, 'ssh: connect to host 127.0.0.1 port 1: Connection refused'],
    ['progress before it, CR line ends', `remote: Enumerating objects: 3\rremote: Enumerating objects: 3, done.\r\nssh_dispatch_run_fatal: Connection to 127.0.0.1 port 22: Broken pipe\r\n${ADVICE}`,
      'ssh_dispatch_run_fatal: Connection to 127.0.0.1 port 22: Broken pipe'],
    ['git said nothing before it', ADVICE, null],
    ['an HTTP failure names its own cause', 'fatal: unable to access \'http://127.0.0.1:1/x.git/\': Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn\'t connect to server\n', null],
    ['empty', '', null]
  ]
  for (const [name, stderr, want] of cases) {
    await t.test(name, () => assert.equal(hiddenRemoteCause(stderr), want))
  }
})
