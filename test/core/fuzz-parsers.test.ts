// Property-based tests for every parser of untrusted input: whatever the
// bytes, a parser answers (a value, or null for "read more") or throws a
// MirrorError with its code; anything else escaping is a bug. Where a
// printer exists, what it prints parses back to what it was given.
// Fixed seed and bounded runs: the same samples on every run, a few seconds.
//
// readTorrent and readMagnet run in a child process with a time and heap limit
// (ParserSandbox below): the libraries under them can loop forever or run
// out of memory on a few hostile bytes, and that must fail a property, not
// hang or kill the test runner.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto'
import { spawn, type ChildProcess } from 'node:child_process'
import fc from 'fast-check'
import { parseBundleHeader, type BundleHeader } from '../../src/core/bundle-header.js'
import { MirrorError, type ErrorCode } from '../../src/core/errors.js'
import { formatBytes, formatRate, parseRate, parseSize } from '../../src/core/format.js'
import { parsePublicKey, publicKeyFromRaw, verifySignature, type PublicKey } from '../../src/core/public-key.js'
import {
  encodePushObject, encodeUnsigned, MAX_PUSH_OBJECT_BYTES, parsePushObject, pushObjectId, ZERO_ID,
  type PushObject, type PushObjectFields
} from '../../src/core/push-object.js'
import { sortRefs, type Ref } from '../../src/core/ref-list.js'
import { formatUrlList, parseMagnetRecord, parseMirrorList, parseUrlList } from '../../src/core/records.js'
import { isOid, isSafeRefName, RECORD_REFS } from '../../src/core/refs.js'
import { checkBundleTorrent, MAX_ACCEPTED_PIECE_LENGTH, type BundleTorrentShape, type RawInfo } from '../../src/core/torrent-policy.js'
import { magnetOf, readMagnet, readTorrent, type MagnetSource, type ParsedTorrent } from '../../src/io/torrent/torrent-file.js'

const SEED = 13
// a failing property shows the assertion that failed, not only the counterexample
fc.configureGlobal({ includeErrorInReport: true })
const KiB = 1024
const MiB = 1024 * KiB

// ---------------------------------------------------------------------------
// Our error type, and nothing else

type Outcome<T> = { ok: true, value: T } | { ok: false, error: MirrorError }

function describeEscape (err: unknown, codes: readonly ErrorCode[]): string {
  if (err instanceof MirrorError) return `MirrorError ${err.code} (${err.message}), expected ${codes.join(' or ')}`
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : `a thrown ${typeof err}: ${String(err)}`
}

/** Runs `f`: its value, or the MirrorError (one of `codes`) it threw; any other throw fails the property. */
function outcome<T> (f: () => T, codes: readonly ErrorCode[]): Outcome<T> {
  try {
    return { ok: true, value: f() }
  } catch (err) {
    if (err instanceof MirrorError && codes.includes(err.code)) return { ok: false, error: err }
    return assert.fail(`not our error type: ${describeEscape(err, codes)}`)
  }
}

async function outcomeAsync<T> (f: () => Promise<T>, codes: readonly ErrorCode[]): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await f() }
  } catch (err) {
    if (err instanceof MirrorError && codes.includes(err.code)) return { ok: false, error: err }
    return assert.fail(`not our error type: ${describeEscape(err, codes)}`)
  }
}

/** How the samples of a property fell (parsed, refused, ...), reported as a test diagnostic: a property that never reaches its accepting path proves little. */
class Tally {
  readonly counts: Record<string, number> = {}
  constructor (t: TestContext) { t.after(() => { t.diagnostic(`samples: ${JSON.stringify(this.counts)}`) }) }
  add (what: string): void { this.counts[what] = (this.counts[what] ?? 0) + 1 }
  of (what: string): number { return this.counts[what] ?? 0 }
}

// ---------------------------------------------------------------------------
// Shared generators

/** `b` with one byte set, deleted or inserted at `at` (modulo its length), or cut off there ('truncate'). */
function mutate (b: Buffer, op: string, at: number, byte: number): Buffer {
  if (b.length === 0) return b
  const i = at % b.length
  if (op === 'set') { const c = Buffer.from(b); c[i] = byte; return c }
  if (op === 'delete') return Buffer.concat([b.subarray(0, i), b.subarray(i + 1)])
  if (op === 'insert') return Buffer.concat([b.subarray(0, i), Buffer.of(byte), b.subarray(i)])
  return b.subarray(0, i)
}

type Edit =
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
function edit (lines: fc.Arbitrary<string>): fc.Arbitrary<Edit> {
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

function applyEdit (b: Buffer, e: Edit): Buffer {
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

const hex = (n: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`))
const oid = hex(40)

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

const refList = fc.uniqueArray(fc.record({ name: safeRefName, oid }, { noNullPrototype: true }), { minLength: 1, maxLength: 6, selector: r => r.name })

/** Ref names a hostile remote might write: safe ones, and ones git or we refuse. */
const anyRefName = fc.oneof(
  safeRefName,
  fc.constantFrom('', 'main', 'refs/', 'refs/heads/', 'refs/heads//x', 'refs/heads/../x', 'refs/heads/x.lock', 'refs/heads/.x', 'refs/heads/a b',
    'refs/heads/a\rb', 'refs/heads/a\u0000', 'refs/heads/a~1', 'refs/heads/@{1}', 'refs/heads/\ufffd', '/refs/heads/x', 'HEAD ', 'refs/heads/x/'),
  fc.string({ unit: 'binary', maxLength: 30 })
)

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1')
/** `arb` one time in `1 + odds`, else null. */
const rarely = <T>(arb: fc.Arbitrary<T>, odds = 3): fc.Arbitrary<T | null> => fc.oneof({ weight: odds, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb })
/** Text, including lone surrogates (which UTF-8 encoding turns into U+FFFD). */
const anyText = fc.string({ unit: 'binary', maxLength: 200 })

// ---------------------------------------------------------------------------
// Bundle header (src/core/bundle-header.ts)

interface HeaderPlan {
  version: 2 | 3
  objectFormat: boolean
  prerequisites: Array<{ oid: string, comment: string | null }>
  refs: Ref[]
}

const headerPlan: fc.Arbitrary<HeaderPlan> = fc.record({
  version: fc.constantFrom<2 | 3>(2, 3),
  objectFormat: fc.boolean(),
  prerequisites: fc.array(fc.record({ oid, comment: fc.option(fc.string({ unit: 'binary', maxLength: 30 }).map(s => s.replace(/\n/g, ' '))) }, { noNullPrototype: true }), { maxLength: 4 }),
  refs: refList
})

function headerText (h: HeaderPlan): string {
  const lines = [
    `# v${h.version} git bundle`,
    ...(h.version === 3 && h.objectFormat ? ['@object-format=sha1'] : []),
    ...h.prerequisites.map(p => `-${p.oid}${p.comment === null ? '' : ` ${p.comment}`}`),
    ...h.refs.map(r => `${r.oid} ${r.name}`)
  ]
  return `${lines.map(l => `${l}\n`).join('')}\n`
}

function expectedHeader (h: HeaderPlan): Omit<BundleHeader, 'length'> {
  return {
    version: h.version,
    capabilities: h.version === 3 && h.objectFormat ? { 'object-format': 'sha1' } : {},
    prerequisites: h.prerequisites.map(p => p.oid),
    refs: h.refs
  }
}

const PACK = latin1('PACK\x00\x00\x00\x02\x00\x00\x00\x00')

/** Header lines that are valid, nearly valid, or in the wrong place. */
const HEADER_LINES = ['# v2 git bundle', '# v3 git bundle', '# v4 git bundle', '# v2 git bundle\r', '', '\r', '@object-format=sha1', '@object-format=sha256',
  '@filter=blob:none', '@x-future', '@', '@=', '@Object-Format=sha1', '-', `-${'b'.repeat(40)}`, `-${'b'.repeat(40)} a subject`, `-${'b'.repeat(40)}x`,
  `-${'b'.repeat(40)}\tx`, `${'a'.repeat(40)} HEAD`, `${'a'.repeat(40)} refs/heads/main`, `${'a'.repeat(40)}  refs/heads/main`, `${'A'.repeat(40)} refs/heads/main`, 'PACK']
/** Bundle-ish bytes: a signature (or not), lines that are valid, nearly valid or junk, a blank line (or not), then anything. */
const headerLine = fc.oneof(
  fc.constantFrom(...HEADER_LINES).map(s => Buffer.from(s)),
  fc.tuple(fc.oneof(oid, hex(39), hex(64), fc.constantFrom('', 'g'.repeat(40))), fc.constantFrom(' ', '  ', '\t', ''), anyRefName)
    .map(([o, sp, name]) => Buffer.from(`${o}${sp}${name}`)),
  fc.tuple(fc.constantFrom('-', ''), oid, fc.constantFrom(' ', '\t', 'x', ''), fc.string({ maxLength: 10 })).map(([dash, o, sp, rest]) => Buffer.from(`${dash}${o}${sp}${rest}`)),
  fc.string({ unit: 'binary', maxLength: 60 }).map(s => Buffer.from(s)),
  fc.uint8Array({ maxLength: 60 }).map(b => Buffer.from(b)),
  fc.constantFrom('\xff', '\xc3', '\xed\xa0\x80', '\xc0\xaf', '\x00').map(latin1)
)
const headerSoup = fc.tuple(
  fc.constantFrom('# v2 git bundle\n', '# v3 git bundle\n', ''),
  fc.array(headerLine, { maxLength: 8 }),
  fc.constantFrom('', '\n', '\n\n'),
  fc.uint8Array({ maxLength: 24 })
).map(([sig, lines, end, tail]) => Buffer.concat([Buffer.from(sig), ...lines.flatMap(l => [l, Buffer.from('\n')]), Buffer.from(end), tail]))
const headerBytes = fc.oneof(
  { weight: 2, arbitrary: headerSoup },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 120 }).map(b => Buffer.from(b)) },
  // valid headers, and valid headers edited a little
  { weight: 1, arbitrary: fc.tuple(headerPlan, fc.uint8Array({ maxLength: 8 })).map(([h, tail]) => Buffer.concat([Buffer.from(headerText(h)), tail])) },
  { weight: 2, arbitrary: fc.tuple(headerPlan, fc.array(edit(fc.oneof(fc.constantFrom(...HEADER_LINES), headerLine.map(b => b.toString('utf8')))), { minLength: 1, maxLength: 2 }))
    .map(([h, edits]) => edits.reduce(applyEdit, Buffer.concat([Buffer.from(headerText(h)), PACK]))) }
)

