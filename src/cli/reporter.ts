import { formatBytes, formatDuration, formatRate } from '../core/format.js'
import type { Progress } from '../core/progress.js'

export interface ReporterOptions {
  quiet: boolean
  json: boolean
  stdout?: NodeJS.WriteStream
  stderr?: NodeJS.WriteStream
  now?: () => number
}

/**
 * The only writer to the terminal. Progress goes to stderr: a redrawn bar on
 * a terminal, plain lines at most every few seconds otherwise. Results go to
 * stdout, as JSON with --json (human text then goes to stderr).
 */
export class Reporter {
  private readonly o: Required<ReporterOptions>
  private readonly tty: boolean
  private lastDraw = 0
  private lastPhase = ''
  private barShown = false
  private rate = { at: 0, loaded: 0, perSecond: 0 }
  /** Plain mode: the latest progress not yet printed, flushed when the phase ends. */
  private pending: Progress | null = null

  constructor (o: ReporterOptions) {
    this.o = { stdout: process.stdout, stderr: process.stderr, now: Date.now, ...o }
    this.tty = this.o.stderr.isTTY === true
  }

  progress (p: Progress): void {
    if (this.o.quiet) return
    const now = this.o.now()
    const phaseChanged = p.phase !== this.lastPhase
    this.updateRate(p, now, phaseChanged)
    if (!phaseChanged && now - this.lastDraw < (this.tty ? 100 : 5000)) {
      this.pending = p
      return
    }
    if (phaseChanged && !this.tty && this.pending !== null) this.o.stderr.write(`${this.describe(this.pending)}\n`)
    this.pending = null
    this.lastDraw = now
    this.lastPhase = p.phase
    const line = this.describe(p)
    if (this.tty) {
      const width = Math.max(20, (this.o.stderr.columns ?? 80) - 1)
      this.o.stderr.write(`\r\x1b[K${line.slice(0, width)}`)
      this.barShown = true
    } else {
      this.o.stderr.write(`${line}\n`)
    }
  }

  /** A line of human text: stderr (never mixed into --json's stdout). */
  info (line: string): void {
    if (this.o.quiet) return
    this.endBar()
    this.o.stderr.write(`${line}\n`)
  }

  /** A failure that does not end the command: always one line on stderr, plus a JSON line with --json. */
  error (line: string, json: Record<string, unknown>): void {
    this.endBar()
    this.o.stderr.write(`${line}\n`)
    if (this.o.json) this.o.stdout.write(`${JSON.stringify({ event: 'error', ...json })}\n`)
  }

  /** The command's result: JSON on stdout with --json, else human lines on stdout. */
  result (json: unknown, human: string[]): void {
    this.endBar()
    if (this.o.json) this.o.stdout.write(`${JSON.stringify(json)}\n`)
    else this.o.stdout.write(human.map(l => `${l}\n`).join(''))
  }

  /** One JSON line on stdout with --json (long-running commands), else a human line on stderr. */
  event (json: unknown, human: string): void {
    this.endBar()
    if (this.o.json) this.o.stdout.write(`${JSON.stringify(json)}\n`)
    else if (!this.o.quiet) this.o.stderr.write(`${human}\n`)
  }

  /** Ends the progress display: a newline after a bar, the last state in plain mode. */
  endBar (): void {
    if (this.barShown) this.o.stderr.write('\n')
    else if (this.pending !== null && !this.o.quiet) this.o.stderr.write(`${this.describe(this.pending)}\n`)
    this.barShown = false
    this.pending = null
  }

  private updateRate (p: Progress, now: number, reset: boolean): void {
    if (p.loaded === undefined) return
    if (reset || this.rate.at === 0) { this.rate = { at: now, loaded: p.loaded, perSecond: 0 }; return }
    const dt = (now - this.rate.at) / 1000
    if (dt < 1) return
    const instant = (p.loaded - this.rate.loaded) / dt
    this.rate = { at: now, loaded: p.loaded, perSecond: this.rate.perSecond === 0 ? instant : 0.7 * this.rate.perSecond + 0.3 * instant }
  }

  private describe (p: Progress): string {
    const parts = [p.phase.padEnd(9)]
    const items = p.unit === 'items'
    const amount = (n: number): string => items ? String(n) : formatBytes(n)
    if (p.total !== undefined && p.total > 0 && p.loaded !== undefined) {
      const frac = Math.min(1, p.loaded / p.total)
      if (this.tty) parts.push(`[${'#'.repeat(Math.round(frac * 24)).padEnd(24, '.')}]`)
      parts.push(`${(frac * 100).toFixed(0).padStart(3)}%`, `${amount(p.loaded)}/${amount(p.total)}`)
      if (this.rate.perSecond > 0 && !items) {
        parts.push(formatRate(this.rate.perSecond), `ETA ${formatDuration((p.total - p.loaded) / this.rate.perSecond)}`)
      }
    } else if (p.loaded !== undefined) {
      parts.push(amount(p.loaded))
      if (this.rate.perSecond > 0 && !items) parts.push(formatRate(this.rate.perSecond))
    }
    if (p.detail !== undefined) parts.push(p.detail)
    return parts.join('  ')
  }
}
