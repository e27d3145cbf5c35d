import { Command } from 'commander'
import { VERSION } from '../core/version.js'
import { cloneCommand } from './clone-command.js'
import { daemonCommand } from './daemon-command.js'
import { fetchCommand } from './fetch-command.js'
import { keygenCommand } from './keygen-command.js'
import { verifyCommand } from './verify-command.js'
import { publishCommand } from './publish-command.js'
import { runCli } from './run.js'
import { seedCommand } from './seed-command.js'

const COMMANDS: Record<string, (name: string) => Command> = {
  publish: publishCommand,
  clone: cloneCommand,
  fetch: fetchCommand,
  seed: seedCommand,
  daemon: daemonCommand,
  keygen: keygenCommand,
  verify: verifyCommand
}

/** Turns commander's own errors into exceptions that runCli maps to exit status 2. */
function configure (cmd: Command): Command {
  cmd.version(VERSION).exitOverride().showHelpAfterError('(run with --help for usage)')
  cmd.commands.forEach(configure)
  return cmd
}

/** The executables: `mirror-<sub>` for each command, and `git-mirror` dispatching to all of them. */
export const PROGRAMS = ['git-mirror', ...Object.keys(COMMANDS).map(sub => `mirror-${sub}`)]

/**
 * The command a program parses, built and configured, not run: what its
 * `--help` prints and what its man pages are made from (src/cli/man-page.ts).
 * Under `git-mirror` each command is built as `git mirror <sub>` and then
 * renamed `<sub>`, so that its help, examples and messages name it the way
 * users type it.
 */
export function programCommand (program: string): Command {
  if (program === 'git-mirror') {
    const cmd = new Command('git mirror').description('Distribute a git repository as a bundle over BitTorrent.')
    for (const [name, make] of Object.entries(COMMANDS)) cmd.addCommand(make(`git mirror ${name}`).name(name))
    return configure(cmd)
  }
  const make = COMMANDS[program.replace(/^mirror-/, '')]
  if (make === undefined || !program.startsWith('mirror-')) throw new Error(`unknown program ${program}`)
  return configure(make(program))
}

/**
 * Entry of every executable: `mirror-<sub> ...` runs one command,
 * `git-mirror <sub> ...` (so `git mirror publish` works) dispatches.
 */
export async function main (program: string, argv: string[]): Promise<void> {
  // A reader that went away (`--help | head`, a closed terminal) silences that
  // stream, nothing more: a clone or a seeder carries on and ends cleanly.
  for (const out of [process.stdout, process.stderr]) {
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err
    })
  }
  const cmd = programCommand(program)
  try {
    await cmd.parseAsync(argv, { from: 'user' })
  } catch (err) {
    // only commander's own (usage, --help, --version) reach here; commands exit through runCli
    await runCli(program, async () => { throw err }, { json: argv.includes('--json') })
  }
}