const parseHeader = (bytes: Uint8Array): Outcome<BundleHeader | null> => outcome(() => parseBundleHeader(bytes), ['BAD_BUNDLE'])

function checkHeader (bytes: Buffer, h: BundleHeader): void {
  assert.ok(h.version === 2 || h.version === 3)
  assert.ok(h.refs.length > 0)
  for (const r of h.refs) assert.ok(isOid(r.oid) && isSafeRefName(r.name), `${r.oid} ${r.name}`)
  assert.equal(new Set(h.refs.map(r => r.name)).size, h.refs.length)
  for (const p of h.prerequisites) assert.ok(isOid(p), p)
  assert.deepEqual(h.capabilities, h.version === 3 && 'object-format' in h.capabilities ? { 'object-format': 'sha1' } : {})
  // the header ends with its blank line, inside what was given
  assert.ok(h.length >= 2 && h.length <= bytes.length)
  assert.equal(bytes.subarray(h.length - 2, h.length).toString('latin1'), '\n\n')
  assert.equal(bytes.indexOf('\n\n'), h.length - 2, 'the first blank line ends the header')
  // every line is one gitformat-bundle(5) allows, and each one counted
  const [signature, ...lines] = bytes.subarray(0, h.length - 2).toString('utf8').split('\n')
  assert.equal(signature, `# v${h.version} git bundle`)
  const capabilities = lines.filter(l => l.startsWith('@'))   // the one known capability, stated once or more
  assert.ok(capabilities.every(l => l === '@object-format=sha1') && (capabilities.length > 0) === ('object-format' in h.capabilities), capabilities.join(', '))
  if (capabilities.length > 0) assert.equal(h.version, 3, 'capabilities only in a v3 header')
  assert.ok(lines.slice(capabilities.length).every(l => !l.startsWith('@')), 'capabilities come first')
  assert.deepEqual(lines.filter(l => l.startsWith('-')).map(l => /^-([0-9a-f]{40})(?: [^\n]*)?$/.exec(l)?.[1]), h.prerequisites)
  assert.deepEqual(lines.filter(l => !/^[@-]/.test(l)), h.refs.map(r => `${r.oid} ${r.name}`))
}

test('parseBundleHeader: property: any bytes give null, a consistent header, or BAD_BUNDLE', (t) => {
  const tally = new Tally(t)
  fc.assert(fc.property(headerBytes, fc.nat(16), (bytes, offset) => {
    const r = parseHeader(bytes)
    tally.add(!r.ok ? 'BAD_BUNDLE' : r.value === null ? 'null' : 'header')
    if (r.ok && r.value !== null) checkHeader(bytes, r.value)
    // null ("read more") only while no blank line has come
    if (r.ok && r.value === null) assert.equal(bytes.indexOf('\n\n'), -1)
    // a view into a larger buffer reads the same
    const big = Buffer.alloc(offset + bytes.length + 8, 0x0a)
    bytes.copy(big, offset)
    const view = new Uint8Array(big.buffer, big.byteOffset + offset, bytes.length)
    const again = parseHeader(view)
    assert.deepEqual(again.ok ? again.value : again.error.message, r.ok ? r.value : r.error.message)
  }), { seed: SEED, numRuns: 1000 })
  assert.ok(tally.of('header') >= 150 && tally.of('null') >= 100 && tally.of('BAD_BUNDLE') >= 150, JSON.stringify(tally.counts))
})

test('parseBundleHeader: property: a header built from refs, prerequisites and v3 capabilities parses back to them', () => {
  fc.assert(fc.property(headerPlan, fc.uint8Array({ maxLength: 16 }), (plan, tail) => {
    const text = headerText(plan)
    const h = parseBundleHeader(Buffer.concat([Buffer.from(text), PACK, tail]))
    assert.ok(h !== null)
    const { length, ...rest } = h
    assert.deepEqual(rest, expectedHeader(plan))
    assert.equal(length, Buffer.byteLength(text))
  }), { seed: SEED, numRuns: 300 })
})

test('parseBundleHeader: property: a valid header\'s growing prefixes give null until it is complete, then the same header', () => {
  fc.assert(fc.property(headerPlan, (plan) => {
    const full = Buffer.concat([Buffer.from(headerText(plan)), PACK])
    const whole = parseBundleHeader(full)
    assert.ok(whole !== null)
    for (let n = 0; n < whole.length; n++) {
      assert.equal(parseBundleHeader(full.subarray(0, n)), null, `prefix of ${n} bytes`)
    }
    for (let n = whole.length; n <= full.length; n++) assert.deepEqual(parseBundleHeader(full.subarray(0, n)), whole)
  }), { seed: SEED, numRuns: 150 })
})

test('parseBundleHeader: property: more bytes never change a verdict (a header stays the same header, an error the same error)', () => {
  fc.assert(fc.property(headerBytes, headerBytes, (a, b) => {
    const first = parseHeader(a)
    if (first.ok && first.value === null) return
    const later = parseHeader(Buffer.concat([a, b]))
    if (first.ok) assert.deepEqual(later, first)
    else assert.equal(later.ok ? 'a header' : later.error.message, first.error.message)
  }), { seed: SEED, numRuns: 1000 })
})

// ---------------------------------------------------------------------------
// Records (src/core/records.ts)

const URL_REF = RECORD_REFS.http
const MAGNET_REF = RECORD_REFS.magnet

/** Lines a record blob may hold: URLs of any scheme, comments, blank lines, junk. */
const recordLine = fc.oneof(
  fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true, withFragments: true }),
  fc.webUrl({ validSchemes: ['ftp', 'file', 'javascript', 'git', 'ssh', 'udp'] }),
  fc.constantFrom('', ' ', '\r', '# a comment', '  #indented', 'http://', 'https://[::1', 'http://a b/', 'HTTP://EXAMPLE.COM/X', 'http://\u00e9.example/',
    'magnet:?xt=urn:btih:' + '0123456789abcdefABCDEF0123456789abcdef01', 'magnet:?xt=urn:btih:xyz', 'javascript:alert(1)', 'data:text/plain,x', '/relative', 'http:/x',
    'git://a.example/x.git', 'ssh://git@a.example/x.git', 'git@a.example:x.git', '-oProxyCommand=x:y', 'https://u:p@a.example/x'),
  fc.tuple(fc.constantFrom('', ' ', '\t', '\u00a0', '\ufeff'), fc.webUrl(), fc.constantFrom('', ' ', '\r', '\t')).map(([a, u, b]) => `${a}${u}${b}`),
  fc.string({ unit: 'binary', maxLength: 40 })
)
/** Mirror and web seed URLs that are (mostly) fine, with white space around. */
const goodUrl = fc.tuple(
  fc.constantFrom('', ' ', '\t'),
  fc.oneof(
    fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true }),
    fc.tuple(fc.constantFrom('git://', 'ssh://git@', 'https://', 'http://'), fc.domain(), fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,8}(\/[a-z0-9][a-z0-9._-]{0,8}){0,2}$/))
      .map(([scheme, host, path]) => `${scheme}${host}/${path}`)
  ),
  fc.constantFrom('', ' ', '\r')
).map(([a, u, b]) => `${a}${u}${b}`)
const recordBlob = fc.oneof(
  fc.tuple(fc.array(recordLine, { maxLength: 6 }), fc.constantFrom('\n', '\r\n')).map(([lines, nl]) => lines.join(nl)),
  fc.array(fc.oneof({ weight: 8, arbitrary: goodUrl }, { weight: 2, arbitrary: fc.constantFrom('', '# x', '  ') }, { weight: 1, arbitrary: recordLine }), { maxLength: 5 })
    .map(lines => lines.join('\n')),
  anyText
)

/** The 1-based line `no` of `blob`, trimmed as the record parser trims it. */
const recordLineAt = (blob: string, no: number): string | undefined => blob.split('\n')[no - 1]?.trim()

function checkBadRecord (err: MirrorError, blob: string, ref: string): void {
  assert.equal(err.code, 'BAD_RECORD')
  const line = err.data.line as number | undefined
  if (line !== undefined) {
    assert.ok(err.message.startsWith(`${ref} line ${line}: `), err.message)
    const text = recordLineAt(blob, line)
    assert.ok(text !== undefined && text !== '' && !text.startsWith('#'), `line ${line} is an entry: ${JSON.stringify(text)}`)
  }
}

