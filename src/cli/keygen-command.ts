import { Command } from 'commander'
import os from 'node:os'
import path from 'node:path'
import { Git } from '../io/git/run-git.js'
import { defaultKeyPath, generateSigningKey, loadSigningKey } from '../io/keys/signing-key.js'
import { Reporter } from './reporter.js'
import { runCli } from './run.js'

export function keygenCommand (name: string): Command {
  const cmd = new Command(name)
    .description('Make the ed25519 key mirror-publish signs push objects with, set mirror.signingKey to it, and print its public key.')
    .option('--file <path>', 'where to write the private key (default: $XDG_CONFIG_HOME/git-torrent-mirror/signing-key)')
    .option('--existing <path>', 'use this existing key instead of making one: an unencrypted OpenSSH ed25519 key (ssh-keygen -t ed25519) or a PEM one')
    .option('--force', 'replace a key that exists at --file')
    .option('--no-config', 'do not set mirror.signingKey in the global git config')
    .option('--json', 'print {"publicKey", "file", "keyId"} as JSON')
  cmd.addHelpText('after', `
The private key is written with mode 0600 outside every repository, and its
public half beside it (<file>.pub). The public key is printed as one line on
stdout; give it to the people who clone, who trust it with

  $ git config --global --add mirror.<origin URL>.trustedKey "ssh-ed25519 AAAA..."

or for one run with mirror-clone --trust "ssh-ed25519 AAAA...".

Examples:
  $ ${name}
  $ ${name} --existing ~/.ssh/id_ed25519`)
  return cmd.action(async () => await runCli(name, async () => await runKeygen(cmd), { json: cmd.opts().json === true }))
}

async function runKeygen (cmd: Command): Promise<number> {
  const o = cmd.opts()
  const reporter = new Reporter({ quiet: false, json: o.json === true })
  const key = o.existing !== undefined
    ? await loadSigningKey(path.resolve(o.existing as string))
    : await generateSigningKey(path.resolve((o.file as string | undefined) ?? defaultKeyPath()), { force: o.force === true, comment: `git-torrent-mirror@${os.hostname()}` })
  if (o.config !== false) {
    await new Git(process.cwd()).run(['config', '--global', 'mirror.signingKey', key.file])
    reporter.info(`mirror.signingKey = ${key.file} (global git config)`)
  } else {
    reporter.info(`key: ${key.file}`)
  }
  reporter.result({ publicKey: key.publicKey.text, file: key.file, keyId: key.publicKey.id }, [key.publicKey.text])
  return 0
}
