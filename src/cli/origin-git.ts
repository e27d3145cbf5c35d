import { AskPass } from '../io/git/askpass.js'
import { Git } from '../io/git/run-git.js'
import { terminalPrompt } from './terminal-prompt.js'

/**
 * The git runner for a command that talks to an origin on the user's
 * behalf. On a terminal (stdin and stderr), git's and ssh's prompts
 * (user name, password, key passphrase, an unknown host key) are asked
 * there, once per run (AskPass), unless the user set an askpass program of
 * their own (GIT_ASKPASS, core.askPass, SSH_ASKPASS), which then does the
 * asking. Without a terminal nothing is asked: a credential helper must
 * answer, else the command fails at once (AUTH_REQUIRED) saying so.
 */
export async function originGit (cwd: string = process.cwd()): Promise<{ git: Git, env: NodeJS.ProcessEnv, close: () => Promise<void> }> {
  const plain = new Git(cwd)
  const onTerminal = process.stdin.isTTY === true && process.stderr.isTTY === true
  if (!onTerminal || await ownAskPass(plain)) return { git: plain, env: process.env, close: async () => {} }
  const askpass = await AskPass.start(terminalPrompt)
  const env = { ...process.env, ...askpass.env }
  return { git: new Git(cwd, env), env, close: async () => await askpass.close() }
}

async function ownAskPass (git: Git): Promise<boolean> {
  if ((process.env.GIT_ASKPASS ?? '') !== '' || (process.env.SSH_ASKPASS ?? '') !== '') return true
  const r = await git.run(['config', '--get', 'core.askPass'], { okCodes: [1] })
  return r.code === 0 && r.stdout.trim() !== ''
}
