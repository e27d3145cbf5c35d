// A real OpenSSH server (Debian's openssh-server) on 127.0.0.1 for ssh
// origins: its own temp directory with a fresh host key, an authorized
// client key and a key it refuses, an sshd_config that allows public keys
// only, and the client side as git takes it (GIT_SSH_COMMAND with an ssh
// config file that pins the port, the known host and batch mode).
//
// As root (CI: a fresh Debian container) sshd needs /run/sshd, its
// privilege separation directory; it is created when missing. As any other
// user sshd runs unprivileged: it skips that directory, and it can only log
// in the user that started it (it cannot switch users), which is the user
// the URLs name. The user's login shell runs git-upload-pack/receive-pack,
// so it must be a real shell and git must be on the PATH that shell gives.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { startProcess, type Running } from './processes.js'
import { freePort, waitUntil, withDeadline } from './wait.js'

const run = promisify(execFile)
const SSHD = '/usr/sbin/sshd'
const PRIVSEP_DIR = '/run/sshd'

export type ClientKey = 'authorized' | 'refused'

export interface Sshd {
  port: number
  /** The user sshd logs in: the one running the tests. */
  user: string
  /** The helper's temp directory (keys, configs, known_hosts). */
  dir: string
  /** ssh://USER@127.0.0.1:PORT/abs/path */
  url(absPath: string): string
  /** USER@127.0.0.1:/abs/path: scp-like, which cannot carry a port; the ssh config file gives it. */
  scpUrl(absPath: string): string
  /**
   * For GIT_SSH_COMMAND: ssh with the helper's config file (port, known
   * host, strict host key checking, batch mode, no agent) and one key:
   * the authorized one or one sshd refuses.
   */
  sshCommand(key?: ClientKey): string
  /** sshd's log so far (-e: stderr). */
  log(): string
  /** Kills sshd and every process it started (sessions, git), removes the directory. Idempotent, bounded. */
  close(): Promise<void>
}

export interface SshdOptions {
  /** Environment of sshd itself; sessions get only what sshd_config's SetEnv gives (GIT_CONFIG_* from here). */
  env?: NodeJS.ProcessEnv
  /** Bound on starting, default 15 s. */
  timeoutMs?: number
}

export function hasSshd (): boolean {
  return existsSync(SSHD)
}

export async function startSshd (opts: SshdOptions = {}): Promise<Sshd> {
  if (!hasSshd()) throw new Error(`no ${SSHD}: apt-get install -y --no-install-recommends openssh-server`)
  const env = opts.env ?? process.env
  const timeoutMs = opts.timeoutMs ?? 15000
  const dir = await mkdtemp(path.join(await realpath(os.tmpdir()), 'gtm-sshd-'))
  const user = os.userInfo().username
  try {
    if (process.getuid?.() === 0 && !existsSync(PRIVSEP_DIR)) await mkdir(PRIVSEP_DIR, { mode: 0o755, recursive: true })
    const keys = {
      host: path.join(dir, 'host_ed25519'),
      authorized: path.join(dir, 'client_ed25519'),
      refused: path.join(dir, 'stranger_ed25519')
    }
    await Promise.all(Object.entries(keys).map(async ([name, file]) =>
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `gtm-test-${name}`, '-f', file])))
    await writeFile(path.join(dir, 'authorized_keys'), await readFile(`${keys.authorized}.pub`), { mode: 0o600 })
    const hostKey = (await readFile(`${keys.host}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ')

    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      await writeFile(path.join(dir, 'sshd_config'), sshdConfig(dir, keys.host, port, env))
      const p = startProcess(SSHD, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { cwd: dir, env: { ...env, GTM_TEST_SSHD: dir } })
      const stop = async (): Promise<void> => await stopTree(p, `GTM_TEST_SSHD=${dir}`, port)
      try {
        await withDeadline(Promise.race([
          p.waitFor(/^Server listening on 127\.0\.0\.1 port \d+/, { stream: 'stderr', timeoutMs }),
          p.exited.then(st => { throw new Error(`sshd exited (${st.code ?? st.signal}): ${p.stderr().trim()}`) })
        ]), timeoutMs, 'sshd listening')
        await withDeadline(banner(port), timeoutMs, `an SSH banner on 127.0.0.1:${port}`)
      } catch (err) {
        await stop()
        if (attempt < 3 && /Address already in use/.test(p.stderr())) continue
        throw err
      }
      // the known host as ssh looks it up for a port other than 22
      await writeFile(path.join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`)
      await writeFile(path.join(dir, 'ssh_config'), sshConfig(dir, port))
      let closing: Promise<void> | undefined
      return {
        port,
        user,
        dir,
        url: absPath => `ssh://${user}@127.0.0.1:${port}${absPath}`,
        scpUrl: absPath => `${user}@127.0.0.1:${absPath}`,
        sshCommand: (key = 'authorized') => `ssh -F ${quote(path.join(dir, 'ssh_config'))} -i ${quote(keys[key])}`,
        log: () => p.stderr(),
        close: () => (closing ??= stop().finally(async () => await rm(dir, { recursive: true, force: true })))
      }
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
}

