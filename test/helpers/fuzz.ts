// Shared pieces of the property-based tests of every parser of untrusted input
// (test/core/fuzz-*.test.ts): whatever the bytes, a parser answers (a value,
// or null for "read more") or throws a MirrorError with its code; anything
// else escaping is a bug. Fixed seed and bounded runs: the same samples on
// every run, a few seconds.
//
// Here: the seed, the outcome helpers and the sample tally, the generators
// more than one family of parsers uses, and the child process
// (ParserSandbox) that runs readTorrent and readMagnet with a time and heap limit.
import { type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { spawn, type ChildProcess } from 'node:child_process'
import fc from 'fast-check'
import { MirrorError, type ErrorCode } from '../../src/core/errors.js'
import { isSafeRefName } from '../../src/core/refs.js'

export const SEED = 13
// a failing property shows the assertion that failed, not only the counterexample
fc.configureGlobal({ includeErrorInReport: true })

// ---------------------------------------------------------------------------
// Our error type, and nothing else

export type Outcome<T> = { ok: true, value: T } | { ok: false, error: MirrorError }

function describeEscape (err: unknown, codes: readonly ErrorCode[]): string {
  if (err instanceof MirrorError) return `MirrorError ${err.code} (${err.message}), expected ${codes.join(' or ')}`
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : `a thrown ${typeof err}: ${String(err)}`
}

/** Runs `f`: its value, or the MirrorError (one of `codes`) it threw; any other throw fails the property. */
export function outcome<T> (f: () => T, codes: readonly ErrorCode[]): Outcome<T> {
  try {
    return { ok: true, value: f() }
  } catch (err) {
    if (err instanceof MirrorError && codes.includes(err.code)) return { ok: false, error: err }
    return assert.fail(`not our error type: ${describeEscape(err, codes)}`)
  }
}

export async function outcomeAsync<T> (f: () => Promise<T>, codes: readonly ErrorCode[]): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await f() }
  } catch (err) {
    if (err instanceof MirrorError && codes.includes(err.code)) return { ok: false, error: err }
    return assert.fail(`not our error type: ${describeEscape(err, codes)}`)
  }
}

/** How the samples of a property fell (parsed, refused, ...), reported as a test diagnostic: a property that never reaches its accepting path proves little. */
export class Tally {
  readonly counts: Record<string, number> = {}
  constructor (t: TestContext) { t.after(() => { t.diagnostic(`samples: ${JSON.stringify(this.counts)}`) }) }
  add (what: string): void { this.counts[what] = (this.counts[what] ?? 0) + 1 }
  of (what: string): number { return this.counts[what] ?? 0 }
}

// ---------------------------------------------------------------------------
// Shared generators

/** `b` with one byte set, deleted or inserted at `at` (modulo its length), or cut off there ('truncate'). */
export function mutate (b: Buffer, op: string, at: number, byte: number): Buffer {
  if (b.length === 0) return b
  const i = at % b.length
  if (op === 'set') { const c = Buffer.from(b); c[i] = byte; return c }
  if (op === 'delete') return Buffer.concat([b.subarray(0, i), b.subarray(i + 1)])
  if (op === 'insert') return Buffer.concat([b.subarray(0, i), Buffer.of(byte), b.subarray(i)])
  return b.subarray(0, i)
}

export type Edit =
  | { op: 'set' | 'delete' | 'insert' | 'truncate', at: number, byte: number }
  | { op: 'line', at: number, line: string, replace: boolean }
  | { op: 'swap' | 'dup', at: number, other: number }   // dup: the line at `at` twice
  | { op: 'value', at: number, text: string }
/**
 * Edits of a line-based text format: a byte set (often to a hex digit, which
 * keeps many fields valid), removed or inserted; a line from `lines` put in;
 * a line repeated; two lines swapped; a value given a leading '0', a sign or
 * white space; the end cut off.
 */
export function edit (lines: fc.Arbitrary<string>): fc.Arbitrary<Edit> {
  const byte = fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...'0123456789abcdef'.split('').map(c => c.charCodeAt(0))) },
    { weight: 2, arbitrary: fc.constantFrom(...'\n\r gA+/=-.@~^:\u0000'.split('').map(c => c.charCodeAt(0)), 0xff, 0xc3, 0x80) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }
  )
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constantFrom<'set' | 'delete' | 'insert' | 'truncate'>('set', 'set', 'set', 'delete', 'insert', 'truncate'), at: fc.nat(), byte }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant<'line'>('line'), at: fc.nat(), line: lines, replace: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constantFrom<'swap' | 'dup'>('swap', 'dup'), at: fc.nat(), other: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant<'value'>('value'), at: fc.nat(), text: fc.constantFrom('0', '00', ' ', '+', '-', 'a', 'A', '\t', '\r') }) }
  )
}

