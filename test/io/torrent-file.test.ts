// makeTorrent / retargetTorrent / readTorrent on real files, decoded with bencode.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import bencode from 'bencode'
import { encodeTorrent, magnetOf, makeTorrent, readTorrent, retargetTorrent, setPrivateFlag } from '../../src/io/torrent/torrent-file.js'
import { PieceHasher } from '../../src/core/piece-hasher.js'
import { checkBundleTorrent } from '../../src/core/torrent-policy.js'
import { parseMagnetRecord } from '../../src/core/records.js'

const T1 = 'udp://127.0.0.1:6969/announce'
const T2 = 'http://127.0.0.1:8000/announce'
const W1 = 'http://127.0.0.1:8080/repo-0123456789ab.bundle'
const NAME = 'repo-0123456789ab.bundle'
const PIECE = 16 * 1024

/** Deterministic pseudo-random bytes. */
function content (size: number, seed = 'seed'): Buffer {
  const out: Buffer[] = []
  for (let i = 0, n = 0; n < size; i++) {
    const h = createHash('sha256').update(`${seed}:${i}`).digest()
    out.push(h)
    n += h.length
  }
  return Buffer.concat(out).subarray(0, size)
}

async function tempFile (t: TestContext, bytes: Buffer, name = 'x.bundle'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gtm-torrent-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = path.join(dir, name)
  await writeFile(file, bytes)
  return file
}

const str = (v: unknown): string => Buffer.from(v as Uint8Array).toString('utf8')
const decode = (b: Uint8Array): Record<string, any> => bencode.decode(b)

test('makeTorrent: same bytes, name and piece length give the same infohash', async (t) => {
  const bytes = content(100_000)
  const file = await tempFile(t, bytes)
  const other = await tempFile(t, bytes, 'copy-with-another-path.bundle')
  const a = await makeTorrent(file, { name: NAME, pieceLength: PIECE, trackers: [T1], webSeeds: [] })
  const b = await makeTorrent(other, { name: NAME, pieceLength: PIECE, trackers: [T1], webSeeds: [] })
  const c = await makeTorrent(file, { name: NAME, pieceLength: PIECE, trackers: [T2, T1], webSeeds: [W1] })
  const [pa, pb, pc] = await Promise.all([readTorrent(a, 'a'), readTorrent(b, 'b'), readTorrent(c, 'c')])
  assert.match(pa.infoHash, /^[0-9a-f]{40}$/)
  assert.equal(pb.infoHash, pa.infoHash)
  assert.equal(pc.infoHash, pa.infoHash, 'trackers and web seeds live outside the info dictionary')
  assert.deepEqual(Buffer.from(pb.infoBuffer), Buffer.from(pa.infoBuffer))
  // the infohash is the SHA-1 of the bencoded info dictionary
  assert.equal(createHash('sha1').update(pa.infoBuffer).digest('hex'), pa.infoHash)
})

test('makeTorrent: the info dictionary holds exactly the bundle, and the policy accepts it', async (t) => {
  const bytes = content(100_000)
  const file = await tempFile(t, bytes)
  const torrent = await makeTorrent(file, { name: NAME, pieceLength: PIECE, trackers: [], webSeeds: [] })
  const info = decode(torrent).info
  assert.deepEqual(Object.keys(info).sort(), ['length', 'name', 'piece length', 'pieces'])
  assert.equal(str(info.name), NAME)
  assert.equal(info.length, bytes.length)
  assert.equal(info['piece length'], PIECE)
  const want = []
  for (let off = 0; off < bytes.length; off += PIECE) want.push(createHash('sha1').update(bytes.subarray(off, off + PIECE)).digest())
  assert.deepEqual(Buffer.from(info.pieces), Buffer.concat(want))
  assert.deepEqual(checkBundleTorrent(info, { maxSize: 1e9, ref: 'test' }), { name: NAME, length: bytes.length, pieceLength: PIECE, pieceCount: 7, bundlePath: NAME, push: null, index: null, reverseIndex: null })
  assert.match(str(decode(torrent)['created by']), /^git-torrent-mirror\//)
})

test('makeTorrent of a signed publish\'s folder: bundle then push object, and the policy accepts it', async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'gtm-folder-'))
  t.after(async () => await rm(root, { recursive: true, force: true }))
  const dir = path.join(root, 'repo-0123456789ab')
  await mkdir(dir)
  await writeFile(path.join(dir, 'repo-0123456789ab.bundle'), content(100_000))
  await writeFile(path.join(dir, 'repo-0123456789ab.push'), 'push object\n')
  const torrent = await makeTorrent(dir, { name: 'repo-0123456789ab', pieceLength: PIECE, trackers: [], webSeeds: [] })
  const info = decode(torrent).info
  assert.deepEqual(info.files.map((f: any) => [f.path.map(str), f.length]), [[['repo-0123456789ab.bundle'], 100_000], [['repo-0123456789ab.push'], 12]])
  const shape = checkBundleTorrent(info, { maxSize: 1e9, ref: 'test' })
  assert.equal(shape.bundlePath, 'repo-0123456789ab/repo-0123456789ab.bundle')
  assert.deepEqual(shape.push, { path: 'repo-0123456789ab/repo-0123456789ab.push', length: 12 })
})

