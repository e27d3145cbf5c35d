// Property-based tests of the bundle header parser (parseBundleHeader): whatever
// the bytes, it answers a header, null ("read more") or BAD_BUNDLE; anything
// else escaping is a bug. Shared pieces: test/helpers/fuzz.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { parseBundleHeader, type BundleHeader } from '../../src/core/bundle-header.js'
import { type Ref } from '../../src/core/ref-list.js'
import { isOid, isSafeRefName } from '../../src/core/refs.js'
import { anyRefName, applyEdit, edit, hex, latin1, oid, outcome, refList, SEED, Tally, type Outcome } from '../helpers/fuzz.js'

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
