import { CommanderError } from 'commander'
import { MirrorError } from '../core/errors.js'

/** DESIGN.md exit statuses. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const

/**
 * Runs a command's body and turns what it throws into one line on stderr and
 * an exit status: 2 for wrong usage, 1 for an operational failure. Anything
 * else is a bug and keeps its stack.
 */
export async function runCli (prog: string, body: () => Promise<number | void>): Promise<never> {
  let status: number
  try {
    status = (await body()) ?? EXIT.ok
  } catch (err) {
    status = report(prog, err)
  }
  process.exitCode = status
  // Let stdout/stderr drain; sockets the libraries forgot must not keep us alive.
  setTimeout(() => process.exit(status), 100).unref()
  return await new Promise<never>(() => {})
}

function report (prog: string, err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed its message (or the help / version)
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage
  }
  if (err instanceof MirrorError) {
    process.stderr.write(`${prog}: ${err.message}\n`)
    return err.code === 'USAGE' ? EXIT.usage : EXIT.failure
  }
  process.stderr.write(`${prog}: internal error (a bug; please report it):\n${(err as Error)?.stack ?? String(err)}\n`)
  return EXIT.failure
}
