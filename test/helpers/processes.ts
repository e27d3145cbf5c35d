// The project's executables (and aria2c, git daemons...) as separate processes:
// output captured whole and framed into lines, bounded waits, bounded stops,
// and a registry so an after() hook can kill whatever a failed test left running.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'

export interface ExitStatus {
  code: number | null
  signal: string | null
  /** set when the process could not be started (e.g. ENOENT) */
  error?: Error
}

export interface WaitForOptions {
  stream?: 'stdout' | 'stderr' | 'both'
  timeoutMs?: number
  /** Only lines printed after the first `after` (lineCount() at some earlier moment): what came since. */
  after?: number
}

export interface Running {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** The first complete line matching, past or future; rejects on timeout (default 30 s) or exit. */
  waitFor(pattern: RegExp, opts?: WaitForOptions): Promise<RegExpMatchArray>
  /** Lines printed so far (both streams): a mark for waitFor's `after`. */
  lineCount(): number
  /** Writes to stdin (started with `interactive`). */
  send(text: string): void
  /** Closes stdin (started with `interactive`). */
  endInput(): void
  /** Send signal (default SIGTERM), SIGKILL after timeoutMs (default 15 s); resolves on exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitStatus>
  exited: Promise<ExitStatus>
}

export interface ProcessOptions {
  cwd: string
  env: NodeJS.ProcessEnv
  /** written to stdin, which is then closed; without it stdin is /dev/null */
  input?: string
  /** stdin stays open for send() and endInput() */
  interactive?: boolean
}

export interface RunResult {
  code: number | null
  signal: string | null
  stdout: string
  stderr: string
}

type Stream = 'stdout' | 'stderr'
interface Waiter { re: RegExp; stream: Stream | 'both'; resolve(m: RegExpMatchArray): void; reject(e: Error): void }

const running = new Set<Running>()
const STDIO_GRACE_MS = 2000 // after exit, how long a grandchild may hold our pipes open
let root: string | undefined

/** The directory holding package.json named git-torrent-mirror, found upwards from this file. */
export function repoRoot (): string {
  if (root !== undefined) return root
  const start = path.dirname(fileURLToPath(import.meta.url))
  for (let dir = start; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json')
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'git-torrent-mirror') return (root = dir)
      } catch { /* not ours */ }
    }
    if (path.dirname(dir) === dir) throw new Error(`no git-torrent-mirror package.json above ${start}`)
  }
}

export function binPath (name: string): string {
  const file = path.join(repoRoot(), 'bin', name.endsWith('.js') ? name : `${name}.js`)
  if (!existsSync(file)) throw new Error(`no executable ${file}`)
  return file
}