test('encodeTorrent from pieces hashed while streaming: the infohash create-torrent gives, single file and folder', async (t) => {
  for (const size of [1, PIECE - 1, PIECE, 3 * PIECE, 100_000]) {
    const bytes = content(size)
    const file = await tempFile(t, bytes, `f${size}.bundle`)
    const pieces = new PieceHasher(PIECE)
    for (let off = 0; off < bytes.length; off += 7777) pieces.update(bytes.subarray(off, off + 7777))   // chunks that straddle pieces
    const ours = encodeTorrent({ name: NAME, pieceLength: PIECE, pieces: pieces.table(), files: { length: size } }, { trackers: [T1], webSeeds: [W1] })
    const theirs = await makeTorrent(file, { name: NAME, pieceLength: PIECE, trackers: [T1], webSeeds: [W1] })
    const [a, b] = [await readTorrent(ours.torrent, 'ours'), await readTorrent(theirs, 'theirs')]
    assert.equal(a.infoHash, b.infoHash, `size ${size}`)
    assert.equal(ours.infoHash, b.infoHash, `size ${size}: infoHashOf agrees with parse-torrent`)
    assert.deepEqual(a.announce, b.announce)
    assert.deepEqual(a.urlList, b.urlList)
  }
  // a folder continues the bundle's hasher with the files after it; the bundle's own table is still right midway
  const root = await mkdtemp(path.join(os.tmpdir(), 'gtm-folder-'))
  t.after(async () => await rm(root, { recursive: true, force: true }))
  const dir = path.join(root, 'r')
  await mkdir(dir)
  const bundle = content(100_000)
  const push = Buffer.from('push object\n')
  await writeFile(path.join(dir, 'r.bundle'), bundle)
  await writeFile(path.join(dir, 'r.push'), push)
  const pieces = new PieceHasher(PIECE)
  pieces.update(bundle)
  const single = encodeTorrent({ name: 'r.bundle', pieceLength: PIECE, pieces: pieces.table(), files: { length: bundle.length } }, { trackers: [], webSeeds: [] })
  pieces.update(push)
  const folderTorrent = encodeTorrent({ name: 'r', pieceLength: PIECE, pieces: pieces.table(), files: [{ name: 'r.bundle', length: bundle.length }, { name: 'r.push', length: push.length }] }, { trackers: [], webSeeds: [] })
  const singleTheirs = (await readTorrent(await makeTorrent(path.join(dir, 'r.bundle'), { name: 'r.bundle', pieceLength: PIECE, trackers: [], webSeeds: [] }), 't')).infoHash
  assert.equal((await readTorrent(single.torrent, 's')).infoHash, singleTheirs)
  assert.equal(single.infoHash, singleTheirs)
  const folderTheirs = (await readTorrent(await makeTorrent(dir, { name: 'r', pieceLength: PIECE, trackers: [], webSeeds: [] }), 't')).infoHash
  assert.equal((await readTorrent(folderTorrent.torrent, 'f')).infoHash, folderTheirs)
  assert.equal(folderTorrent.infoHash, folderTheirs)
  assert.throws(() => encodeTorrent({ name: 'r', pieceLength: PIECE, pieces: Buffer.alloc(20), files: { length: 100_000 } }, { trackers: [], webSeeds: [] }), /1 piece hashes for 100000 bytes/)
})

test('PieceHasher: resumed from a table of whole pieces, it ends where a fresh one does', () => {
  const bytes = content(5 * PIECE + 123)
  const fresh = new PieceHasher(PIECE)
  fresh.update(bytes)
  const resumed = new PieceHasher(PIECE, { table: fresh.table(), length: 5 * PIECE })
  resumed.update(bytes.subarray(5 * PIECE))
  assert.deepEqual(resumed.table(), fresh.table())
  assert.equal(resumed.length, bytes.length)
  assert.throws(() => new PieceHasher(PIECE, { table: fresh.table(), length: PIECE + 1 }), /whole pieces/)
})

