import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import createDebug from 'debug'
import { credentialsMessage, credentialsNeeded } from '../../core/credentials-needed.js'
import { localFailure, MirrorError } from '../../core/errors.js'
import { hiddenRemoteCause } from '../../core/remote-cause.js'
import { freeBytesSync } from '../fs/free-space.js'

const debug = createDebug('mirror:git')

export interface GitCallOptions {
  /**
   * git's stdin. A stream (pack data as it arrives) is piped with
   * backpressure; if it fails, git sees the input end and the stream's
   * error is what the call throws.
   */
  input?: string | Buffer | AsyncIterable<Uint8Array>
  /** Exit codes that are answers, not failures (e.g. 1 for "not found"). */
  okCodes?: number[]
  timeoutMs?: number
  /** Extra environment for this call only. */
  env?: NodeJS.ProcessEnv
  /** Aborting kills git and what it started (ABORTED). */
  signal?: AbortSignal
  /** Sees stderr as it comes (git's progress: lines end in \r or \n). */
  onStderr?: (chunk: string) => void
  /**
   * Count the pack bytes git receives from a remote (GIT_TRACE_PACKFILE on a
   * pipe: git's own tally of what the other side sent, even for fetches too
   * small to show "Receiving objects").
   */
  countPack?: boolean
  /** With countPack: sees the running count as pack bytes arrive (a transfer's progress, and its rate). */
  onPackBytes?: (total: number) => void
}

export interface GitResult { stdout: string; stderr: string; code: number; packBytes: number }

/** A git process whose stdout the caller streams; `done` settles on exit. */
export interface GitStream { child: ChildProcess; done: Promise<void> }

/**
 * The one way this project runs git: argument arrays (never a shell), a
 * pinned locale, no terminal prompts, stderr captured into the error.
 * Construct one per repository (`cwd`) and pass it down.
 */
export class Git {
  readonly cwd: string
  readonly env: NodeJS.ProcessEnv

  constructor (cwd: string, env: NodeJS.ProcessEnv = process.env) {
    this.cwd = cwd
    this.env = { ...env, LC_ALL: 'C', LANGUAGE: 'C', GIT_TERMINAL_PROMPT: '0' }
  }

  /** The same environment, in another directory. */
  at (cwd: string): Git {
    return new Git(cwd, this.env)
  }

  async run (args: string[], opts: GitCallOptions = {}): Promise<GitResult> {
    const r = await this.exec(args, opts)
    return { ...r, stdout: r.stdout.toString('utf8') }
  }

  /** The output as bytes, for blobs. */
  async runBuffer (args: string[], opts: GitCallOptions = {}): Promise<Buffer> {
    return (await this.exec(args, opts)).stdout
  }

  /**
   * For pack-sized output: the caller reads `child.stdout` as a stream.
   * `onStderr` sees git's progress (lines end in \r or \n); `input` is
   * written to git's stdin. With `stdout`, a file descriptor, git writes
   * there itself and `child.stdout` is null.
   */
  stream (args: string[], opts: { input?: string, onStderr?: (chunk: string) => void, timeoutMs?: number, stdout?: number } = {}): GitStream {
    const child = this.spawnChild(args, { ...(opts.stdout === undefined ? {} : { stdout: opts.stdout }) }, opts.timeoutMs !== undefined)
    child.stdin!.on('error', () => {})   // git may exit before reading all input; its exit code tells
    child.stdin!.end(opts.input ?? '')
    if (opts.onStderr !== undefined) child.stderr!.on('data', (b: Buffer) => opts.onStderr!(b.toString('utf8')))
    const done = this.wait(child, args, opts.timeoutMs).then(({ code, stderr }) => {
      if (code !== 0) throw gitFailed(args, { stdout: '', stderr, code, packBytes: 0 }, this.cwd)
    })
    return { child, done }
  }

  private async exec (args: string[], opts: GitCallOptions): Promise<{ stdout: Buffer, stderr: string, code: number, packBytes: number }> {
    const child = this.spawnChild(args, opts, opts.timeoutMs !== undefined || opts.signal !== undefined)
    const out: Buffer[] = []
    child.stdout!.on('data', (b: Buffer) => out.push(b))
    if (opts.onStderr !== undefined) child.stderr!.on('data', (b: Buffer) => opts.onStderr!(b.toString('utf8')))
    let packBytes = 0
    const packTrace = opts.countPack === true ? child.stdio[3] as NodeJS.ReadableStream : null
    packTrace?.on('data', (b: Buffer) => { packBytes += b.length; opts.onPackBytes?.(packBytes) })
    child.stdin!.on('error', () => {})   // git may exit before reading all input; its exit code tells
    let inputError: unknown = null
    const input = opts.input ?? ''
    const fed = typeof input === 'string' || Buffer.isBuffer(input)
      ? (child.stdin!.end(input), Promise.resolve())
      : pipeline(Readable.from(input), child.stdin!).catch((err: unknown) => {
        // git closing its stdin (it exited): its exit status tells why
        if (!['EPIPE', 'ERR_STREAM_PREMATURE_CLOSE'].includes((err as NodeJS.ErrnoException).code ?? '')) inputError = err
        child.stdin!.destroy()
      })
    const { code, stderr } = await this.wait(child, args, opts.timeoutMs, opts.signal)
    await fed
    if (inputError !== null) throw inputError
    if (code !== 0 && !(opts.okCodes ?? []).includes(code)) throw gitFailed(args, { stdout: '', stderr, code, packBytes }, this.cwd)
    return { stdout: Buffer.concat(out), stderr, code, packBytes }
  }