export function applyEdit (b: Buffer, e: Edit): Buffer {
  if ('byte' in e) return mutate(b, e.op, e.at, e.byte)
  const lines = b.toString('utf8').split('\n')
  const i = e.at % lines.length
  if ('text' in e) {
    const sp = lines[i]!.indexOf(' ') + 1   // after the key, or at the start
    lines[i] = lines[i]!.slice(0, sp) + e.text + lines[i]!.slice(sp)
  } else if ('line' in e) {
    lines.splice(i, e.replace ? 1 : 0, e.line)
  } else {
    const j = e.other % lines.length
    if (e.op === 'swap') [lines[i], lines[j]] = [lines[j]!, lines[i]!]
    else lines.splice(i, 0, lines[i]!)
  }
  return Buffer.from(lines.join('\n'))
}

export const hex = (n: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`))
export const oid = hex(40)

/** One path component of a safe ref name: no '.' at the start, no '.lock' or '.' at the end, no '..' or '@{'. */
const refPart = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[A-Za-z0-9_+-][A-Za-z0-9._+@,=-]{0,10}$/) },
  { weight: 1, arbitrary: fc.constantFrom('caf\u00e9', '\u00fc', '\u65e5\u672c', '\u{1F600}', 'a\u00a0b', 'x.locked', '@', 'lock') }
).filter(p => !p.endsWith('.lock') && !p.endsWith('.') && !p.includes('..') && !p.includes('@{'))

const safeRefName = fc.oneof(
  { weight: 1, arbitrary: fc.constant('HEAD') },
  { weight: 8, arbitrary: fc.tuple(fc.constantFrom('heads', 'tags', 'remotes/origin', 'mirrors/bundle'), fc.array(refPart, { minLength: 1, maxLength: 3 }))
    .map(([ns, parts]) => `refs/${ns}/${parts.join('/')}`) }
).filter(isSafeRefName)

export const refList = fc.uniqueArray(fc.record({ name: safeRefName, oid }, { noNullPrototype: true }), { minLength: 1, maxLength: 6, selector: r => r.name })

/** Ref names a hostile remote might write: safe ones, and ones git or we refuse. */
export const anyRefName = fc.oneof(
  safeRefName,
  fc.constantFrom('', 'main', 'refs/', 'refs/heads/', 'refs/heads//x', 'refs/heads/../x', 'refs/heads/x.lock', 'refs/heads/.x', 'refs/heads/a b',
    'refs/heads/a\rb', 'refs/heads/a\u0000', 'refs/heads/a~1', 'refs/heads/@{1}', 'refs/heads/\ufffd', '/refs/heads/x', 'HEAD ', 'refs/heads/x/'),
  fc.string({ unit: 'binary', maxLength: 30 })
)

export const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1')
/** `arb` one time in `1 + odds`, else null. */
export const rarely = <T>(arb: fc.Arbitrary<T>, odds = 3): fc.Arbitrary<T | null> => fc.oneof({ weight: odds, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb })
/** Text, including lone surrogates (which UTF-8 encoding turns into U+FFFD). */
export const anyText = fc.string({ unit: 'binary', maxLength: 200 })

/** Magnet URI parameters and text, for the magnet record (records.ts) and readMagnet (torrent-file.ts). */
export const BTIH = fc.stringMatching(/^[0-9a-fA-F]{40}$/)
export const magnetParam = fc.oneof(
  BTIH.map(h => `xt=urn:btih:${h}`),
  fc.stringMatching(/^[a-z2-7]{32}$/).map(b => `xt=urn:btih:${b}`),
  fc.tuple(fc.constantFrom('tr', 'ws', 'as', 'xs', 'dn', 'kt', 'x.pe', 'ix', 'xl'), fc.oneof(fc.webUrl(), fc.string({ maxLength: 20 })))
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`),
  fc.tuple(fc.constantFrom('tr', 'dn', 'xt', 'ws', 'kt', '__proto__', 'constructor', 'toString', ''), fc.string({ unit: 'binary', maxLength: 20 })).map(([k, v]) => `${k}=${v}`),
  fc.constantFrom('xt=urn:btih:', 'xt=urn:btih:' + 'g'.repeat(40), 'xt=urn:btmh:1220' + 'a'.repeat(64), 'xt', 'xt==', '=', '', 'dn=%', 'tr=%E0%A4%A', 'ix=x', 'kt=a+b',
    '__proto__=x', 'xt=urn:btih:' + 'a'.repeat(40) + 'trailing')
)
export const magnetText = fc.oneof(
  fc.tuple(fc.constantFrom('magnet:?', 'magnet:?', 'stream-magnet:?', 'magnet:', 'MAGNET:?', ' magnet:?', ''), fc.array(magnetParam, { maxLength: 5 }))
    .map(([prefix, params]) => prefix + params.join('&')),
  anyText
)

