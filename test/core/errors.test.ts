import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ERROR_CODES, exitStatusOf, isLocalFailure, localFailure, MirrorError, type ErrorCode } from '../../src/core/errors.js'

// Every code's exit status, pinned. Typed Record<ErrorCode, ...> so that a
// code added to ErrorCode without a line here does not compile: the exit
// status of a new failure is a decision (DESIGN.md: 2 for wrong usage, 1
// for everything else), not an accident.
const EXIT_STATUS: Record<ErrorCode, 1 | 2> = {
  USAGE: 2,
  NOT_A_REPOSITORY: 1,
  NO_SUCH_REMOTE: 1,
  SHALLOW_REPOSITORY: 1,
  EMPTY_REPOSITORY: 1,
  BAD_WEB_SEED: 1,
  BAD_OPTION: 1,
  STORE_NOT_WRITABLE: 1,
  STORE_CORRUPT: 1,
  GIT_FAILED: 1,
  REMOTE_UNREACHABLE: 1,
  PUSH_REJECTED: 1,
  NO_RECORDS: 1,
  BAD_RECORD: 1,
  UNSAFE_TORRENT: 1,
  TOO_LARGE: 1,
  DOWNLOAD_STALLED: 1,
  BAD_BUNDLE: 1,
  TORRENT_FAILED: 1,
  ABORTED: 1,
  DESTINATION_EXISTS: 1,
  BAD_KEY: 1,
  KEY_EXISTS: 1,
  BAD_PUSH_OBJECT: 1,
  VERIFY_FAILED: 1,
  HTTP_FAILED: 1,
  NO_SPACE: 1,
  NO_SUCH_BRANCH: 1,
  AUTH_REQUIRED: 1,
  LOCAL_IO: 1,
  ORIGIN_NOT_PUBLIC: 1
}

test('exitStatusOf: every code pinned', async (t) => {
  for (const [code, status] of Object.entries(EXIT_STATUS) as Array<[ErrorCode, 1 | 2]>) {
    await t.test(`${code}: ${status}`, () => assert.equal(exitStatusOf(code), status))
  }
})

test('ERROR_CODES lists every code once, and nothing else', () => {
  // the type cannot be enumerated at run time: the pinned table stands for it
  assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length, 'a code listed twice')
  assert.deepEqual([...ERROR_CODES].sort(), Object.keys(EXIT_STATUS).sort())
})

test('MirrorError: code, message, data and cause', () => {
  const cause = new Error('low level')
  const err = new MirrorError('NO_SPACE', 'disk full', { path: '/x' }, { cause })
  assert.ok(err instanceof Error)
  assert.equal(err.name, 'MirrorError')
  assert.equal(err.code, 'NO_SPACE')
  assert.equal(err.message, 'disk full')
  assert.deepEqual(err.data, { path: '/x' })
  assert.equal(err.cause, cause)
  assert.deepEqual(new MirrorError('USAGE', 'x').data, {})
})

test('localFailure: errno codes', async (t) => {
  const cases: Array<[string, 'NO_SPACE' | 'LOCAL_IO' | null]> = [
    ['ENOSPC', 'NO_SPACE'],
    ['EDQUOT', 'NO_SPACE'],
    ['EROFS', 'LOCAL_IO'],
    ['EACCES', 'LOCAL_IO'],
    ['EPERM', 'LOCAL_IO'],
    ['EIO', 'LOCAL_IO'],
    ['EMFILE', 'LOCAL_IO'],
    ['ENFILE', 'LOCAL_IO'],
    // a source's trouble, or a bug: not this machine's disk
    ['ECONNRESET', null],
    ['ECONNREFUSED', null],
    ['ETIMEDOUT', null],
    ['ENOENT', null],
    ['EEXIST', null],
    ['EPIPE', null],
    ['enospc', null],        // errno codes are upper case; nothing is guessed
    ['', null]
  ]
  for (const [errno, want] of cases) {
    await t.test(JSON.stringify(errno), () => {
      assert.equal(localFailure({ errno }), want)
      const err = Object.assign(new Error('x'), { code: errno })
      assert.equal(isLocalFailure(err), want !== null)
    })
  }
})

