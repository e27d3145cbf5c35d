// Property-based tests of the torrent policy (checkBundleTorrent) and of the
// torrent and magnet readers (readTorrent, readMagnet): whatever the input,
// a safe shape or value, or our MirrorError with its code; anything else
// escaping is a bug.
//
// readTorrent and readMagnet run in a child process with a time and heap limit
// (ParserSandbox in test/helpers/fuzz.ts): the libraries under them can loop
// forever or run out of memory on a few hostile bytes, and that must fail a
// property, not hang or kill the test runner.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { MAX_PUSH_OBJECT_BYTES } from '../../src/core/push-object.js'
import { checkBundleTorrent, MAX_ACCEPTED_PIECE_LENGTH, type BundleTorrentShape, type RawInfo } from '../../src/core/torrent-policy.js'
import { magnetOf, readMagnet, readTorrent, type MagnetSource, type ParsedTorrent } from '../../src/io/torrent/torrent-file.js'
import {
  BTIH, hex, latin1, magnetParam, magnetText, mutate, outcome, outcomeAsync, rarely, sandbox, sandboxValue, SEED, sha1, Tally,
  type Outcome
} from '../helpers/fuzz.js'

const KiB = 1024
const MiB = 1024 * KiB

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