/** The SHA-1 of `b`, in hex: a torrent's infohash, a public key's id. */
export const sha1 = (b: Uint8Array): string => createHash('sha1').update(b).digest('hex')

// ---------------------------------------------------------------------------
// Bytes and strings that may never come back: a child process with a clock and a heap limit
// (a worker thread is not enough: a fatal out-of-memory in a worker aborts the whole process)

export type SandboxAnswer =
  | { kind: 'value', value: unknown }
  | { kind: 'error', mirror: boolean, code: string | null, name: string, message: string }
  | { kind: 'hang', ms: number }
  | { kind: 'died', message: string }

const CHILD_SOURCE = `
const [t, e] = await Promise.all(${JSON.stringify([
  new URL('../../src/io/torrent/torrent-file.js', import.meta.url).href,
  new URL('../../src/core/errors.js', import.meta.url).href
])}.map(u => import(u)))
await t.readTorrent(new Uint8Array([0x64, 0x65]), 'warm-up').catch(() => {})
process.on('message', async ({ fn, input }) => {
  try {
    if (fn === 'torrent') {
      const p = await t.readTorrent(input, 'fuzz')
      process.send({ kind: 'value', value: { infoHash: p.infoHash, hasInfo: p.info !== undefined } })
    } else {
      process.send({ kind: 'value', value: await t.readMagnet(input, 'fuzz') })
    }
  } catch (err) {
    process.send({ kind: 'error', mirror: err instanceof e.MirrorError, code: err?.code ?? null, name: String(err?.name), message: String(err?.message ?? err) })
  }
})
process.send('ready')
`

interface Child { process: ChildProcess, stderr: () => string }

/** readTorrent / readMagnet in a child process: an answer, or 'hang' after `timeoutMs`, or 'died' (out of its heap, say). */
export class ParserSandbox {
  #child: Promise<Child> | null = null

  constructor (readonly timeoutMs: number, readonly heapMb: number) {}

  async #start (): Promise<Child> {
    const child = spawn(process.execPath, [`--max-old-space-size=${this.heapMb}`, '--input-type=module', '-e', CHILD_SOURCE], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced'
    })
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000) })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the parser process did not start')), 20_000)
      child.once('message', () => { clearTimeout(timer); resolve() })
      child.once('exit', code => { clearTimeout(timer); reject(new Error(`the parser process exited (${code}): ${stderr}`)) })
    })
    return { process: child, stderr: () => stderr.trim().split('\n').filter(l => /error/i.test(l)).slice(0, 2).join(' | ') }
  }

  async run (fn: 'torrent' | 'magnet', input: Uint8Array | string): Promise<SandboxAnswer> {
    const { process: child, stderr } = await (this.#child ??= this.#start())
    return await new Promise(resolve => {
      const done = (a: SandboxAnswer, kill: boolean): void => {
        clearTimeout(timer)
        child.off('message', onMessage)
        child.off('exit', onExit)
        if (kill) { this.#child = null; child.kill('SIGKILL') }
        resolve(a)
      }
      const onMessage = (a: SandboxAnswer): void => done(a, false)
      const onExit = (code: number | null, signal: string | null): void => done({ kind: 'died', message: `exit ${code ?? signal}: ${stderr()}` }, true)
      const timer = setTimeout(() => done({ kind: 'hang', ms: this.timeoutMs }, true), this.timeoutMs)
      child.on('message', onMessage)
      child.once('exit', onExit)
      child.send({ fn, input })
    })
  }

  async close (): Promise<void> {
    const child = await this.#child?.catch(() => null)
    this.#child = null
    child?.process.kill('SIGKILL')
  }
}

export function sandbox (t: TestContext, timeoutMs = 2000): ParserSandbox {
  const sb = new ParserSandbox(timeoutMs, 96)
  t.after(async () => { await sb.close() })
  return sb
}

/** The sandbox's answer is a value or BAD_RECORD; a hang, a crash or another error fails the property. */
export function sandboxValue (a: SandboxAnswer, input: unknown): unknown {
  const shown = typeof input === 'string' ? JSON.stringify(input.slice(0, 200)) : `bytes ${Buffer.from(input as Uint8Array).toString('latin1').slice(0, 200)}`
  if (a.kind === 'hang') assert.fail(`no answer within ${a.ms} ms for ${shown}`)
  if (a.kind === 'died') assert.fail(`the parser died (${a.message}) on ${shown}`)
  if (a.kind === 'error') {
    assert.ok(a.mirror && a.code === 'BAD_RECORD', `not our error type: ${a.name} ${a.code ?? ''}: ${a.message}`)
    return null
  }
  return a.value
}