export function startProcess (command: string, args: string[], opts: ProcessOptions): Running {
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: [opts.input === undefined && opts.interactive !== true ? 'ignore' : 'pipe', 'pipe', 'pipe']
  })
  const text: Record<Stream, string> = { stdout: '', stderr: '' }
  const lines: Array<{ stream: Stream; line: string }> = []
  const waiters = new Set<Waiter>()
  let status: ExitStatus | undefined
  let spawnError: Error | undefined

  for (const stream of ['stdout', 'stderr'] as const) {
    const s = child[stream]!
    s.setEncoding('utf8')
    s.on('data', (chunk: string) => { text[stream] += chunk })
    readline.createInterface({ input: s, crlfDelay: Infinity }).on('line', line => {
      lines.push({ stream, line })
      for (const w of waiters) {
        if (w.stream !== 'both' && w.stream !== stream) continue
        const m = line.match(w.re)
        if (m !== null) { waiters.delete(w); w.resolve(m) }
      }
    })
  }
  child.stdin?.on('error', () => { /* it exited without reading all input: its status tells */ })
  if (opts.input !== undefined) child.stdin?.end(opts.input)
  child.on('error', err => { spawnError ??= err })
  child.once('exit', () => {
    // A grandchild that inherited our pipes would hold 'close' back: stop waiting for it.
    setTimeout(() => { child.stdout?.destroy(); child.stderr?.destroy() }, STDIO_GRACE_MS).unref()
  })

  const describe = (): string => [command, ...args].map(a => a.length > 60 ? `${a.slice(0, 57).replace(/\s+/g, ' ')}...` : a).join(' ')
  const outputSoFar = (): string =>
    `\n--- stdout (tail)\n${text.stdout.slice(-4000)}\n--- stderr (tail)\n${text.stderr.slice(-4000)}`

  const exited = new Promise<ExitStatus>(resolve => {
    child.once('close', (code, signal) => {
      status = { code, signal, ...(spawnError !== undefined ? { error: spawnError } : {}) }
      running.delete(self)
      for (const w of waiters) {
        w.reject(new Error(`${describe()} exited (code ${code}, signal ${signal}${spawnError ? `, ${spawnError.message}` : ''}) before a line matched ${w.re}${outputSoFar()}`))
      }
      waiters.clear()
      resolve(status)
    })
  })

  const self: Running = {
    child,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    exited,
    lineCount: () => lines.length,
    send: text => { child.stdin?.write(text) },
    endInput: () => { child.stdin?.end() },
    waitFor: async (pattern, wopts = {}) => {
      const stream = wopts.stream ?? 'both'
      const timeoutMs = wopts.timeoutMs ?? 30000
      const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''))
      for (const l of lines.slice(wopts.after ?? 0)) {
        if (stream !== 'both' && stream !== l.stream) continue
        const m = l.line.match(re)
        if (m !== null) return m
      }
      if (status !== undefined) {
        throw new Error(`${describe()} already exited (code ${status.code}, signal ${status.signal}); no line matched ${re}${outputSoFar()}`)
      }
      return await new Promise<RegExpMatchArray>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(w)
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re} from ${describe()}${outputSoFar()}`))
        }, timeoutMs)
        const w: Waiter = {
          re,
          stream,
          resolve: m => { clearTimeout(timer); resolve(m) },
          reject: e => { clearTimeout(timer); reject(e) }
        }
        waiters.add(w)
      })
    },
    stop: async (signal = 'SIGTERM', timeoutMs = 15000) => {
      if (status !== undefined) return status
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
      try { return await exited } finally { clearTimeout(timer) }
    }
  }
  running.add(self)
  return self
}

/** Run to completion. Resolves for any exit status; rejects if it cannot start or outlives timeoutMs. */
export async function runProcess (
  command: string,
  args: string[],
  opts: ProcessOptions & { timeoutMs?: number }
): Promise<RunResult> {
  const p = startProcess(command, args, opts)
  const timeoutMs = opts.timeoutMs ?? 60000
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; void p.stop('SIGTERM', 2000) }, timeoutMs)
  const st = await p.exited.finally(() => clearTimeout(timer))
  if (timedOut) {
    throw new Error(`${command} ${args.join(' ')} timed out after ${timeoutMs} ms (killed: ${st.signal ?? st.code})\n--- stderr so far\n${p.stderr().slice(-8000)}\n--- stdout so far (tail)\n${p.stdout().slice(-4000)}`)
  }
  if (st.error !== undefined) throw new Error(`cannot run ${command}: ${st.error.message}`)
  return { code: st.code, signal: st.signal, stdout: p.stdout(), stderr: p.stderr() }
}

/** node bin/<name>.js args... to completion (see runProcess). */
export async function runBin (
  name: string,
  args: string[],
  opts: ProcessOptions & { timeoutMs?: number }
): Promise<RunResult> {
  return await runProcess(process.execPath, [binPath(name), ...args], opts)
}

/** node bin/<name>.js args... in the background. */
export function startBin (name: string, args: string[], opts: ProcessOptions): Running {
  return startProcess(process.execPath, [binPath(name), ...args], opts)
}

/** Stop everything started here that still runs (SIGTERM, SIGKILL after 2 s). */
export async function killAll (): Promise<void> {
  await Promise.all([...running].map(async r => await r.stop('SIGTERM', 2000)))
}

/** Whether the module at `moduleUrl` (its import.meta.url) is the script node was started with: its command line runs then. */
export function isMain (moduleUrl: string): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  try { return moduleUrl === pathToFileURL(realpathSync(script)).href } catch { return false }
}