test('makeTorrent: name, piece length and content each change the infohash', async (t) => {
  const bytes = content(100_000)
  const file = await tempFile(t, bytes)
  const changed = Buffer.from(bytes)
  changed[50_000]! ^= 1
  const file2 = await tempFile(t, changed)
  const hash = async (f: string, name: string, pieceLength: number): Promise<string> =>
    (await readTorrent(await makeTorrent(f, { name, pieceLength, trackers: [], webSeeds: [] }), 't')).infoHash
  const base = await hash(file, NAME, PIECE)
  const others = [await hash(file, 'other-0123456789ab.bundle', PIECE), await hash(file, NAME, 2 * PIECE), await hash(file2, NAME, PIECE)]
  assert.equal(new Set([base, ...others]).size, 4)
})

test('makeTorrent: the announce list is exactly what was given', async (t) => {
  const file = await tempFile(t, content(40_000))
  await t.test('[] means no announce key at all (never the library\'s public trackers)', async () => {
    const d = decode(await makeTorrent(file, { name: NAME, pieceLength: PIECE, trackers: [], webSeeds: [] }))
    assert.equal(d.announce, undefined)
    assert.equal(d['announce-list'], undefined)
    assert.deepEqual((await readTorrent(await makeTorrent(file, { name: NAME, pieceLength: PIECE, trackers: [], webSeeds: [] }), 't')).announce, [])
  })
  await t.test('one tracker', async () => {
    const d = decode(await makeTorrent(file, { name: NAME, pieceLength: PIECE, trackers: [T1], webSeeds: [] }))
    assert.equal(str(d.announce), T1)
    assert.deepEqual(d['announce-list'].map((tier: unknown[]) => tier.map(str)), [[T1]])
  })
  await t.test('two trackers, one tier each, in order', async () => {
    const d = decode(await makeTorrent(file, { name: NAME, pieceLength: PIECE, trackers: [T2, T1], webSeeds: [] }))
    assert.equal(str(d.announce), T2)
    assert.deepEqual(d['announce-list'].map((tier: unknown[]) => tier.map(str)), [[T2], [T1]])
  })
  await t.test('web seeds in url-list', async () => {
    const d = decode(await makeTorrent(file, { name: NAME, pieceLength: PIECE, trackers: [], webSeeds: [W1] }))
    assert.deepEqual(d['url-list'].map(str), [W1])
    const none = decode(await makeTorrent(file, { name: NAME, pieceLength: PIECE, trackers: [], webSeeds: [] }))
    assert.deepEqual((none['url-list'] ?? []).map(str), [])
  })
})

test('makeTorrent: reports hashing progress', async (t) => {
  const file = await tempFile(t, content(100_000))
  const seen: Array<[number, number]> = []
  await makeTorrent(file, { name: NAME, pieceLength: PIECE, trackers: [], webSeeds: [], onProgress: (h, n) => seen.push([h, n]) })
  assert.ok(seen.length > 0)
  assert.deepEqual(seen.at(-1), [100_000, 100_000])
})

test('makeTorrent: a missing file rejects', async (t) => {
  const file = await tempFile(t, content(10))
  await assert.rejects(makeTorrent(`${file}.missing`, { name: NAME, pieceLength: PIECE, trackers: [], webSeeds: [] }))
})

test('retargetTorrent: new trackers and web seeds, same infohash', async (t) => {
  const file = await tempFile(t, content(100_000))
  const original = await makeTorrent(file, { name: NAME, pieceLength: PIECE, trackers: [T1], webSeeds: [W1] })
  const before = await readTorrent(original, 'original')

  const cases: Array<[string, string[], string[]]> = [
    ['other tracker, no web seed', [T2], []],
    ['two trackers, a web seed', [T2, T1], ['https://cdn.example/x.bundle']],
    ['nothing', [], []]
  ]
  for (const [name, trackers, webSeeds] of cases) {
    await t.test(name, async () => {
      const out = retargetTorrent(original, trackers, webSeeds)
      const d = decode(out)
      if (trackers.length === 0) {
        assert.equal(d.announce, undefined)
        assert.equal(d['announce-list'], undefined)
      } else {
        assert.equal(str(d.announce), trackers[0])
        assert.deepEqual(d['announce-list'].map((tier: unknown[]) => tier.map(str)), trackers.map(x => [x]))
      }
      if (webSeeds.length === 0) assert.equal(d['url-list'], undefined)
      else assert.deepEqual(d['url-list'].map(str), webSeeds)
      const after = await readTorrent(out, 'retargeted')
      assert.equal(after.infoHash, before.infoHash)
      assert.deepEqual(Buffer.from(after.infoBuffer), Buffer.from(before.infoBuffer))
      assert.deepEqual(after.announce, trackers)
      assert.deepEqual(after.urlList, webSeeds)
    })
  }
  await t.test('retargeting back gives the original bytes', () => {
    assert.deepEqual(retargetTorrent(retargetTorrent(original, [], []), [T1], [W1]), Buffer.from(original))
  })
})