/**
 * Public keys only (no PAM, no passwords, no keyboard-interactive), files
 * from the temp directory (StrictModes off: they live under /tmp), the
 * session's git pinned like the tests' own (no system config, the tests'
 * global config), protocol v2 accepted as git asks for it (SendEnv GIT_PROTOCOL).
 */
function sshdConfig (dir: string, hostKey: string, port: number, env: NodeJS.ProcessEnv): string {
  const setEnv = ['GIT_CONFIG_NOSYSTEM=1', `GIT_CONFIG_GLOBAL=${env.GIT_CONFIG_GLOBAL ?? '/dev/null'}`]
  return [
    `ListenAddress 127.0.0.1:${port}`,
    `HostKey ${hostKey}`,
    'PidFile none',
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    'AuthenticationMethods publickey',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'UsePAM no',
    'StrictModes no',
    'AcceptEnv GIT_PROTOCOL',
    `SetEnv ${setEnv.join(' ')}`,
    'PrintMotd no',
    'X11Forwarding no',
    'AllowTcpForwarding no',
    'LoginGraceTime 20',
    'MaxStartups 50',
    'LogLevel VERBOSE',
    ''
  ].join('\n')
}

/** The client's config: only this file (-F), no agent, nothing asked. */
function sshConfig (dir: string, port: number): string {
  return [
    'Host 127.0.0.1',
    `  Port ${port}`,
    `  UserKnownHostsFile ${path.join(dir, 'known_hosts')}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  IdentitiesOnly yes',
    '  IdentityAgent none',
    '  BatchMode yes',
    '  PasswordAuthentication no',
    '  KbdInteractiveAuthentication no',
    '  ConnectTimeout 10',
    '  LogLevel ERROR',
    ''
  ].join('\n')
}

function quote (s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`
}

/** Resolves once something on the port greets with an SSH-2.0 banner. */
async function banner (port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1')
    let got = ''
    s.setEncoding('utf8')
    s.on('data', (d: string) => {
      got += d
      if (got.includes('\n')) {
        s.destroy()
        if (got.startsWith('SSH-2.0-')) resolve()
        else reject(new Error(`not an SSH banner on port ${port}: ${JSON.stringify(got.slice(0, 80))}`))
      }
    })
    s.on('error', reject)
    s.on('close', () => reject(new Error(`port ${port} closed before a banner`)))
  })
}

/**
 * sshd puts every connection in its own session (setsid), and each
 * session's command in another, so neither its process group nor a signal
 * to the listener reaches them, and once the listener is gone (a test's
 * killAll() may stop it first) they belong to init. So they are found by
 * what they carry: the connection's sshd processes inherit the listener's
 * GTM_TEST_SSHD marker, the session's commands (and the git they run) get
 * SSH_CONNECTION naming this server's port. The listener is stopped first
 * (SIGSTOP: it accepts no one more), everything killed, the listener last.
 */
async function stopTree (p: Running, marker: string, port: number): Promise<void> {
  const pid = p.child.pid
  if (pid !== undefined && p.child.exitCode === null && p.child.signalCode === null) {
    try { process.kill(pid, 'SIGSTOP') } catch { /* already gone */ }
  }
  const ours = await ourProcesses(marker, port, pid)
  for (const d of ours) {
    try { process.kill(d, 'SIGKILL') } catch { /* already gone */ }
  }
  await p.stop('SIGKILL', 3000)
  // SIGKILL is delivered, not awaited: done once each is gone or a zombie
  await waitUntil(async () => (await Promise.all(ours.map(living))).every(alive => !alive), { timeoutMs: 5000, intervalMs: 20, what: 'sshd\'s sessions to die' })
}

/** Whether pid runs: a zombie (dead, not yet reaped by init, which may be slow in a container) does not. */
export async function living (pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch { return false }
}

/** Every process but the listener whose environment holds the marker or this server's SSH_CONNECTION. */
async function ourProcesses (marker: string, port: number, listener: number | undefined): Promise<number[]> {
  const connection = new RegExp(`^SSH_CONNECTION=127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${port}$`)
  const found: number[] = []
  for (const name of await readdir('/proc')) {
    const pid = Number(name)
    if (!/^\d+$/.test(name) || pid === listener || pid === process.pid) continue
    let environ: string
    try { environ = await readFile(`/proc/${name}/environ`, 'latin1') } catch { continue }   // gone, or not ours to read
    if (environ.split('\0').some(v => v === marker || connection.test(v))) found.push(pid)
  }
  return found
}