test('localFailure: git\'s stderr (LC_ALL=C)', async (t) => {
  const cases: Array<[string, string, 'NO_SPACE' | 'LOCAL_IO' | null]> = [
    ['write, disk full', 'fatal: unable to write new index file: No space left on device\n', 'NO_SPACE'],
    ['sha1 file write', 'error: unable to write sha1 file\nfatal: unable to write loose object file: No space left on device\n', 'NO_SPACE'],
    ['index-pack', 'fatal: write error: No space left on device\nfatal: index-pack failed\n', 'NO_SPACE'],
    ['quota', 'error: unable to create temporary file: Disk quota exceeded\n', 'NO_SPACE'],
    ['permission at a line end', 'error: unable to create file README: Permission denied\n', 'LOCAL_IO'],
    ['permission, then another line', 'error: unable to unlink old \'x\': Permission denied\nfatal: cannot continue\n', 'LOCAL_IO'],
    ['permission, CRLF', 'error: could not lock config file .git/config: Permission denied\r\n', 'LOCAL_IO'],
    ['permission, no newline', 'fatal: could not create work tree dir \'x\': Permission denied', 'LOCAL_IO'],
    ['read-only', 'fatal: could not create leading directories of \'x\': Read-only file system\n', 'LOCAL_IO'],
    ['I/O error', 'error: read error: Input/output error\n', 'LOCAL_IO'],
    ['too many files', 'fatal: unable to open .git/objects/pack/x.idx: Too many open files\n', 'LOCAL_IO'],
    // ssh's refusal is the server's: the line does not end in the bare text
    ['ssh publickey', 'git@example.com: Permission denied (publickey).\r\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n', null],
    ['ssh publickey,password', 'user@host: Permission denied (publickey,password).\n', null],
    ['ssh password prompt', 'Permission denied, please try again.\n', null],
    ['http 403', 'fatal: unable to access \'https://example.com/x/\': The requested URL returned error: 403\n', null],
    ['not found', 'fatal: repository \'https://example.com/x/\' not found\n', null],
    ['unreachable', 'ssh: connect to host example.com port 22: Connection refused\nfatal: Could not read from remote repository.\n', null],
    ['empty', '', null],
    ['arbitrary text', 'something went wrong\n', null],
    ['the words mid-line', 'hint: Permission denied errors mean the repository is private\n', null]
  ]
  for (const [name, stderr, want] of cases) {
    await t.test(name, () => assert.equal(localFailure({ stderr }), want))
  }
})

test('localFailure: an errno that is not local leaves the verdict to stderr; neither gives null', () => {
  assert.equal(localFailure({ errno: 'ECONNRESET', stderr: 'fatal: write error: No space left on device' }), 'NO_SPACE')
  assert.equal(localFailure({ errno: 'EACCES', stderr: 'fatal: write error: No space left on device' }), 'LOCAL_IO')
  assert.equal(localFailure({}), null)
})

// the server's disk is not this machine's: git prints what the server said under "remote: " (found when localFailure took it for NO_SPACE here)
test('localFailure: what the remote side says about its own disk', async (t) => {
  const cases: Array<[string, string]> = [
    // git 2.39 pushing to a repository on a full 200 KiB tmpfs, word for word (the spaces clear progress lines)
    ['receive-pack, disk full', 'remote: fatal: unable to write loose object file: No space left on device        \nerror: remote unpack failed: unpack-objects abnormal exit\nTo /tmp/small/rp\n ! [remote rejected] HEAD -> main (unpacker error)\nerror: failed to push some refs to \'/tmp/small/rp\'\n'],
    ['receive-pack, permission', 'remote: error: insufficient permission for adding an object to repository database ./objects\nremote: fatal: cannot create file: Permission denied\n']
  ]
  for (const [name, stderr] of cases) {
    await t.test(name, () => assert.equal(localFailure({ stderr }), null))
  }
})

test('isLocalFailure: MirrorErrors by code, other errors by errno', async (t) => {
  const cases: Array<[string, unknown, boolean]> = [
    ['NO_SPACE', new MirrorError('NO_SPACE', 'x'), true],
    ['LOCAL_IO', new MirrorError('LOCAL_IO', 'x'), true],
    ['GIT_FAILED', new MirrorError('GIT_FAILED', 'x'), false],
    // a MirrorError's code decides, whatever else it carries
    ['HTTP_FAILED with an errno-like field', Object.assign(new MirrorError('HTTP_FAILED', 'x'), { errno: 'ENOSPC' }), false],
    ['ENOSPC', Object.assign(new Error('x'), { code: 'ENOSPC' }), true],
    ['ECONNRESET', Object.assign(new Error('x'), { code: 'ECONNRESET' }), false],
    ['no code', new Error('x'), false],
    ['not an error', 'ENOSPC', false],
    ['null', null, false],
    ['undefined', undefined, false]
  ]
  for (const [name, err, want] of cases) {
    await t.test(name, () => assert.equal(isLocalFailure(err), want))
  }
})