test('readTorrent: garbage is BAD_RECORD naming what was read', async (t) => {
  const cases: Array<[string, Uint8Array]> = [
    ['empty', new Uint8Array(0)],
    ['random bytes', content(300)],
    ['text', Buffer.from('hello, world\n')],
    ['a magnet URI as bytes', Buffer.from(`magnet:?xt=urn:btih:${'a'.repeat(40)}`)],
    ['bencoded integer', Buffer.from('i42e')],
    ['dictionary without info', Buffer.from(bencode.encode({ announce: T1 }))],
    ['truncated torrent', Buffer.from('d8:announce')]
  ]
  for (const [name, bytes] of cases) {
    await t.test(name, async () => {
      await assert.rejects(readTorrent(bytes, 'refs/mirrors/bundle/torrent'), (err: any) => {
        assert.equal(err.name, 'MirrorError')
        assert.equal(err.code, 'BAD_RECORD')
        assert.match(err.message, /^refs\/mirrors\/bundle\/torrent does not parse as a torrent \(.+\)$/)
        assert.deepEqual(err.data, { what: 'refs/mirrors/bundle/torrent' })
        return true
      })
    })
  }
})

test('magnetOf: a magnet record that parses back to the same infohash', async (t) => {
  const file = await tempFile(t, content(20_000))
  const parsed = await readTorrent(await makeTorrent(file, { name: NAME, pieceLength: PIECE, trackers: [T1], webSeeds: [W1] }), 't')
  const uri = await magnetOf(parsed)
  assert.ok(uri.startsWith('magnet:?'))
  const back = parseMagnetRecord(`${uri}\n`, 'refs/mirrors/bundle/magnet')
  assert.equal(back.infoHash, parsed.infoHash)
  const params = new URLSearchParams(uri.slice('magnet:?'.length))
  assert.equal(params.get('dn'), NAME)
  assert.deepEqual(params.getAll('tr'), [T1])
  assert.deepEqual(params.getAll('ws'), [W1])
})

test('a private torrent (BEP 27): encodeTorrent and create-torrent agree; setPrivateFlag switches it both ways without hashing the data again', async (t) => {
  const bytes = content(3 * PIECE + 5)
  const file = await tempFile(t, bytes, 'p.bundle')
  const pieces = new PieceHasher(PIECE)
  pieces.update(bytes)
  const c = { name: NAME, pieceLength: PIECE, pieces: pieces.table(), files: { length: bytes.length } }
  const pub = encodeTorrent(c, { trackers: [T1], webSeeds: [] })
  const priv = encodeTorrent({ ...c, private: true }, { trackers: [T1], webSeeds: [] })
  const theirs = await readTorrent(await makeTorrent(file, { name: NAME, pieceLength: PIECE, trackers: [T1], webSeeds: [], private: true }), 'theirs')
  assert.equal(priv.infoHash, theirs.infoHash)
  assert.notEqual(priv.infoHash, pub.infoHash)
  const parsed = await readTorrent(priv.torrent, 'ours')
  assert.equal(parsed.private, true)
  assert.equal(decode(priv.torrent).info.private, 1)
  assert.equal((await readTorrent(pub.torrent, 'pub')).private, undefined)

  const made = setPrivateFlag(pub.torrent, true)
  assert.equal(made.infoHash, priv.infoHash)
  assert.equal((await readTorrent(made.torrent, 'made')).infoHash, priv.infoHash)
  assert.deepEqual((await readTorrent(made.torrent, 'made')).announce, [T1], 'the announce list stays')
  const back = setPrivateFlag(made.torrent, false)
  assert.equal(back.infoHash, pub.infoHash)
  assert.equal(setPrivateFlag(priv.torrent, true).infoHash, priv.infoHash, 'idempotent')
})
