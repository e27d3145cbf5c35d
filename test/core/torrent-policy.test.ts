import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkBundleTorrent, MAX_ACCEPTED_PIECE_LENGTH, type RawInfo } from '../../src/core/torrent-policy.js'

const REF = 'refs/mirrors/bundle/torrent'
const KiB = 1024
const MiB = 1024 * KiB

/** A raw info dictionary as bencode.decode gives it: strings as bytes. */
function info (o: { name?: string, length?: number, pieceLength?: number, pieces?: number } = {}): RawInfo {
  const length = o.length ?? 100 * KiB
  const pieceLength = o.pieceLength ?? 16 * KiB
  const count = o.pieces ?? Math.ceil(length / pieceLength)
  return {
    name: new TextEncoder().encode(o.name ?? 'repo-0123456789ab.bundle'),
    length,
    'piece length': pieceLength,
    pieces: new Uint8Array(count * 20)
  }
}

const OPTS = { maxSize: 10 * MiB, ref: REF }

test('checkBundleTorrent: accepted shapes', async (t) => {
  const cases: Array<[string, RawInfo, { name: string, length: number, pieceLength: number, pieceCount: number }]> = [
    ['typical', info(), { name: 'repo-0123456789ab.bundle', length: 100 * KiB, pieceLength: 16 * KiB, pieceCount: 7 }],
    ['length an exact multiple of the piece length', info({ length: 64 * KiB }), { name: 'repo-0123456789ab.bundle', length: 64 * KiB, pieceLength: 16 * KiB, pieceCount: 4 }],
    ['one byte', info({ length: 1 }), { name: 'repo-0123456789ab.bundle', length: 1, pieceLength: 16 * KiB, pieceCount: 1 }],
    ['exactly maxSize', info({ length: 10 * MiB, pieceLength: 64 * MiB }), { name: 'repo-0123456789ab.bundle', length: 10 * MiB, pieceLength: 64 * MiB, pieceCount: 1 }],
    ['name as a JS string', { ...info(), name: 'x.bundle' }, { name: 'x.bundle', length: 100 * KiB, pieceLength: 16 * KiB, pieceCount: 7 }],
    ['matching name.utf-8', { ...info({ name: 'a+b_c.bundle' }), 'name.utf-8': new TextEncoder().encode('a+b_c.bundle') }, { name: 'a+b_c.bundle', length: 100 * KiB, pieceLength: 16 * KiB, pieceCount: 7 }]
  ]
  for (const [name, raw, want] of cases) {
    await t.test(name, () => {
      assert.deepEqual(checkBundleTorrent(raw, OPTS), { ...want, bundlePath: want.name, push: null, index: null, reverseIndex: null })
    })
  }
})

/** A signed publish's info dictionary: folder `name` holding the bundle and its push object. */
function folder (o: { name?: string, files?: Array<[string, number]>, pieceLength?: number, pieces?: number } = {}): RawInfo {
  const name = o.name ?? 'repo-0123456789ab'
  const files = o.files ?? [[`${name}.bundle`, 100 * KiB], [`${name}.push`, 900]]
  const pieceLength = o.pieceLength ?? 16 * KiB
  const total = files.reduce((n, [, l]) => n + l, 0)
  return {
    name: new TextEncoder().encode(name),
    files: files.map(([p, length]) => ({ length, path: [new TextEncoder().encode(p)] })),
    'piece length': pieceLength,
    pieces: new Uint8Array((o.pieces ?? Math.ceil(total / pieceLength)) * 20)
  }
}

