/**
 * One error class for every operational failure. `code` is stable (scripts and
 * tests match on it), `message` is the one line the CLI prints, `data` carries
 * the structured details. Bugs are not MirrorErrors: they crash with a stack.
 */
export type ErrorCode =
  | 'USAGE'                 // wrong command-line use (exit status 2)
  | 'NOT_A_REPOSITORY'
  | 'NO_SUCH_REMOTE'
  | 'SHALLOW_REPOSITORY'
  | 'EMPTY_REPOSITORY'
  | 'BAD_WEB_SEED'
  | 'BAD_OPTION'            // a configuration value that does not parse
  | 'STORE_NOT_WRITABLE'
  | 'STORE_CORRUPT'
  | 'GIT_FAILED'
  | 'REMOTE_UNREACHABLE'
  | 'PUSH_REJECTED'
  | 'NO_RECORDS'            // the remote publishes no bundle under refs/mirrors/bundle/*
  | 'BAD_RECORD'            // a record blob does not parse
  | 'UNSAFE_TORRENT'        // parses, but names paths or sizes we refuse
  | 'TOO_LARGE'
  | 'DOWNLOAD_STALLED'
  | 'BAD_BUNDLE'
  | 'TORRENT_FAILED'
  | 'ABORTED'
  | 'DESTINATION_EXISTS'    // mirror-clone's directory exists and is not empty
  | 'BAD_KEY'               // a public or private key that does not parse, or not ed25519
  | 'KEY_EXISTS'            // mirror-keygen would overwrite a key (without --force)
  | 'BAD_PUSH_OBJECT'       // a push object that does not parse
  | 'VERIFY_FAILED'         // a push object or bundle refused by a check (data.check names it)
  | 'HTTP_FAILED'           // an HTTP source answered with an error or broke off
  | 'NO_SPACE'              // this machine's disk (or quota) is full
  | 'AUTH_REQUIRED'         // the origin asks for credentials and nothing could answer (no terminal, no credential helper)
  | 'NO_SUCH_BRANCH'        // -b names no branch or tag of the origin
  | 'LOCAL_IO'              // this machine refused a read or write: read-only, permissions, I/O error, too many open files
  | 'ORIGIN_NOT_PUBLIC'     // a public publish of an origin that needs authentication (or cannot be told): --private or --public

export class MirrorError extends Error {
  readonly code: ErrorCode
  readonly data: Record<string, unknown>

  constructor (code: ErrorCode, message: string, data: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'MirrorError'
    this.code = code
    this.data = data
  }
}

export function isMirrorError (err: unknown, code?: ErrorCode): err is MirrorError {
  return err instanceof MirrorError && (code === undefined || err.code === code)
}

/** Every code, for documentation and the test that pins each code's exit status. */
export const ERROR_CODES: readonly ErrorCode[] = [
  'USAGE', 'NOT_A_REPOSITORY', 'NO_SUCH_REMOTE', 'SHALLOW_REPOSITORY', 'EMPTY_REPOSITORY', 'BAD_WEB_SEED', 'BAD_OPTION',
  'STORE_NOT_WRITABLE', 'STORE_CORRUPT', 'GIT_FAILED', 'REMOTE_UNREACHABLE', 'PUSH_REJECTED', 'NO_RECORDS', 'BAD_RECORD',
  'UNSAFE_TORRENT', 'TOO_LARGE', 'DOWNLOAD_STALLED', 'BAD_BUNDLE', 'TORRENT_FAILED', 'ABORTED', 'DESTINATION_EXISTS',
  'BAD_KEY', 'KEY_EXISTS', 'BAD_PUSH_OBJECT', 'VERIFY_FAILED', 'HTTP_FAILED', 'NO_SPACE', 'NO_SUCH_BRANCH', 'AUTH_REQUIRED', 'LOCAL_IO',
  'ORIGIN_NOT_PUBLIC'
]

/** DESIGN.md's exit status for a failure with this code: 2 for wrong usage, 1 for everything else. */
export function exitStatusOf (code: ErrorCode): 1 | 2 {
  return code === 'USAGE' ? 2 : 1
}

/** The errno codes that mean this machine, not a source, is in trouble. */
const LOCAL_ERRNO: Record<string, 'NO_SPACE' | 'LOCAL_IO'> = {
  ENOSPC: 'NO_SPACE', EDQUOT: 'NO_SPACE', EROFS: 'LOCAL_IO', EACCES: 'LOCAL_IO', EPERM: 'LOCAL_IO', EIO: 'LOCAL_IO', EMFILE: 'LOCAL_IO', ENFILE: 'LOCAL_IO'
}

/**
 * git's strerror() texts for the same conditions, as it prints them under
 * LC_ALL=C (the git runner pins it): "...: No space left on device". An ssh
 * refusal ("Permission denied (publickey)") is the server's, not ours: only
 * a line that ends in the bare text counts; so are lines the server sent
 * ("remote: fatal: ... No space left on device": its disk is full, not ours).
 */
const LOCAL_STRERROR: Array<[RegExp, 'NO_SPACE' | 'LOCAL_IO']> = [
  [/No space left on device|Disk quota exceeded/, 'NO_SPACE'],
  [/(Read-only file system|Permission denied|Input\/output error|Too many open files)\s*$/m, 'LOCAL_IO']
]

/** NO_SPACE or LOCAL_IO for a failure of this machine (a Node errno code, or git's stderr), else null. */
export function localFailure (o: { errno?: string, stderr?: string }): 'NO_SPACE' | 'LOCAL_IO' | null {
  if (o.errno !== undefined && LOCAL_ERRNO[o.errno] !== undefined) return LOCAL_ERRNO[o.errno]!
  const ours = o.stderr?.split(/[\r\n]+/).filter(line => !line.startsWith('remote:')).join('\n')
  for (const [re, code] of LOCAL_STRERROR) if (ours !== undefined && re.test(ours)) return code
  return null
}

/** Whether an error is this machine's trouble (disk full, read-only, ...): no reason to blame or drop a source for it. */
export function isLocalFailure (err: unknown): boolean {
  if (isMirrorError(err)) return err.code === 'NO_SPACE' || err.code === 'LOCAL_IO'
  return localFailure({ errno: (err as NodeJS.ErrnoException)?.code }) !== null
}