test('parseUrlList: property: any text gives http(s) URLs, one an entry line, or BAD_RECORD naming a line', (t) => {
  const tally = new Tally(t)
  fc.assert(fc.property(recordBlob, (blob) => {
    const r = outcome(() => parseUrlList(blob, URL_REF), ['BAD_RECORD'])
    tally.add(!r.ok ? 'BAD_RECORD' : r.value.length > 0 ? 'URLs' : 'empty')
    if (!r.ok) return checkBadRecord(r.error, blob, URL_REF)
    const entries = blob.split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#'))
    assert.equal(r.value.length, entries.length)
    for (const u of r.value) assert.ok(u.protocol === 'http:' || u.protocol === 'https:', u.href)
  }), { seed: SEED, numRuns: 1000 })
})

test('parseUrlList: property: formatUrlList\'s text parses back to the same URLs', () => {
  const url = fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true, withFragments: true, authoritySettings: { withPort: true, withIPv4: true, withIPv6: true } })
    .map(u => new URL(u).href)
  fc.assert(fc.property(fc.array(url, { maxLength: 8 }), (hrefs) => {
    assert.deepEqual(parseUrlList(formatUrlList(hrefs), URL_REF).map(u => u.href), hrefs)
  }), { seed: SEED, numRuns: 300 })
})

