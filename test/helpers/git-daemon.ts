// `git daemon` serving every repository under a root over git:// on loopback,
// fetch and push (receive-pack enabled), its lifetime bounded by processes.ts.
import path from 'node:path'
import { startProcess } from './processes.js'
import { freePort } from './wait.js'

export interface GitDaemon {
  port: number
  /** git://127.0.0.1:PORT/<relPath> */
  url(relPath: string): string
  /** Idempotent, bounded (SIGTERM, SIGKILL after 5 s). */
  close(): Promise<void>
}

/**
 * Resolves once the daemon listens: with --verbose, git daemon logs
 * "Ready to rumble" after binding its socket. A port taken between freePort()
 * and the bind makes it exit, and another port is tried.
 */
export async function startGitDaemon (root: string, env: NodeJS.ProcessEnv, opts: { timeoutMs?: number } = {}): Promise<GitDaemon> {
  const base = path.resolve(root)
  const timeoutMs = opts.timeoutMs ?? 15000
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const p = startProcess('git', [
      'daemon',
      '--verbose',
      '--informative-errors',
      '--reuseaddr',
      `--base-path=${base}`,
      '--export-all',
      '--enable=receive-pack',
      '--listen=127.0.0.1',
      `--port=${port}`,
      base
    ], { cwd: base, env })
    let closing: Promise<void> | undefined
    const close = (): Promise<void> => (closing ??= p.stop('SIGTERM', 5000).then(() => {}))
    try {
      await p.waitFor(/Ready to rumble/, { stream: 'stderr', timeoutMs })
    } catch (err) {
      await close()
      if (attempt < 3 && /unable to allocate any listen sockets|Address already in use/.test(p.stderr())) continue
      throw err
    }
    return {
      port,
      url: (relPath: string) => `git://127.0.0.1:${port}/${relPath.replace(/^\/+/, '')}`,
      close
    }
  }
}