test('checkBundleTorrent: a signed publish\'s folder of bundle and push object', async (t) => {
  await t.test('bundle then push object', () => {
    assert.deepEqual(checkBundleTorrent(folder(), OPTS), {
      name: 'repo-0123456789ab', length: 100 * KiB, pieceLength: 16 * KiB, pieceCount: 7,
      bundlePath: 'repo-0123456789ab/repo-0123456789ab.bundle', push: { path: 'repo-0123456789ab/repo-0123456789ab.push', length: 900 },
      index: null, reverseIndex: null
    })
  })
  await t.test('with the pack\'s index and reverse index', () => {
    const shape = checkBundleTorrent(folder({ name: 'r', files: [['r.bundle', 100 * KiB], ['r.idx', 3000], ['r.rev', 500], ['r.push', 900]] }), OPTS)
    assert.deepEqual(shape.index, { path: 'r/r.idx', length: 3000 })
    assert.deepEqual(shape.reverseIndex, { path: 'r/r.rev', length: 500 })
    assert.equal(shape.length, 100 * KiB)
    assert.equal(shape.pieceCount, Math.ceil((100 * KiB + 4400) / (16 * KiB)))
  })
  await t.test('with the index alone', () => {
    const shape = checkBundleTorrent(folder({ name: 'r', files: [['r.bundle', 100 * KiB], ['r.idx', 3000], ['r.push', 900]] }), OPTS)
    assert.deepEqual(shape.index, { path: 'r/r.idx', length: 3000 })
    assert.equal(shape.reverseIndex, null)
  })
  await t.test('push object first', () => {
    const shape = checkBundleTorrent(folder({ files: [['r.push', 10], ['r.bundle', 5]], name: 'r' }), OPTS)
    assert.equal(shape.bundlePath, 'r/r.bundle')
    assert.deepEqual(shape.push, { path: 'r/r.push', length: 10 })
    assert.equal(shape.pieceCount, 1)
  })
  const refused: Array<[string, RawInfo, RegExp]> = [
    ['one file only', folder({ files: [['repo-0123456789ab.bundle', 10]] }), /holds "repo-0123456789ab\.bundle"; a bundle torrent's folder holds exactly/],
    ['a third file', folder({ files: [['repo-0123456789ab.bundle', 10], ['repo-0123456789ab.push', 10], ['x.sh', 1]] }), /holds exactly/],
    ['a reverse index without an index', folder({ name: 'r', files: [['r.bundle', 10], ['r.push', 10], ['r.rev', 1]] }), /optionally r\.idx and r\.rev/],
    ['an index larger than any index of that bundle', folder({ name: 'r', files: [['r.bundle', 10], ['r.push', 10], ['r.idx', 65557]] }), /its r\.idx is 65557 bytes, more than an index of a 10-byte bundle can be/],
    ['a reverse index larger than any of that bundle', folder({ name: 'r', files: [['r.bundle', 10], ['r.push', 10], ['r.idx', 100], ['r.rev', 70000]] }), /its r\.rev is 70000 bytes/],
    ['other names', folder({ files: [['other.bundle', 10], ['other.push', 10]] }), /holds exactly repo-0123456789ab\.bundle and repo-0123456789ab\.push/],
    ['the same file twice', folder({ files: [['repo-0123456789ab.bundle', 10], ['repo-0123456789ab.bundle', 10]] }), /holds repo-0123456789ab\.bundle twice/],
    ['empty file list', { ...folder(), files: [] }, /malformed file list/],
    ['file list not an array', { ...folder(), files: {} }, /malformed file list/],
    ['a path of two components', { ...folder(), files: [{ length: 1, path: [new TextEncoder().encode('..'), new TextEncoder().encode('x.bundle')] }] }, /not a plain name in its folder/],
    ['a path climbing out', { ...folder(), files: [{ length: 1, path: [new TextEncoder().encode('../x.bundle')] }] }, /not a plain name in its folder/],
    ['a hidden file', folder({ files: [['.x', 1], ['repo-0123456789ab.push', 1]] }), /not a plain name in its folder/],
    ['folder name with ..', folder({ name: 'a..b' }), /folder name "a\.\.b" is not a plain name/],
    ['folder name ending .bundle', folder({ name: 'x.bundle', files: [['x.bundle.bundle', 1], ['x.bundle.push', 1]] }), /folder name "x\.bundle" is not a plain name/],
    ['folder name absolute', folder({ name: '/etc' }), /is not a plain name/],
    ['a file of length 0', folder({ files: [['repo-0123456789ab.bundle', 10], ['repo-0123456789ab.push', 0]] }), /no valid length for repo-0123456789ab\.push/],
    ['push object over the limit', folder({ files: [['repo-0123456789ab.bundle', 10], ['repo-0123456789ab.push', 16 * MiB + 1]], pieceLength: 64 * MiB }), /push object is 16777217 bytes, over the 16777216-byte limit/],
    ['piece table for the bundle alone', folder({ pieces: 7, files: [['repo-0123456789ab.bundle', 100 * KiB], ['repo-0123456789ab.push', 20 * KiB]] }), /piece table does not match the length \(8 pieces expected\)/],
    ['path.utf-8 differs', { ...folder(), files: [{ length: 1, path: [new TextEncoder().encode('repo-0123456789ab.bundle')], 'path.utf-8': [new TextEncoder().encode('../x')] }] }, /path\.utf-8 differs/]
  ]
  for (const [name, raw, why] of refused) {
    await t.test(`refused: ${name}`, () => {
      assert.throws(() => checkBundleTorrent(raw, OPTS), (err: any) => {
        assert.equal(err.code, 'UNSAFE_TORRENT')
        assert.match(err.message, why)
        return true
      })
    })
  }
  await t.test('the bundle over maxSize is TOO_LARGE', () => {
    assert.throws(() => checkBundleTorrent(folder({ files: [['repo-0123456789ab.bundle', 10 * MiB + 1], ['repo-0123456789ab.push', 5]], pieceLength: 64 * MiB }), OPTS), { code: 'TOO_LARGE' })
  })
})

test('checkBundleTorrent: unsafe torrents are refused with UNSAFE_TORRENT naming the ref', async (t) => {
  const cases: Array<[string, RawInfo, RegExp]> = [
    ['multi-file named like a bundle', { ...info(), files: [{ length: 1, path: [new TextEncoder().encode('a.bundle')] }] }, /folder name "repo-0123456789ab\.bundle" is not a plain name/],
    ['multi-file, empty', { ...info({ name: 'repo' }), files: [] }, /malformed file list/],
    ['no name', { ...info(), name: undefined }, /has no name/],
    ['name is a number', { ...info(), name: 42 }, /has no name/],
    ['../ name', info({ name: '../x.bundle' }), /file name "\.\.\/x\.bundle" is not a plain <name>\.bundle/],
    ['../../ deeper', info({ name: '../../home/u/.bashrc.bundle' }), /is not a plain <name>\.bundle/],
    ['absolute name', info({ name: '/etc/x.bundle' }), /is not a plain <name>\.bundle/],
    ['windows absolute name', info({ name: 'C:\\x.bundle' }), /is not a plain <name>\.bundle/],
    ['backslash traversal', info({ name: '..\\x.bundle' }), /is not a plain <name>\.bundle/],
    ['a directory in the name', info({ name: 'dir/x.bundle' }), /is not a plain <name>\.bundle/],
    ['.. inside the name', info({ name: 'a..bundle' }), /is not a plain <name>\.bundle/],
    ['hidden file', info({ name: '.x.bundle' }), /is not a plain <name>\.bundle/],
    ['not .bundle', info({ name: 'x.exe' }), /is not a plain <name>\.bundle/],
    ['bare .bundle', info({ name: '.bundle' }), /is not a plain <name>\.bundle/],
    ['space', info({ name: 'a b.bundle' }), /is not a plain <name>\.bundle/],
    ['NUL', info({ name: 'a\u0000.bundle' }), /is not a plain <name>\.bundle/],
    ['201 characters', info({ name: `${'a'.repeat(194)}.bundle` }), /is not a plain <name>\.bundle/],
    ['name.utf-8 mismatch', { ...info({ name: 'x.bundle' }), 'name.utf-8': new TextEncoder().encode('../x.bundle') }, /name\.utf-8 differs from name/],
    ['name.utf-8 not text', { ...info({ name: 'x.bundle' }), 'name.utf-8': 7 }, /name\.utf-8 differs from name/],
    ['no length', { ...info(), length: undefined }, /has no valid length/],
    ['zero length', info({ length: 0, pieces: 0 }), /has no valid length/],
    ['negative length', info({ length: -1, pieces: 0 }), /has no valid length/],
    ['fractional length', info({ length: 1.5, pieces: 1 }), /has no valid length/],
    ['length as a string', { ...info(), length: '100' }, /has no valid length/],
    ['piece length 8 KiB', info({ pieceLength: 8 * KiB }), /piece length 8192 is not a power of two between 16 KiB and 64 MiB/],
    ['piece length 128 MiB', info({ pieceLength: 128 * MiB }), /piece length 134217728 is not a power of two/],
    ['piece length not a power of two', info({ pieceLength: 48 * KiB }), /piece length 49152 is not a power of two/],
    ['piece length missing', { ...info(), 'piece length': undefined }, /piece length undefined is not a power of two/],
    ['too few pieces', info({ pieces: 6 }), /piece table does not match the length \(7 pieces expected\)/],
    ['too many pieces', info({ pieces: 8 }), /piece table does not match the length \(7 pieces expected\)/],
    ['piece table not bytes', { ...info(), pieces: 'x'.repeat(140) }, /piece table does not match/],
    ['piece table not a multiple of 20', { ...info(), pieces: new Uint8Array(139) }, /piece table does not match/]
  ]
  for (const [name, raw, why] of cases) {
    await t.test(name, () => {
      assert.throws(() => checkBundleTorrent(raw, OPTS), (err: any) => {
        assert.equal(err.name, 'MirrorError')
        assert.equal(err.code, 'UNSAFE_TORRENT')
        assert.ok(err.message.startsWith(`${REF}: `), err.message)
        assert.match(err.message, why)
        assert.deepEqual(err.data, { ref: REF })
        return true
      })
    })
  }
})

test('checkBundleTorrent: too large is TOO_LARGE with the sizes', () => {
  assert.throws(() => checkBundleTorrent(info({ length: 10 * MiB + 1 }), OPTS), (err: any) => {
    assert.equal(err.code, 'TOO_LARGE')
    assert.equal(err.message, `${REF}: the bundle is ${10 * MiB + 1} bytes, over the limit of ${10 * MiB}`)
    assert.deepEqual(err.data, { ref: REF, length: 10 * MiB + 1, maxSize: 10 * MiB })
    return true
  })
})

test('checkBundleTorrent: every power of two from 16 KiB to 64 MiB is accepted', () => {
  for (let p = 16 * KiB; p <= MAX_ACCEPTED_PIECE_LENGTH; p *= 2) {
    assert.equal(checkBundleTorrent(info({ length: 3 * p + 1, pieceLength: p }), { maxSize: 2 ** 40, ref: REF }).pieceCount, 4)
  }
})

test('checkBundleTorrent: a fractional piece length is refused', () => {
  assert.throws(() => checkBundleTorrent(info({ pieceLength: 16384.5, pieces: 7 }), OPTS), { code: 'UNSAFE_TORRENT' })
})
