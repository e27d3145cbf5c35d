// A command on a pseudo-terminal (util-linux `script`), as a user at a
// terminal runs it: what it writes is read back, keys are typed into it.
import { spawn } from 'node:child_process'

export interface PtyRun {
  /** Everything the terminal showed so far (stdout and stderr, as one stream). */
  output: () => string
  /** Types `text` (end a line with \r, as the Enter key does). */
  type: (text: string) => void
  /** Resolves once `pattern` has appeared, at or after `from` (an output offset); rejects after `timeoutMs` or on exit. */
  waitForText: (pattern: RegExp, o?: { timeoutMs?: number, from?: number }) => Promise<number>
  exited: Promise<number | null>
  /** SIGKILL to the terminal's whole session, if still running. */
  kill: () => void
}

const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`

export function runInPty (argv: string[], o: { cwd: string, env: NodeJS.ProcessEnv }): PtyRun {
  // -q quiet, -f flush at once, -e the command's exit status, -c the command; no typescript file
  const child = spawn('script', ['-qfec', argv.map(quote).join(' '), '/dev/null'], { cwd: o.cwd, env: { ...o.env, TERM: 'dumb' }, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
  let text = ''
  const waiters = new Set<() => void>()
  const onText = (b: Buffer): void => { text += b.toString('utf8'); for (const w of waiters) w() }
  child.stdout.on('data', onText)
  child.stderr.on('data', onText)
  const exited = new Promise<number | null>(resolve => child.once('exit', code => { for (const w of waiters) w(); resolve(code) }))
  let done = false
  void exited.then(() => { done = true })
  return {
    output: () => text,
    type: (s: string) => { child.stdin.write(s) },
    waitForText: async (pattern, w = {}) => await new Promise<number>((resolve, reject) => {
      const from = w.from ?? 0
      const check = (): void => {
        const m = pattern.exec(text.slice(from))
        if (m !== null) { finish(); resolve(from + m.index + m[0].length); return }
        if (done) { finish(); reject(new Error(`exited before ${String(pattern)} appeared:\n${text}`)) }
      }
      const timer = setTimeout(() => { finish(); reject(new Error(`no ${String(pattern)} within ${w.timeoutMs ?? 30_000} ms:\n${text}`)) }, w.timeoutMs ?? 30_000)
      const finish = (): void => { clearTimeout(timer); waiters.delete(check) }
      waiters.add(check)
      check()
    }),
    exited,
    kill: () => { if (!done) { try { process.kill(-child.pid!, 'SIGKILL') } catch { child.kill('SIGKILL') } } }
  }
}