const BTIH = fc.stringMatching(/^[0-9a-fA-F]{40}$/)
const magnetParam = fc.oneof(
  BTIH.map(h => `xt=urn:btih:${h}`),
  fc.stringMatching(/^[a-z2-7]{32}$/).map(b => `xt=urn:btih:${b}`),
  fc.tuple(fc.constantFrom('tr', 'ws', 'as', 'xs', 'dn', 'kt', 'x.pe', 'ix', 'xl'), fc.oneof(fc.webUrl(), fc.string({ maxLength: 20 })))
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`),
  fc.tuple(fc.constantFrom('tr', 'dn', 'xt', 'ws', 'kt', '__proto__', 'constructor', 'toString', ''), fc.string({ unit: 'binary', maxLength: 20 })).map(([k, v]) => `${k}=${v}`),
  fc.constantFrom('xt=urn:btih:', 'xt=urn:btih:' + 'g'.repeat(40), 'xt=urn:btmh:1220' + 'a'.repeat(64), 'xt', 'xt==', '=', '', 'dn=%', 'tr=%E0%A4%A', 'ix=x', 'kt=a+b',
    '__proto__=x', 'xt=urn:btih:' + 'a'.repeat(40) + 'trailing')
)
const magnetText = fc.oneof(
  fc.tuple(fc.constantFrom('magnet:?', 'magnet:?', 'stream-magnet:?', 'magnet:', 'MAGNET:?', ' magnet:?', ''), fc.array(magnetParam, { maxLength: 5 }))
    .map(([prefix, params]) => prefix + params.join('&')),
  anyText
)

test('parseMagnetRecord: property: any text gives one magnet URI with a lower-case v1 infohash, or BAD_RECORD', (t) => {
  const tally = new Tally(t)
  const oneMagnet = fc.tuple(fc.constantFrom('', '# the magnet\n', '\n\n'), BTIH, fc.array(magnetParam, { maxLength: 3 }), fc.boolean(), fc.constantFrom('', '\n', '\r\n# end'))
    .map(([before, h, ps, first, after]) => `${before}magnet:?${(first ? [`xt=urn:btih:${h}`, ...ps] : [...ps, `xt=urn:btih:${h}`]).join('&')}${after}`)
  const blob = fc.oneof(
    fc.tuple(fc.array(fc.oneof(magnetText, recordLine), { maxLength: 3 }), fc.constantFrom('\n', '\r\n')).map(([lines, nl]) => lines.join(nl)),
    oneMagnet,
    anyText
  )
  fc.assert(fc.property(blob, (text) => {
    const r = outcome(() => parseMagnetRecord(text, MAGNET_REF), ['BAD_RECORD'])
    tally.add(r.ok ? 'magnet' : 'BAD_RECORD')
    if (!r.ok) return checkBadRecord(r.error, text, MAGNET_REF)
    assert.match(r.value.infoHash, /^[0-9a-f]{40}$/)
    // reduced to the infohash first, then only dn, tr, ws and as parameters, each as the record's one entry line wrote it
    const [xt, ...rest] = r.value.uri.slice('magnet:?'.length).split('&')
    assert.equal(xt, `xt=urn:btih:${r.value.infoHash}`)
    const entry = text.split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#'))
    assert.equal(entry.length, 1)
    const written = entry[0]!.slice('magnet:?'.length).split('&')
    for (const p of rest) {
      assert.ok(['dn', 'tr', 'ws', 'as'].includes(p.split('=')[0]!.toLowerCase()), p)
      assert.ok(written.includes(p), p)
    }
    assert.equal(parseMagnetRecord(r.value.uri, MAGNET_REF).uri, r.value.uri, 'the reduced URI is a fixed point')
  }), { seed: SEED, numRuns: 1000 })
})

test('parseMagnetRecord: property: a magnet URI between comments and blank lines gives back its infohash and what a download uses of it', () => {
  const filler = fc.constantFrom('', '  ', '# the magnet', '\r', '\t# x')
  const extra = fc.array(fc.tuple(fc.constantFrom('dn', 'tr', 'ws', 'xl'), fc.webUrl()).map(([k, v]) => `${k}=${encodeURIComponent(v)}`), { maxLength: 3 })
  fc.assert(fc.property(fc.array(filler, { maxLength: 3 }), BTIH, extra, fc.boolean(), fc.array(filler, { maxLength: 3 }), (before, h, params, xtFirst, after) => {
    const uri = `magnet:?${(xtFirst ? [`xt=urn:btih:${h}`, ...params] : [...params, `xt=urn:btih:${h}`]).join('&')}`
    // what a download uses comes back, infohash first, the others in the order dn, tr, ws (xl is dropped)
    const kept = ['dn', 'tr', 'ws'].flatMap(k => params.filter(p => p.startsWith(`${k}=`)))
    const reduced = [`magnet:?xt=urn:btih:${h.toLowerCase()}`, ...kept].join('&')
    assert.deepEqual(parseMagnetRecord([...before, ` ${uri}\r`, ...after].join('\n'), MAGNET_REF), { uri: reduced, infoHash: h.toLowerCase() })
  }), { seed: SEED, numRuns: 300 })
})

test('parseMirrorList: property: any text gives mirror URLs or BAD_RECORD naming a line, in both records', (t) => {
  const tally = new Tally(t)
  const gitUrl = fc.tuple(fc.constantFrom('git://', 'ssh://git@', 'git@', 'ssh://'), fc.domain(), fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,8}(\/[a-z0-9][a-z0-9._-]{0,8}){0,2}$/))
    .map(([scheme, host, path]) => scheme === 'git@' ? `git@${host}:${path}` : `${scheme}${host}/${path}`)
  const mirrorBlob = fc.array(fc.oneof({ weight: 8, arbitrary: fc.oneof(gitUrl, goodUrl) }, { weight: 2, arbitrary: fc.constantFrom('', '# x', '  ') }, { weight: 1, arbitrary: recordLine }), { maxLength: 4 })
    .map(lines => lines.join('\n'))
  fc.assert(fc.property(fc.oneof(recordBlob, mirrorBlob), fc.constantFrom<'git' | 'http'>('git', 'http'), (blob, record) => {
    const ref = record === 'git' ? RECORD_REFS.fetchGit : RECORD_REFS.fetchHttp
    const r = outcome(() => parseMirrorList(blob, ref, record), ['BAD_RECORD'])
    tally.add(!r.ok ? 'BAD_RECORD' : r.value.length > 0 ? `${record} URLs` : 'empty')
    if (!r.ok) return checkBadRecord(r.error, blob, ref)
    for (const m of r.value) assert.ok(record === 'http' ? ['http', 'https'].includes(m.scheme) : ['git', 'ssh'].includes(m.scheme), `${m.scheme} in ${record}`)
  }), { seed: SEED, numRuns: 1000 })
})

// ---------------------------------------------------------------------------
// Torrent policy (src/core/torrent-policy.ts) on info-like objects

const PLAIN_FILE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/

/**
 * The policy's promises about what it accepts: a plain file name, a bundle
 * path that stays in the download directory, sizes within bounds, a piece
 * table that matches.
 */
function checkShape (info: RawInfo, maxSize: number, s: BundleTorrentShape): void {
  assert.match(s.name, PLAIN_FILE)
  assert.ok(!s.name.includes('..'))
  for (const p of [s.bundlePath, s.push?.path, s.index?.path, s.reverseIndex?.path]) {
    if (p === undefined) continue
    assert.ok(!p.startsWith('/') && !/[\\\x00-\x1f]/.test(p), p)
    assert.ok(p.split('/').every(seg => seg !== '' && seg !== '.' && seg !== '..'), p)
    assert.ok(p === s.name || p.startsWith(`${s.name}/`), p)
  }
  const folder = info.files !== undefined
  assert.equal(s.bundlePath, folder ? `${s.name}/${s.name}.bundle` : s.name)
  assert.ok(s.bundlePath.endsWith('.bundle'))
  assert.ok(Number.isSafeInteger(s.length) && s.length > 0 && s.length <= maxSize, `length ${s.length}`)
  if (folder) {
    assert.ok(s.push !== null && s.push.path === `${s.name}/${s.name}.push`)
    assert.ok(Number.isSafeInteger(s.push.length) && s.push.length > 0 && s.push.length <= MAX_PUSH_OBJECT_BYTES)
  } else {
    assert.deepEqual([s.push, s.index, s.reverseIndex], [null, null, null])
  }
  if (s.reverseIndex !== null) assert.ok(s.index !== null, 'a reverse index without an index')
  if (s.index !== null) assert.equal(s.index.path, `${s.name}/${s.name}.idx`)
  if (s.reverseIndex !== null) assert.equal(s.reverseIndex.path, `${s.name}/${s.name}.rev`)
  for (const d of [s.index, s.reverseIndex]) {
    if (d !== null) assert.ok(Number.isSafeInteger(d.length) && d.length > 0 && d.length <= 2 * s.length + 65536, `${d.path}: ${d.length}`)
  }
  assert.ok(Number.isSafeInteger(s.pieceLength) && s.pieceLength >= 16 * KiB && s.pieceLength <= MAX_ACCEPTED_PIECE_LENGTH)
  assert.equal(s.pieceLength & (s.pieceLength - 1), 0)
  const total = s.length + (s.push?.length ?? 0) + (s.index?.length ?? 0) + (s.reverseIndex?.length ?? 0)
  assert.equal(s.pieceCount, Math.ceil(total / s.pieceLength))
  assert.ok(info.pieces instanceof Uint8Array && info.pieces.length === s.pieceCount * 20)
}

function policy (info: RawInfo, maxSize: number): Outcome<BundleTorrentShape> {
  const r = outcome(() => checkBundleTorrent(info, { maxSize, ref: 'fuzz' }), ['UNSAFE_TORRENT', 'TOO_LARGE'])
  if (r.ok) checkShape(info, maxSize, r.value)
  else if (r.error.code === 'TOO_LARGE') assert.ok((r.error.data.length as number) > maxSize)
  return r
}

const te = new TextEncoder()
const NAMES = ['repo-0123456789ab', 'a', 'A+b_c-1.2', 'x'.repeat(200), 'a..b']
const NASTY_NAMES = ['', '.', '..', '/', '.bundle', '..bundle', 'a..b.bundle', '../x.bundle', '/abs.bundle', 'a/b.bundle', 'a\\b.bundle', 'C:\\x.bundle',
  'x\u0000.bundle', 'x.bundle\u0000', 'x.bundle/', ' x.bundle', '-x.bundle', 'x'.repeat(201) + '.bundle', 'caf\u00e9.bundle', 'x.bundle\n', '\ufffd.bundle']
const nameString = fc.oneof(
  fc.constantFrom(...NAMES).chain(n => fc.constantFrom(n, `${n}.bundle`, `${n}.push`, `${n}.idx`, `${n}.rev`)),
  fc.constantFrom(...NASTY_NAMES),
  fc.string({ maxLength: 12 }).map(s => `${s}.bundle`)
)
/** A name as a string, as bytes (as bencode gives it), or a value of another type. */
const nameValue = fc.oneof(
  { weight: 4, arbitrary: nameString.map(s => te.encode(s)) },
  { weight: 2, arbitrary: nameString },
  { weight: 1, arbitrary: fc.oneof(fc.uint8Array({ maxLength: 12 }), fc.integer(), fc.constant(null), fc.array(nameString, { maxLength: 2 }), fc.constant({}), fc.boolean()) }
)
const size = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 4 * MiB }) },
  { weight: 2, arbitrary: fc.constantFrom(0, -1, -16384, 1.5, 0.1, NaN, Infinity, -Infinity, 2 ** 53, 2 ** 53 - 1, 2 ** 63, Number.MAX_VALUE, MAX_PUSH_OBJECT_BYTES + 1, -0) },
  { weight: 1, arbitrary: fc.oneof(fc.double(), fc.constantFrom('100', te.encode('100'), null, [100], { length: 1 }, 10n, true)) }
)
const pieceLength = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 14, max: 26 }).map(k => 2 ** k) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.constantFrom(0, -16384, 16384.5, 3 * 16384, 2 ** 27, 2 ** 31, 2 ** 32 + 16384, NaN, '16384', 16384n)) }
)

interface InfoPlan {
  name: unknown
  nameUtf8: unknown
  length: unknown
  pieceLength: unknown
  files: unknown
  pieces: 'match' | 'off' | unknown
}

/** A file entry of a folder torrent, from the plausible to the absurd. */
function fileEntry (folder: string): fc.Arbitrary<unknown> {
  const component = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(`${folder}.bundle`, `${folder}.push`, `${folder}.idx`, `${folder}.rev`).map(s => te.encode(s)) },
    { weight: 2, arbitrary: nameString.map(s => te.encode(s)) },
    { weight: 1, arbitrary: fc.oneof(nameString, fc.integer(), fc.constant(null)) }
  )
  const path = fc.oneof(
    { weight: 8, arbitrary: component.map(c => [c]) },
    { weight: 2, arbitrary: fc.array(component, { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>([], ['..', 'x'], [''], ['/'], [folder, `${folder}.bundle`], 'x.bundle', te.encode('x.bundle'), null, {}) }
  )
  const entry = fc.record({
    path,
    length: size,
    'path.utf-8': fc.option(fc.oneof(path, component.map(c => [c])), { nil: undefined, freq: 2 })
  }, { requiredKeys: ['path', 'length'] })
  return fc.oneof({ weight: 10, arbitrary: entry }, { weight: 1, arbitrary: fc.constantFrom<unknown>(null, undefined, 5, 'x', [], {}) })
}

/** The files of folder `folder`: the ones a publish writes (bundle, push, maybe idx and rev), a few wrong, or anything. */
function folderFiles (folder: string): fc.Arbitrary<unknown> {
  const params = fc.record({
    length: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: 64 * KiB }) }, { weight: 1, arbitrary: size }),
    /** A size at its bound, give or take a byte: the push object's limit, an index's 2 × bundle + 64 KiB. */
    edge: rarely(fc.integer({ min: -1, max: 1 }), 2),
    bytes: fc.boolean(),
    utf8: fc.constantFrom('absent', 'absent', 'absent', 'absent', 'absent', 'same', 'same', 'other', 'string')
  })
  const entry = (kind: string, p: { length: unknown, edge: number | null, bytes: boolean, utf8: string }, bundle: unknown): unknown => {
    const name = `${folder}.${kind}`
    const utf8 = { absent: undefined, same: [te.encode(name)], other: [te.encode(`${name}x`)], string: [name] }[p.utf8]
    const bound = kind === 'push' ? MAX_PUSH_OBJECT_BYTES : typeof bundle === 'number' ? 2 * bundle + 65536 : null
    const length = kind === 'bundle' ? bundle : p.edge !== null && bound !== null ? bound + p.edge : p.length
    return { path: [p.bytes ? te.encode(name) : name], length, ...(utf8 === undefined ? {} : { 'path.utf-8': utf8 }) }
  }
  const kinds = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(['bundle', 'push'], ['bundle', 'push', 'idx'], ['bundle', 'push', 'idx', 'rev'], ['push', 'bundle'], ['rev', 'idx', 'push', 'bundle']) },
    { weight: 1, arbitrary: fc.constantFrom(['bundle', 'push', 'rev'], ['bundle'], ['push'], ['bundle', 'push', 'push'], ['bundle', 'bundle', 'push']) }
  )
  const published = fc.record({
    kinds,
    params: fc.array(params, { minLength: 4, maxLength: 4 }),
    bundle: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 4 * MiB }) }, { weight: 1, arbitrary: size }),
    stray: rarely(fc.tuple(fc.nat(4), fileEntry(folder)))
  }).map(({ kinds, params, bundle, stray }) => {
    const files = kinds.map((k, i) => entry(k, params[i]!, bundle))
    if (stray !== null) files.splice(stray[0] % (files.length + 1), 0, stray[1])
    return files
  })
  return fc.oneof(
    { weight: 6, arbitrary: published },
    { weight: 2, arbitrary: fc.array(fileEntry(folder), { minLength: 1, maxLength: 5 }) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>([], null, 'files', te.encode('x'), {}, Array.from({ length: 17 }, () => ({ path: [te.encode('x')], length: 1 }))) }
  )
}

const plainName = fc.constantFrom(...NAMES).chain(n => fc.constantFrom<unknown>(n, te.encode(n), te.encode(n)))
const infoPlan: fc.Arbitrary<InfoPlan> = fc.boolean().chain(folder => fc.oneof(
  { weight: 4, arbitrary: folder ? plainName : plainName.map(n => typeof n === 'string' ? `${n}.bundle` : Buffer.concat([n as Uint8Array, te.encode('.bundle')])) },
  { weight: 2, arbitrary: nameValue }
).chain(name => {
  const folderName = typeof name === 'string' ? name : name instanceof Uint8Array ? Buffer.from(name).toString('utf8') : 'x'
  return fc.record({
    name: fc.constant(name),
    nameUtf8: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.constant(name) }, { weight: 1, arbitrary: nameValue }),
    length: folder ? rarely(size).map(v => v ?? undefined) : size,
    pieceLength,
    files: folder ? folderFiles(folderName) : fc.constant(undefined),
    pieces: fc.oneof({ weight: 6, arbitrary: fc.constant('match') }, { weight: 1, arbitrary: fc.constant('off') },
      { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 'x'.repeat(20), [1, 2], new Uint8Array(0)) })
  })
}))

/** What the sizes add up to, when they are all numbers. */
function plannedTotal (p: InfoPlan): number | null {
  const sizes = Array.isArray(p.files) ? p.files.map(f => (f as { length?: unknown } | null)?.length) : [p.length]
  return sizes.every(s => typeof s === 'number' && Number.isFinite(s)) ? (sizes as number[]).reduce((a, b) => a + b, 0) : null
}

function rawInfo (p: InfoPlan): RawInfo {
  const info: Record<string, unknown> = { name: p.name }
  if (p.nameUtf8 !== undefined) info['name.utf-8'] = p.nameUtf8
  if (p.length !== undefined) info.length = p.length
  if (p.files !== undefined) info.files = p.files
  info['piece length'] = p.pieceLength
  const total = plannedTotal(p)
  if (p.pieces === 'match' || p.pieces === 'off') {
    const pl = typeof p.pieceLength === 'number' && p.pieceLength > 0 ? p.pieceLength : 16 * KiB
    const count = total === null || total <= 0 ? 1 : Math.ceil(total / pl) + (p.pieces === 'off' ? 1 : 0)
    info.pieces = new Uint8Array(Number.isSafeInteger(count) && count * 20 <= 1 * MiB ? count * 20 : 20)
  } else {
    info.pieces = p.pieces
  }
  return info as RawInfo
}

const maxSize = fc.oneof(fc.constantFrom(1, 100 * KiB, 10 * MiB, 2 ** 53 - 1), fc.integer({ min: 1, max: 8 * MiB }))

test('checkBundleTorrent: property: any info-like dictionary gives a safe, consistent shape, or UNSAFE_TORRENT / TOO_LARGE', (t) => {
  const tally = new Tally(t)
  fc.assert(fc.property(infoPlan, maxSize, (plan, max) => {
    const r = policy(rawInfo(plan), max)
    tally.add(!r.ok ? r.error.code : r.value.push === null ? 'one file' : r.value.index === null ? 'folder' : 'folder with index')
  }), { seed: SEED, numRuns: 3000 })
  // the property reached every accepting path
  assert.ok(tally.of('one file') >= 80 && tally.of('folder') >= 20 && tally.of('folder with index') >= 20 && tally.of('TOO_LARGE') >= 100, JSON.stringify(tally.counts))
})

test('checkBundleTorrent: property: any values at all in the known keys give a shape or UNSAFE_TORRENT / TOO_LARGE', () => {
  const anyValue = fc.anything({ maxDepth: 2, withTypedArray: true, withBigInt: true, withNullPrototype: true, withSparseArray: true, withBoxedValues: true })
  const info = fc.record({
    name: fc.oneof(nameValue, anyValue),
    'name.utf-8': anyValue,
    length: fc.oneof(size, anyValue),
    files: fc.oneof(anyValue, fc.array(fc.record({ path: fc.oneof(anyValue, fc.array(anyValue, { maxLength: 2 })), length: anyValue, 'path.utf-8': anyValue }, { requiredKeys: [] }), { maxLength: 4 })),
    'piece length': fc.oneof(pieceLength, anyValue),
    pieces: anyValue
  }, { requiredKeys: [] })
  fc.assert(fc.property(info, maxSize, (raw, max) => { policy(raw as RawInfo, max) }), { seed: SEED, numRuns: 1000 })
})

// ---------------------------------------------------------------------------
// Torrent files through parse-torrent and the policy (src/io/torrent/torrent-file.ts)

/** A bencode value as a hostile encoder may write it: dictionaries as entry lists, so any key (even "__proto__") and any order. */
class BDict { constructor (readonly entries: Array<[string | Uint8Array, BValue]>) {} }
type BValue = bigint | Uint8Array | BValue[] | BDict

function bencode (v: BValue, sortKeys = true): Buffer {
  if (typeof v === 'bigint') return latin1(`i${v}e`)
  if (v instanceof Uint8Array) return Buffer.concat([latin1(`${v.length}:`), v])
  if (Array.isArray(v)) return Buffer.concat([latin1('l'), ...v.map(x => bencode(x, sortKeys)), latin1('e')])
  const entries = v.entries.map(([k, x]) => [typeof k === 'string' ? Buffer.from(k) : Buffer.from(k), x] as const)
  if (sortKeys) entries.sort((a, b) => Buffer.compare(a[0], b[0]))
  return Buffer.concat([latin1('d'), ...entries.flatMap(([k, x]) => [bencode(k), bencode(x, sortKeys)]), latin1('e')])
}

/** A JS value as bencode can carry it: strings as bytes, whole numbers as integers, the rest as the text it would print. */
function toBValue (v: unknown): BValue | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v === 'bigint') return v
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : te.encode(String(v))
  if (typeof v === 'string') return te.encode(v)
  if (v instanceof Uint8Array) return v
  if (Array.isArray(v)) return v.map(toBValue).filter((x): x is BValue => x !== undefined)
  if (typeof v === 'object') {
    return new BDict(Object.entries(v).flatMap(([k, x]) => { const b = toBValue(x); return b === undefined ? [] : [[k, b] as [string, BValue]] }))
  }
  return te.encode(String(v))
}

function torrentBytes (info: BValue, extra: Array<[string, BValue]> = []): Buffer {
  return bencode(new BDict([['info', info], ...extra]))
}

const sha1 = (b: Uint8Array): string => createHash('sha1').update(b).digest('hex')

/** A torrent we would publish: one bundle, or a signed publish's folder, canonical bencode. */
const validTorrent = fc.record({
  name: fc.constantFrom('repo-0123456789ab', 'a', 'A+b_c-1.2', 'x'.repeat(193)),
  folder: fc.boolean(),
  bundle: fc.integer({ min: 1, max: 4 * MiB }),
  push: fc.integer({ min: 1, max: 64 * KiB }),
  index: fc.option(fc.tuple(fc.integer({ min: 1, max: 65536 }), fc.option(fc.integer({ min: 1, max: 65536 })))),
  pieceLength: fc.integer({ min: 14, max: 22 }).map(k => 2 ** k),
  trackers: fc.array(fc.webUrl({ validSchemes: ['http', 'https', 'udp', 'wss'] }), { maxLength: 2 }),
  webSeeds: fc.array(fc.webUrl(), { maxLength: 2 })
}).map(t => {
  const files: Array<[string, number]> = t.folder
    ? [[`${t.name}.bundle`, t.bundle], [`${t.name}.push`, t.push],
        ...(t.index === null ? [] : [[`${t.name}.idx`, t.index[0]] as [string, number]]),
        ...(t.index === null || t.index[1] === null ? [] : [[`${t.name}.rev`, t.index[1]] as [string, number]])]
    : []
  const name = t.folder ? t.name : `${t.name}.bundle`
  const total = t.folder ? files.reduce((a, [, n]) => a + n, 0) : t.bundle
  const count = Math.ceil(total / t.pieceLength)
  const info = new BDict([
    ['name', te.encode(name)],
    ['piece length', BigInt(t.pieceLength)],
    ['pieces', new Uint8Array(count * 20).fill(0x5a)],
    ...(t.folder
      ? [['files', files.map(([f, n]) => new BDict([['length', BigInt(n)], ['path', [te.encode(f)]]]))] as [string, BValue]]
      : [['length', BigInt(t.bundle)] as [string, BValue]])
  ])
  const at = (n: number | undefined, f: string): { path: string, length: number } | null => n === undefined ? null : { path: `${t.name}/${f}`, length: n }
  const shape: BundleTorrentShape = {
    name,
    length: t.bundle,
    pieceLength: t.pieceLength,
    pieceCount: count,
    bundlePath: t.folder ? `${t.name}/${t.name}.bundle` : name,
    push: t.folder ? { path: `${t.name}/${t.name}.push`, length: t.push } : null,
    index: t.folder ? at(t.index?.[0], `${t.name}.idx`) : null,
    reverseIndex: t.folder ? at(t.index?.[1] ?? undefined, `${t.name}.rev`) : null
  }
  const extra: Array<[string, BValue]> = [
    ...(t.trackers.length > 0 ? [['announce', te.encode(t.trackers[0]!)] as [string, BValue], ['announce-list', t.trackers.map(u => [te.encode(u)])] as [string, BValue]] : []),
    ...(t.webSeeds.length > 0 ? [['url-list', t.webSeeds.map(u => te.encode(u))] as [string, BValue]] : [])
  ]
  return { info, bytes: torrentBytes(info, extra), shape, trackers: t.trackers, webSeeds: t.webSeeds }
})

test('readTorrent + checkBundleTorrent: property: a torrent we would publish parses (infohash = SHA-1 of its info dictionary) and passes the policy as built', async () => {
  await fc.assert(fc.asyncProperty(validTorrent, maxSize, async (t, max) => {
    const parsed = await readTorrent(t.bytes, 'fuzz')
    assert.equal(parsed.infoHash, sha1(bencode(t.info)))
    assert.deepEqual(parsed.announce, [...new Set(t.trackers)])
    assert.deepEqual(parsed.urlList, [...new Set(t.webSeeds)])
    const r = policy(parsed.info as RawInfo, max)
    if (t.shape.length > max) assert.equal(r.ok ? 'accepted' : r.error.code, 'TOO_LARGE')
    else assert.deepEqual(r.ok ? r.value : r.error.message, t.shape)
  }), { seed: SEED, numRuns: 200 })
})

/**
 * Well-formed bencode: a torrent whose info fields have the policy fuzz's
 * values, and dictionaries (keys from `keys`) where bytes belong or beside
 * what is there: more keys in the info and file dictionaries, a name or a
 * path component that is a dictionary.
 */
function hostileTorrent (keys: string[]): fc.Arbitrary<Buffer> {
  const { value } = fc.letrec<{ value: BValue }>(tie => ({
    value: fc.oneof({ depthSize: 'small' },
      { weight: 1, arbitrary: fc.oneof(fc.bigInt(), fc.constantFrom(0n, -1n, 2n ** 53n, 2n ** 64n, -(2n ** 63n))) },
      { weight: 3, arbitrary: fc.uint8Array({ maxLength: 24 }) },
      { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 3 }) },
      { weight: 1, arbitrary: fc.array(fc.tuple(fc.constantFrom(...keys), tie('value')), { maxLength: 3 }).map(e => new BDict(e)) })
  }))
  const entries = fc.array(fc.tuple(fc.constantFrom(...keys), value), { minLength: 1, maxLength: 2 })
  // a fresh copy of a valid torrent's info dictionary, to be edited
  const copy = (v: BValue): BValue => v instanceof BDict ? new BDict(v.entries.map(([k, x]) => [k, copy(x)])) : Array.isArray(v) ? v.map(copy) : v
  return fc.record({
    info: fc.oneof({ weight: 2, arbitrary: infoPlan.map(p => () => toBValue(rawInfo(p)) as BDict) }, { weight: 1, arbitrary: validTorrent.map(t => () => copy(t.info) as BDict) }),
    stray: rarely(entries, 1),
    nameDict: rarely(entries),
    fileStray: rarely(entries),
    pathDict: rarely(entries),
    sortKeys: fc.boolean()
  }).map(({ info: fresh, stray, nameDict, fileStray, pathDict, sortKeys }) => {
    const info = fresh()
    for (const [i, [k, v]] of info.entries.entries()) {
      if (k === 'name' && nameDict !== null) info.entries[i] = ['name', new BDict(nameDict)]
      if (k !== 'files' || !Array.isArray(v)) continue
      for (const f of v) {
        if (!(f instanceof BDict)) continue
        if (fileStray !== null) f.entries.push(...fileStray)
        for (const [j, [fk, path]] of f.entries.entries()) {
          if (fk === 'path' && pathDict !== null && Array.isArray(path) && path.length > 0) f.entries[j] = ['path', [new BDict(pathDict), ...path.slice(1)]]
        }
      }
    }
    if (stray !== null) info.entries.push(...stray)
    return bencode(new BDict([['info', info]]), sortKeys)
  })
}

const POLICY_KEYS = ['name', 'name.utf-8', 'length', 'files', 'path', 'path.utf-8', 'piece length', 'pieces', 'private', 'x']

async function throughPolicy (bytes: Buffer, max: number, tally?: Tally): Promise<void> {
  const r = await outcomeAsync(() => readTorrent(bytes, 'fuzz'), ['BAD_RECORD'])
  if (!r.ok) return tally?.add('BAD_RECORD')
  assert.match(r.value.infoHash, /^[0-9a-f]{40}$/)
  const p = policy(r.value.info as RawInfo, max)
  tally?.add(p.ok ? 'accepted' : p.error.code)
}

test('readTorrent + checkBundleTorrent: property: well-formed bencoded torrents with fields of any type parse or give BAD_RECORD, then a shape or the policy\'s refusal', async (t) => {
  const tally = new Tally(t)
  await fc.assert(fc.asyncProperty(hostileTorrent(POLICY_KEYS), maxSize, async (b, max) => { await throughPolicy(b, max, tally) }), { seed: SEED, numRuns: 300 })
  assert.ok(tally.of('accepted') >= 20 && tally.of('UNSAFE_TORRENT') >= 50, JSON.stringify(tally.counts))
})

test('readTorrent + checkBundleTorrent: property: the same, with dictionaries that have a "__proto__" key', async () => {
  await fc.assert(fc.asyncProperty(hostileTorrent([...POLICY_KEYS, '__proto__', '__proto__', '__proto__']), maxSize, async (b, max) => { await throughPolicy(b, max) }), { seed: SEED, numRuns: 300 })
})

test('readTorrent + checkBundleTorrent: the "__proto__" counterexamples, pinned', async (t) => {
  const proto = new BDict([['__proto__', new Uint8Array(0)]])
  const file = (name: string, fake: boolean): BDict => new BDict([['length', 1n], ['path', [fake ? proto : te.encode(name)]], ['path.utf-8', [te.encode(name)]]])
  const cases: Array<[string, BDict]> = [
    ['a name that is a dictionary with a __proto__ key, beside name.utf-8', new BDict([['length', 1n], ['name', proto], ['name.utf-8', te.encode('x.bundle')],
      ['piece length', 16384n], ['pieces', new Uint8Array(20)]])],
    ['a file path of such a dictionary, beside path.utf-8', new BDict([['files', [file('r.bundle', true), file('r.push', false)]], ['name', te.encode('r')],
      ['piece length', 16384n], ['pieces', new Uint8Array(20)]])]
  ]
  for (const [name, info] of cases) await t.test(name, async () => { await throughPolicy(bencode(new BDict([['info', info]])), MiB) })
})

// ---------------------------------------------------------------------------
// Bytes and strings that may never come back: a child process with a clock and a heap limit
// (a worker thread is not enough: a fatal out-of-memory in a worker aborts the whole process)

type SandboxAnswer =
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
class ParserSandbox {
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

function sandbox (t: TestContext, timeoutMs = 2000): ParserSandbox {
  const sb = new ParserSandbox(timeoutMs, 96)
  t.after(async () => { await sb.close() })
  return sb
}

/** The sandbox's answer is a value or BAD_RECORD; a hang, a crash or another error fails the property. */
function sandboxValue (a: SandboxAnswer, input: unknown): unknown {
  const shown = typeof input === 'string' ? JSON.stringify(input.slice(0, 200)) : `bytes ${Buffer.from(input as Uint8Array).toString('latin1').slice(0, 200)}`
  if (a.kind === 'hang') assert.fail(`no answer within ${a.ms} ms for ${shown}`)
  if (a.kind === 'died') assert.fail(`the parser died (${a.message}) on ${shown}`)
  if (a.kind === 'error') {
    assert.ok(a.mirror && a.code === 'BAD_RECORD', `not our error type: ${a.name} ${a.code ?? ''}: ${a.message}`)
    return null
  }
  return a.value
}

/** Bencode-ish bytes: a start the decoder takes, then the tokens of the format in any order, with lengths and numbers that lie. */
const bencodeSoup = fc.tuple(
  fc.constantFrom('', 'd', 'l', 'd4:info', 'd4:infod', 'll', 'd4:infod4:name'),
  fc.array(fc.oneof(
    fc.constantFrom('d', 'l', 'e', 'i', ':', '-', '0', '1', '4', '9', '+', '.', 'de', 'le', 'i0e', 'i-1e', '4:info', '4:name', '6:length', '12:piece length',
      '6:pieces', '5:files', '4:path', '0:', '99999999999:', 'i99999999999999999999e', '8:x.bundle'),
    fc.tuple(fc.integer({ min: -40, max: 40 }), fc.string({ maxLength: 6 })).map(([n, str]) => `${n}:${str}`)
  ), { maxLength: 12 })
).map(([start, ts]) => latin1(start + ts.join('')))

/** A valid torrent, then bytes changed, removed, inserted, or cut off. */
const mutatedTorrent = fc.tuple(validTorrent, fc.array(fc.tuple(fc.constantFrom('set', 'delete', 'insert', 'truncate'), fc.nat(), fc.oneof(fc.integer({ min: 0, max: 255 }),
  fc.constantFrom(...'-:deil0123456789'.split('').map(c => c.charCodeAt(0))))), { minLength: 1, maxLength: 3 }))
  .map(([t, ms]) => ms.reduce((b, [op, at, byte]) => mutate(b, op, at, byte), t.bytes))

test('readTorrent: property: bytes that are not canonical bencode parse or give BAD_RECORD, in bounded time and memory', async (t) => {
  const sb = sandbox(t)
  const bytes = fc.oneof(fc.uint8Array({ maxLength: 64 }).map(b => Buffer.from(b)), bencodeSoup, mutatedTorrent)
  await fc.assert(fc.asyncProperty(bytes, async (b) => {
    const v = sandboxValue(await sb.run('torrent', b), b) as { infoHash: string, hasInfo: boolean } | null
    if (v !== null) assert.ok(v.hasInfo && /^[0-9a-f]{40}$/.test(v.infoHash), JSON.stringify(v))
  }), { seed: SEED, numRuns: 300, endOnFailure: true })
})

test('readTorrent: property: random bytes parse or give BAD_RECORD, in bounded time and memory', async (t) => {
  const sb = sandbox(t)
  const tally = new Tally(t)
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (b) => {
    const v = sandboxValue(await sb.run('torrent', b), b) as { infoHash: string, hasInfo: boolean } | null
    tally.add(v === null ? 'BAD_RECORD' : 'parsed')
    if (v !== null) assert.ok(v.hasInfo && /^[0-9a-f]{40}$/.test(v.infoHash), JSON.stringify(v))
  }), { seed: SEED, numRuns: 200, endOnFailure: true })
})

test('readTorrent: the bencode loop, pinned', async (t) => {
  const sb = sandbox(t, 300)
  for (const text of ['d-3:', 'l-3:']) sandboxValue(await sb.run('torrent', latin1(text)), latin1(text))
})

// ---------------------------------------------------------------------------
// Magnets (readMagnet)

const SCHEMES = ['http', 'https', 'udp', 'ws', 'wss', 'ftp', 'file', 'javascript', 'data', 'HTTP', 'x-udp']

function checkMagnet (m: MagnetSource): void {
  assert.match(m.infoHash, /^[0-9a-f]{40}$/)
  for (const u of m.announce) assert.ok(['http:', 'https:', 'udp:'].includes(new URL(u).protocol), u)
  for (const u of m.urlList) assert.ok(['http:', 'https:'].includes(new URL(u).protocol), u)
  assert.equal(new Set(m.announce).size, m.announce.length)
  assert.equal(new Set(m.urlList).size, m.urlList.length)
  assert.deepEqual(Object.keys(m).sort(), ['announce', 'infoHash', 'urlList'])
}

const schemeUrl = fc.tuple(fc.constantFrom(...SCHEMES), fc.webUrl()).map(([s, u]) => u.replace(/^[a-z]+:/, `${s}:`))

test('readMagnet: property: a magnet URI our printer writes gives back its infohash, its http(s)/udp trackers and http(s) web seeds', async () => {
  const uniq = (a: string[]): string[] => [...new Set(a)]
  const ok = (u: string, schemes: string[]): boolean => { try { return schemes.includes(new URL(u).protocol) } catch { return false } }
  await fc.assert(fc.asyncProperty(hex(40), fc.array(schemeUrl, { maxLength: 4 }), fc.array(schemeUrl, { maxLength: 4 }), async (infoHash, trackers, webSeeds) => {
    const uri = await magnetOf({ infoHash, name: 'repo-0123456789ab.bundle', announce: trackers, urlList: webSeeds } as unknown as ParsedTorrent)
    const m = await readMagnet(uri, 'fuzz')
    checkMagnet(m)
    assert.deepEqual(m, {
      infoHash,
      announce: uniq(trackers).filter(u => ok(u, ['http:', 'https:', 'udp:'])),
      urlList: uniq(webSeeds).filter(u => ok(u, ['http:', 'https:']))
    })
  }), { seed: SEED, numRuns: 200 })
})

test('readMagnet: property: any string gives a reduced magnet (v1 infohash, http(s)/udp trackers, http(s) web seeds) or BAD_RECORD, in bounded time and memory', async (t) => {
  const sb = sandbox(t)
  const selectOnly = fc.tuple(fc.nat(100), fc.oneof(fc.nat(100), fc.integer({ min: 0, max: 2 ** 32 }))).map(([a, b]) => `so=${a}-${b}`)
  const uri = fc.oneof(
    magnetText,
    fc.tuple(BTIH, fc.array(fc.oneof(magnetParam, selectOnly, schemeUrl.map(u => `tr=${encodeURIComponent(u)}`), schemeUrl.map(u => `ws=${encodeURIComponent(u)}`)), { maxLength: 4 }))
      .map(([h, ps]) => `magnet:?xt=urn:btih:${h}&${ps.join('&')}`)
  )
  await fc.assert(fc.asyncProperty(uri, async (s) => {
    const v = sandboxValue(await sb.run('magnet', s), s) as MagnetSource | null
    if (v !== null) checkMagnet(v)
  }), { seed: SEED, numRuns: 300, endOnFailure: true })
})

test('readMagnet: property: magnet-shaped text without a select-only (so=) range gives a reduced magnet or BAD_RECORD, in bounded time and memory', async (t) => {
  const sb = sandbox(t)
  const tally = new Tally(t)
  const uri = fc.tuple(BTIH, fc.array(fc.oneof(magnetParam, schemeUrl.map(u => `tr=${encodeURIComponent(u)}`), schemeUrl.map(u => `ws=${encodeURIComponent(u)}`)), { maxLength: 5 }))
    .map(([h, ps]) => `magnet:?xt=urn:btih:${h}&${ps.join('&')}`)
  await fc.assert(fc.asyncProperty(fc.oneof(uri, magnetText), async (s) => {
    const v = sandboxValue(await sb.run('magnet', s), s) as MagnetSource | null
    if (v !== null) checkMagnet(v)
    tally.add(v === null ? 'BAD_RECORD' : v.announce.length + v.urlList.length > 0 ? 'magnet with sources' : 'magnet')
  }), { seed: SEED, numRuns: 300, endOnFailure: true })
  assert.ok(tally.of('magnet with sources') >= 10, JSON.stringify(tally.counts))
})

// ---------------------------------------------------------------------------
// Public keys (src/core/public-key.ts)

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex')

/** An ed25519 key pair from a 32-byte seed: random keys, the same on every run. */
function keyPair (seed: Uint8Array): { privateKey: KeyObject, publicKey: PublicKey } {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' })
  const x = createPublicKey(privateKey).export({ format: 'jwk' }).x!
  return { privateKey, publicKey: publicKeyFromRaw(Buffer.from(x, 'base64url')) }
}
const keySeed = fc.uint8Array({ minLength: 32, maxLength: 32 })

function sshString (b: Uint8Array, len = b.length): Buffer {
  const n = Buffer.alloc(4)
  n.writeUInt32BE(len)
  return Buffer.concat([n, b])
}

/** `ssh-ed25519 <base64 of a blob>`: blobs right and wrong (type, lengths that lie, trailing bytes, small-order points), base64 canonical or not. */
const keyLine = fc.record({
  prefix: fc.oneof({ weight: 6, arbitrary: fc.constant('ssh-ed25519') }, { weight: 1, arbitrary: fc.constantFrom('ssh-rsa', 'SSH-ED25519', 'ssh-ed25519\u0000', '', 'ecdsa-sha2-nistp256') }),
  sep: fc.constantFrom(' ', ' ', ' ', '\t', '   ', '\u00a0', '\n', ''),
  type: fc.oneof({ weight: 6, arbitrary: fc.constant('ssh-ed25519') }, { weight: 1, arbitrary: fc.constantFrom('ssh-rsa', 'ssh-ed2551', 'ssh-ed25519\u0000', '') }),
  typeLen: rarely(fc.oneof(fc.nat(20), fc.constant(0xffffffff)), 5),
  key: fc.oneof({ weight: 4, arbitrary: keySeed }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.constantFrom('01' + '00'.repeat(31), '00'.repeat(32), 'ec' + 'ff'.repeat(30) + '7f').map(h => Buffer.from(h, 'hex')) }),
  keyLen: rarely(fc.oneof(fc.nat(40), fc.constant(0xfffffffc)), 5),
  trailer: rarely(fc.uint8Array({ minLength: 1, maxLength: 4 }), 5),
  mangle: fc.oneof({ weight: 6, arbitrary: fc.constant('none') }, { weight: 1, arbitrary: fc.constantFrom('strip-padding', 'add-padding', 'last-char', 'url-safe', 'space-inside') }),
  comment: fc.option(fc.string({ unit: 'binary', maxLength: 20 }))
}).map(k => {
  const wire = Buffer.concat([sshString(Buffer.from(k.type, 'latin1'), k.typeLen ?? undefined), sshString(k.key, k.keyLen ?? undefined), k.trailer ?? Buffer.alloc(0)])
  let b64 = wire.toString('base64')
  if (k.mangle === 'strip-padding') b64 = b64.replace(/=+$/, '')
  if (k.mangle === 'add-padding') b64 += '='
  if (k.mangle === 'last-char') b64 = b64.slice(0, -1) + (b64.endsWith('A') ? 'B' : 'A')
  if (k.mangle === 'url-safe') b64 = b64.replace(/\+/g, '-').replace(/\//g, '_')
  if (k.mangle === 'space-inside') b64 = `${b64.slice(0, 10)} ${b64.slice(10)}`
  return `${k.prefix}${k.sep}${b64}${k.comment === null ? '' : ` ${k.comment}`}`
})

const parseKey = (line: string): Outcome<PublicKey> => outcome(() => parsePublicKey(line, 'fuzz'), ['BAD_KEY'])

test('parsePublicKey: property: any text gives an ed25519 key whose text is the line\'s own key field, or BAD_KEY', (t) => {
  const tally = new Tally(t)
  const line = fc.oneof({ weight: 3, arbitrary: keyLine }, { weight: 1, arbitrary: anyText }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }).map(s => `ssh-ed25519 ${s}`) })
  fc.assert(fc.property(line, (line) => {
    const r = parseKey(line)
    tally.add(r.ok ? 'key' : r.error.message.replace(/^fuzz /, ''))
    if (!r.ok) return
    const k = r.value
    assert.equal(k.raw.length, 32)
    assert.equal(k.id, sha1(k.raw))
    assert.equal(k.text, `ssh-ed25519 ${line.trim().split(/\s+/)[1]}`)
    assert.deepEqual(parsePublicKey(k.text, 'again'), k)
  }), { seed: SEED, numRuns: 1000 })
  assert.ok(tally.of('key') >= 100, JSON.stringify(tally.counts))
})

test('parsePublicKey: property: a key\'s text (with or without a comment and white space) parses back to the same key', () => {
  fc.assert(fc.property(keySeed, fc.constantFrom('', ' ', '\t', '\n'), fc.option(fc.string({ maxLength: 20 })), (seed, space, comment) => {
    const k = keyPair(seed).publicKey
    const line = `${space}${k.text}${comment === null ? '' : ` ${comment}`}${space}`
    assert.deepEqual(parsePublicKey(line, 'fuzz'), k)
  }), { seed: SEED, numRuns: 200 })
})

test('parsePublicKey: property: any 32 bytes make a key that round-trips, unless a small-order point (BAD_KEY)', () => {
  fc.assert(fc.property(keySeed, (raw) => {
    const k = publicKeyFromRaw(raw)
    const r = parseKey(k.text)
    if (r.ok) assert.deepEqual(r.value, k)
    else assert.match(r.error.message, /small-order/)
  }), { seed: SEED, numRuns: 300 })
})

// ---------------------------------------------------------------------------
// Push objects (src/core/push-object.ts)

/** Push object fields in the documented ranges: counts and Unix seconds as decimal numbers of at most 15 digits. */
const MAX_DECIMAL = 10 ** 15 - 1
const decimalNumber = (min: number): fc.Arbitrary<number> => fc.oneof(fc.integer({ min, max: min + 10_000 }), fc.integer({ min, max: MAX_DECIMAL }))
const digest = fc.record({ sha256: hex(64), size: decimalNumber(1) }, { noNullPrototype: true })

const pushFields: fc.Arbitrary<PushObjectFields> = fc.record({
  project: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
  sequence: decimalNumber(1),
  prev: hex(64).filter(h => h !== ZERO_ID),
  created: fc.integer({ min: 0, max: MAX_DECIMAL - 1 }),
  ttl: fc.integer({ min: 1, max: 10 ** 9 }),
  bundle: fc.record({ sha256: hex(64), size: decimalNumber(1), infoHash: hex(40) }, { noNullPrototype: true }),
  index: fc.option(digest, { nil: undefined }),
  reverseIndex: fc.option(digest, { nil: undefined }),
  refs: refList
}).map(({ ttl, ...f }) => ({
  ...f,
  prev: f.sequence === 1 ? ZERO_ID : f.prev,
  expires: Math.min(f.created + ttl, MAX_DECIMAL),
  reverseIndex: f.index === undefined ? undefined : f.reverseIndex
}))

const signed = fc.tuple(pushFields, keySeed).map(([fields, seed]) => {
  const { privateKey, publicKey } = keyPair(seed)
  return { fields, signer: publicKey, sign: (m: Buffer): Buffer => sign(null, m, privateKey) }
})

function checkPushObject (po: PushObject, input: Buffer): void {
  assert.ok(po.bytes.equals(input))
  assert.equal(po.id, pushObjectId(input))
  assert.equal(po.signature.length, 64)
  assert.ok(po.signed.equals(input.subarray(0, po.signed.length)))
  assert.equal(input.subarray(po.signed.length).toString('utf8'), `signature ${po.signature.toString('base64')}\n`)
  // what parses is the canonical text of what it says
  assert.ok(encodeUnsigned(po, po.signer).equals(po.signed), 'the parsed fields print to the same text')
}

test('encodePushObject / parsePushObject: property: fields in range round-trip, byte for byte, and the signature covers the text', () => {
  fc.assert(fc.property(signed, ({ fields, signer, sign }) => {
    const po = encodePushObject(fields, signer, sign)
    const back = parsePushObject(po.bytes, 'fuzz')
    assert.deepEqual(back, po)
    checkPushObject(back, po.bytes)
    assert.deepEqual({
      project: back.project, sequence: back.sequence, created: back.created, expires: back.expires, prev: back.prev,
      bundle: back.bundle, index: back.index, reverseIndex: back.reverseIndex, refs: back.refs
    }, { ...fields, index: fields.index ?? null, reverseIndex: fields.reverseIndex ?? null, refs: sortRefs(fields.refs) })
    assert.equal(back.signer.text, signer.text)
    assert.ok(verifySignature(back.signer, back.signed, back.signature))
  }), { seed: SEED, numRuns: 200 })
})

test('encodePushObject / parsePushObject: property: any fields encodeUnsigned accepts parse back', () => {
  const anySafe = fc.oneof(fc.integer({ min: -(10 ** 6), max: 10 ** 6 }), fc.constantFrom(10 ** 15, Number.MAX_SAFE_INTEGER - 1, -1))
  const wide = fc.tuple(signed, anySafe, anySafe).map(([s, created, ttl]) => ({ ...s, fields: { ...s.fields, created, expires: created + Math.max(1, Math.abs(ttl)) } }))
  fc.assert(fc.property(wide, ({ fields, signer, sign }) => {
    try { encodeUnsigned(fields, signer) } catch { return }   // fields the printer refuses (RangeError) are not the question
    const po = encodePushObject(fields, signer, sign)   // parses its own text
    assert.equal(po.created, fields.created)
  }), { seed: SEED, numRuns: 200 })
})

const pushLine = fc.oneof(
  fc.constantFrom('git-torrent-mirror push object 1', 'git-torrent-mirror push object 2', 'project x', 'project ', 'project .x', 'sequence 0', 'sequence 01', 'sequence -1',
    'sequence 1000000000000000', 'created 1', 'expires 0', `prev ${ZERO_ID}`, `prev ${'A'.repeat(64)}`, `bundle ${'e'.repeat(64)} 0 ${'5'.repeat(40)}`,
    `index ${'e'.repeat(64)} 1`, `reverse-index ${'e'.repeat(64)} 1`, 'signer ssh-ed25519 AAAA', `${'a'.repeat(40)} HEAD`, `${'a'.repeat(40)} refs/heads/../x`,
    `signature ${Buffer.alloc(64).toString('base64')}`, `signature ${Buffer.alloc(63).toString('base64')}`, 'signature', ''),
  fc.tuple(fc.constantFrom('project', 'sequence', 'created', 'expires', 'prev', 'bundle', 'index', 'reverse-index', 'signer', 'signature'), fc.string({ unit: 'binary', maxLength: 30 }))
    .map(([k, v]) => `${k} ${v}`),
  fc.tuple(oid, anyRefName).map(([o, n]) => `${o} ${n}`)
)

const parsePush = (bytes: Buffer): Outcome<PushObject> => outcome(() => parsePushObject(bytes, 'fuzz'), ['BAD_PUSH_OBJECT'])

test('parsePushObject: property: a push object with bytes or lines changed, moved or cut gives a canonical push object or BAD_PUSH_OBJECT', (t) => {
  const tally = new Tally(t)
  fc.assert(fc.property(signed, fc.array(edit(pushLine), { minLength: 1, maxLength: 2 }), ({ fields, signer, sign }, edits) => {
    const bytes = edits.reduce(applyEdit, encodePushObject(fields, signer, sign).bytes)
    const r = parsePush(bytes)
    tally.add(r.ok ? 'parsed' : 'BAD_PUSH_OBJECT')
    if (r.ok) checkPushObject(r.value, bytes)
  }), { seed: SEED, numRuns: 500 })
  assert.ok(tally.of('parsed') >= 25, `some changes (a signature byte, a digit, a ref) still parse: ${JSON.stringify(tally.counts)}`)
})

test('parsePushObject: property: random bytes and line soup give BAD_PUSH_OBJECT (or, by chance, a canonical push object)', () => {
  const soup = fc.array(pushLine, { maxLength: 14 }).map(ls => Buffer.from(ls.map(l => `${l}\n`).join('')))
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }).map(b => Buffer.from(b)), soup), (bytes) => {
    const r = parsePush(bytes)
    if (r.ok) checkPushObject(r.value, bytes)
  }), { seed: SEED, numRuns: 1000 })
})

// ---------------------------------------------------------------------------
// Sizes and rates (src/core/format.ts)

const sizeText = fc.oneof(
  fc.tuple(fc.constantFrom('', ' ', '0', '-'), fc.stringMatching(/^[0-9]{1,20}$/), fc.constantFrom('', '', '.5', '.', '.000', '.25e'), fc.constantFrom('', ' ', '\t', '  '),
    fc.constantFrom('', 'B', 'K', 'k', 'KiB', 'KB', 'kib', 'M', 'MiB', 'G', 'Gi', 'T', 'TiB', 'P', 'iB', 'KiBB', 'Ki B'), fc.constantFrom('', '', ' ', '/s', '/S', '/s/s', 'x'))
    .map(parts => parts.join('')),
  fc.array(fc.constantFrom('0', '1', '5', '9', '.', '..', 'K', 'k', 'i', 'I', 'B', 'b', 'M', 'G', 'T', 'P', ' ', '\t', '-', '+', 'e', '/s', '/S', 'iB',
    '9'.repeat(20), '1e3', '0x10', '\u0663', '\u00a0', '\u2009', 'Infinity', 'NaN'), { maxLength: 8 }).map(a => a.join('')),
  anyText
)

test('parseSize / parseRate: property: any text gives null or a whole number of bytes, never a throw', (t) => {
  const tally = new Tally(t)
  fc.assert(fc.property(sizeText, (text) => {
    const s = parseSize(text)
    tally.add(s === null ? 'null' : 'size')
    assert.ok(s === null || (Number.isSafeInteger(s) && s > 0), `parseSize(${JSON.stringify(text)}) = ${s}`)
    const r = parseRate(text)
    assert.ok(r === null || (Number.isSafeInteger(r) && r >= 0), `parseRate(${JSON.stringify(text)}) = ${r}`)
    // a rate is a size per second, or 0
    if (s !== null) assert.equal(parseRate(text), s)
    if (s !== null) assert.equal(parseRate(`${text}/s`), s)
  }), { seed: SEED, numRuns: 2000 })
})

test('parseSize / parseRate: property: a number with a unit parses to number × unit', () => {
  const units: Array<[string, number]> = [['', 1], ['B', 1], ['K', 2 ** 10], ['KiB', 2 ** 10], ['kb', 2 ** 10], ['M', 2 ** 20], ['MiB', 2 ** 20], ['G', 2 ** 30], ['gi', 2 ** 30], ['T', 2 ** 40], ['TiB', 2 ** 40]]
  fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.constantFrom(...units), fc.constantFrom('', ' '), fc.constantFrom('', '/s'), (n, [unit, scale], space, perSecond) => {
    const want = Number.isSafeInteger(n * scale) ? n * scale : null
    assert.equal(parseSize(`${n}${unit === '' ? '' : space}${unit}`), want)
    assert.equal(parseRate(`${n}${unit === '' ? '' : space}${unit}${perSecond}`), want)
  }), { seed: SEED, numRuns: 500 })
})

test('parseSize / parseRate: property: what formatBytes and formatRate print parses back to within their rounding (0.5%)', () => {
  fc.assert(fc.property(fc.oneof(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 2 ** 50 })), (n) => {
    const size = parseSize(formatBytes(n))
    const rate = parseRate(formatRate(n))
    for (const back of [size, rate]) {
      assert.ok(back !== null, formatBytes(n))
      if (n < 1024) assert.equal(back, n)
      else assert.ok(Math.abs(back - n) <= n * 0.005 + 1, `${n} -> ${formatBytes(n)} -> ${back}`)
    }
  }), { seed: SEED, numRuns: 1000 })
  assert.equal(parseRate(formatRate(0)), 0)
})
