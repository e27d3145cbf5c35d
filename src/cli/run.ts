import { CommanderError } from 'commander'
import { exitStatusOf, localFailure, MirrorError } from '../core/errors.js'

/** DESIGN.md exit statuses. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const

/**
 * Runs a command's body and turns what it throws into one line on stderr and
 * an exit status: 2 for wrong usage, 1 for an operational failure. With
 * `json`, stdout also gets one object, `{"error": {"code", "message",
 * "exitStatus"}}`, the code being the failure's stable name. A Node error
 * of this machine (ENOSPC, EROFS, EACCES...) is a failure too (NO_SPACE,
 * LOCAL_IO). Anything else is a bug and keeps its stack.
 */
export async function runCli (prog: string, body: () => Promise<number | void>, o: { json?: boolean } = {}): Promise<never> {
  let status: number
  try {
    status = (await body()) ?? EXIT.ok
  } catch (err) {
    status = report(prog, err, o.json === true)
  }
  process.exitCode = status
  // Let stdout/stderr drain; sockets the libraries forgot must not keep us alive.
  setTimeout(() => process.exit(status), 100).unref()
  return await new Promise<never>(() => {})
}

function report (prog: string, err: unknown, json: boolean): number {
  if (err instanceof CommanderError) {
    // commander already printed its message (or the help / version)
    const status = err.exitCode === 0 ? EXIT.ok : EXIT.usage
    if (json && status !== EXIT.ok) writeJson({ code: 'USAGE', message: err.message.replace(/^error: /, ''), exitStatus: status })
    return status
  }
  if (err instanceof MirrorError) {
    process.stderr.write(`${prog}: ${err.message}\n`)
    const status = exitStatusOf(err.code)
    if (json) writeJson({ code: err.code, message: err.message, exitStatus: status })
    return status
  }
  const local = localFailure({ errno: (err as NodeJS.ErrnoException | null)?.code })
  if (local !== null) {
    // this machine's refusal (full disk, read-only, permissions) that reached here unwrapped: the user's to fix, not a bug
    const message = (err as Error).message
    process.stderr.write(`${prog}: ${message}\n`)
    if (json) writeJson({ code: local, message, exitStatus: EXIT.failure })
    return EXIT.failure
  }
  process.stderr.write(`${prog}: internal error (a bug; please report it):\n${(err as Error)?.stack ?? String(err)}\n`)
  return EXIT.failure
}

function writeJson (error: { code: string, message: string, exitStatus: number }): void {
  process.stdout.write(`${JSON.stringify({ error })}\n`)
}

/** A bad argument is wrong usage (exit 2), whatever the parser calls it. */
export function usage<T> (check: () => T): T {
  try {
    return check()
  } catch (err) {
    if (err instanceof MirrorError) throw new MirrorError('USAGE', err.message)
    throw err
  }
}