  /**
   * With a timeout, git gets its own process group so that the timeout can
   * kill what git started too (git-remote-http, ssh), which would otherwise
   * hold the pipes open.
   */
  private spawnChild (args: string[], o: Pick<GitCallOptions, 'env' | 'countPack'> & { stdout?: number }, ownGroup: boolean): ChildProcess {
    debug('%s$ git %s', this.cwd, args.join(' '))
    const count = o.countPack === true
    const stdout = o.stdout ?? 'pipe'
    return spawn('git', args, {
      cwd: this.cwd,
      env: { ...this.env, ...o.env, ...(count ? { GIT_TRACE_PACKFILE: '3' } : {}) },
      stdio: count ? ['pipe', stdout, 'pipe', 'pipe'] : ['pipe', stdout, 'pipe'],
      detached: ownGroup
    })
  }

  private async wait (child: ChildProcess, args: string[], timeoutMs?: number, signal?: AbortSignal): Promise<{ code: number, stderr: string }> {
    const err: Buffer[] = []
    let errBytes = 0
    child.stderr!.on('data', (b: Buffer) => {
      if (errBytes < 1 << 20) { err.push(b); errBytes += b.length }
    })
    const killGroup = (sig: NodeJS.Signals): void => {
      try { process.kill(-child.pid!, sig) } catch { child.kill(sig) }
    }
    let timedOut = false
    const timer = timeoutMs === undefined
      ? undefined
      : setTimeout(() => { timedOut = true; killGroup('SIGKILL') }, timeoutMs)
    const onAbort = (): void => killGroup('SIGTERM')
    if (signal?.aborted === true) onAbort()
    signal?.addEventListener('abort', onAbort)
    try {
      const code = await new Promise<number>((resolve, reject) => {
        child.once('error', (e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') { reject(e); return }
          reject(new MirrorError('GIT_FAILED', existsSync(this.cwd) ? 'git is not installed (no git on PATH)' : `cannot run git in ${this.cwd}: no such directory`))
        })
        child.once('exit', (c, sig) => resolve(c ?? (sig === null ? 128 : 128 + 9)))
      })
      await Promise.all([child.stdout === null ? null : closed(child.stdout), closed(child.stderr!)])
      // a daemon git started (credential cache, fsmonitor) may hold the pack
      // trace pipe for minutes: read what is there, then stop waiting
      const trace = child.stdio[3] as NodeJS.ReadableStream & { destroy: () => void } | undefined
      if (trace != null) { await closed(trace, 250); trace.destroy() }
      if (signal?.aborted === true) throw new MirrorError('ABORTED', `interrupted (git ${subcommand(args)} was stopped)`, { args })
      if (timedOut) {
        const limit = timeoutMs! < 1000 ? `${timeoutMs!} ms` : `${Math.round(timeoutMs! / 1000)} s`
        throw new MirrorError('GIT_FAILED', `git ${subcommand(args)} did not finish within ${limit}`, { args })
      }
      return { code, stderr: Buffer.concat(err).toString('utf8') }
    } finally {
      if (timer !== undefined) clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
  }
}

/** Resolves when `stream` has closed, or after `withinMs` if given. */
async function closed (stream: NodeJS.ReadableStream, withinMs?: number): Promise<void> {
  if ((stream as { closed?: boolean }).closed === true) return
  await new Promise<void>(resolve => {
    const timer = withinMs === undefined ? undefined : setTimeout(resolve, withinMs)
    stream.once('close', () => { if (timer !== undefined) clearTimeout(timer); resolve() })
  })
}

/** git's own reason: its last "fatal:"/"error:" line, else its last line. */
export function gitReason (stderr: string): string {
  // over ssh, git's last word ("Could not read from remote repository.") hides ssh's reason, said just before
  const hidden = hiddenRemoteCause(stderr)
  if (hidden !== null) return hidden
  const lines = stderr.split(/[\r\n]+/).map(l => l.trim()).filter(l => l !== '')
  const fatal = lines.filter(l => /^(fatal|error):/.test(l))
  return (fatal.at(-1) ?? lines.at(-1) ?? '').replace(/^(fatal|error):\s*/, '')
}

/** The git command an argument list runs, past global options (`-c k=v`, `-C dir`, `--no-pager`). */
export function subcommand (args: string[]): string {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c' || args[i] === '-C') i++
    else if (!args[i]!.startsWith('-')) return args[i]!
  }
  return args[0] ?? ''
}

/**
 * GIT_FAILED, or NO_SPACE / LOCAL_IO when git says this machine's disk
 * refused (its strerror text, under LC_ALL=C). Some of git's messages do
 * not say why ("failed to write new configuration file ...config.lock" on
 * a full disk): a failure where git ran on a file system with under
 * NEARLY_FULL bytes free is NO_SPACE too.
 */
function gitFailed (args: string[], r: GitResult, cwd: string): MirrorError {
  const asked = credentialsNeeded(r.stderr)
  if (asked !== null) return new MirrorError('AUTH_REQUIRED', credentialsMessage(asked), { args, code: r.code, url: asked })
  const reason = gitReason(r.stderr) || `exit status ${r.code}`
  const said = localFailure({ stderr: r.stderr })
  const free = said === null ? freeBytesSync(cwd) : null
  const full = free !== null && free < NEARLY_FULL
  const code = said ?? (full ? 'NO_SPACE' : 'GIT_FAILED')
  const note = full ? ` (${free} bytes free on its disk)` : ''
  return new MirrorError(code, `git ${subcommand(args)} failed: ${reason}${note}`, { args, code: r.code, stderr: r.stderr })
}

/** Under this much free space, a write can fail anywhere: a disk this full is why git failed. */
const NEARLY_FULL = 256 * 1024

