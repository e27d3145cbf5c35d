import { Command } from 'commander'
import { VERSION } from '../core/version.js'
import { cloneCommand } from './clone-command.js'
import { keygenCommand } from './keygen-command.js'
import { verifyCommand } from './verify-command.js'
import { publishCommand } from './publish-command.js'
import { runCli } from './run.js'
import { seedCommand } from './seed-command.js'

const COMMANDS: Record<string, (name: string) => Command> = {
  publish: publishCommand,
  clone: cloneCommand,
  seed: seedCommand,
  keygen: keygenCommand,
  verify: verifyCommand
}

/** Turns commander's own errors into exceptions that runCli maps to exit status 2. */
function configure (cmd: Command): Command {
  cmd.version(VERSION).exitOverride().showHelpAfterError('(run with --help for usage)')
  cmd.commands.forEach(configure)
  return cmd
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
  const sub = program.replace(/^mirror-/, '')
  let cmd: Command
  if (program === 'git-mirror') {
    cmd = new Command('git mirror').description('Distribute a git repository as a bundle over BitTorrent.')
    for (const [name, make] of Object.entries(COMMANDS)) cmd.addCommand(make(name))
  } else {
    const make = COMMANDS[sub]
    if (make === undefined) throw new Error(`unknown program ${program}`)
    cmd = make(program)
  }
  try {
    await configure(cmd).parseAsync(argv, { from: 'user' })
  } catch (err) {
    // only commander's own (usage, --help, --version) reach here; commands exit through runCli
    await runCli(program, async () => { throw err }, { json: argv.includes('--json') })
  }
}
