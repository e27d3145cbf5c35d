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
