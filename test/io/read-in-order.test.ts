// readInOrder against a torrent whose pieces verify out of order.
//
// The torrent is a minimal EventEmitter with exactly what readInOrder uses
// (files, pieceLength, bitfield.get, path, destroyed, infoHash, the
// 'verified' and 'close' events), not a real webtorrent download: the order
// in which a real swarm verifies pieces is the swarm's to choose, and this
// tests the reader's ordering, not BitTorrent. The file is real and on disk,
// written piece by piece as each piece "verifies" (zeros before, as
// webtorrent preallocates), so a reader that ran ahead of verification would
// yield zeros and fail the byte comparison, not only the counters.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { mkdir, mkdtemp, open, realpath, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import type { Torrent } from 'webtorrent'
import { readInOrder } from '../../src/io/torrent/read-in-order.js'
import { withDeadline } from '../helpers/wait.js'

const PIECE = 16 << 10
const DEADLINE_MS = 5000

/** Deterministic bytes, distinct per position (no run of zeros). */
function content (length: number, seed: string): Buffer {
  const out = Buffer.alloc(length)
  for (let at = 0, n = 0; at < length; n++) {
    at += createHash('sha256').update(`${seed} ${n}`).digest().copy(out, at)
  }
  return out
}

class FakeTorrent extends EventEmitter {
  readonly infoHash = 'f'.repeat(40)
  readonly pieceLength = PIECE
  destroyed = false
  readonly got = new Set<number>()
  readonly bitfield = { get: (i: number): boolean => this.got.has(i) }
  /** Resolves whenever a 'verified' listener is added: the reader waits for a piece. */
  private onWait: (() => void) | null = null

  constructor (readonly path: string, readonly files: Array<{ path: string, offset: number, length: number }>) {
    super()
    this.on('newListener', (event: string) => {
      if (event === 'verified') queueMicrotask(() => this.onWait?.())
    })
  }

  waiting (): Promise<void> {
    return new Promise(resolve => { this.onWait = resolve })
  }

  verify (i: number): void {
    this.got.add(i)
    this.emit('verified', i)
  }
}

interface Setup {
  torrent: FakeTorrent
  bytes: Buffer
  file: { path: string, offset: number, length: number }
  /** Pieces holding the file. */
  pieces: number[]
  /** Writes piece i's part of the file to disk, then marks it verified. */
  verify: (i: number) => Promise<void>
  /** File bytes covered by the verified pieces from its start, without a gap. */
  verifiedPrefix: () => number
}

/**
 * A folder torrent of `before` bytes of another file, then the file read
 * (`length` bytes, so it starts inside a piece when `before` is not a
 * multiple of the piece length), then `after` bytes of a third file.
 */
async function setup (t: TestContext, before: number, length: number, after: number): Promise<Setup> {
  const dir = await mkdtemp(path.join(await realpath(os.tmpdir()), 'gtm-read-in-order-'))
  t.after(async () => await rm(dir, { recursive: true, force: true }))
  const file = { path: 'p/p.bundle', offset: before, length }
  const files = [{ path: 'p/p.idx', offset: 0, length: before }, file, { path: 'p/p.push', offset: before + length, length: after }]
  const torrent = new FakeTorrent(dir, files)
  const bytes = content(length, `${before}/${length}`)
  await mkdir(path.join(dir, 'p'))
  await writeFile(path.join(dir, file.path), Buffer.alloc(length))   // preallocated, as webtorrent's store does
  const first = Math.floor(before / PIECE)
  const last = Math.floor((before + length - 1) / PIECE)
  const pieces = Array.from({ length: last - first + 1 }, (_, k) => first + k)
  const verify = async (i: number): Promise<void> => {
    const from = Math.max(0, i * PIECE - before)
    const to = Math.min(length, (i + 1) * PIECE - before)
    const fh = await open(path.join(dir, file.path), 'r+')
    try { await fh.write(bytes, from, to - from, from) } finally { await fh.close() }
    torrent.verify(i)
  }
  const verifiedPrefix = (): number => {
    const gap = pieces.find(i => !torrent.got.has(i))
    return gap === undefined ? length : Math.max(0, Math.min(length, gap * PIECE - before))
  }
  return { torrent, bytes, file, pieces, verify, verifiedPrefix }
}

/** Consumes the reader, checking at every chunk that nothing past the verified pieces came. */
function consume (s: Setup, signal: AbortSignal): { chunks: Buffer[], yielded: () => number, done: Promise<void> } {
  const chunks: Buffer[] = []
  let yielded = 0
  const done = (async () => {
    for await (const chunk of readInOrder(s.torrent as unknown as Torrent, s.file.path, signal)) {
      yielded += chunk.length
      assert.ok(yielded <= s.verifiedPrefix(), `yielded ${yielded} bytes, but only ${s.verifiedPrefix()} are in verified pieces`)
      chunks.push(chunk)
    }
  })()
  return { chunks, yielded: () => yielded, done }
}

for (const [name, before, length] of [
  ['the file starts a piece', 0, 5 * PIECE + 1234],
  ['the file starts inside a piece, after another file', 5000, 6 * PIECE - 700]
] as const) {
  test(`readInOrder, pieces verified out of order (${name}): yields exactly the file's bytes, in order, never past a piece that has not verified`, async t => {
    const s = await setup(t, before, length, 3000)
    assert.ok(s.pieces.length >= 6, `${s.pieces.length} pieces`)
    const [p0, p1, p2, p3, p4, p5, ...rest] = s.pieces as [number, number, number, number, number, number, ...number[]]
    const order = [p3, p1, p5, p4, p0, p2, ...rest.reverse()]
    const first = s.torrent.waiting()
    const c = consume(s, new AbortController().signal)
    await withDeadline(first, DEADLINE_MS, 'the reader to wait for the first piece')
    for (const piece of order) {
      const awaited = s.pieces.find(i => !s.torrent.got.has(i))
      const waits = s.torrent.waiting()
      await s.verify(piece)
      // the piece the reader waits for: it reads on and then waits again (or ends); any other: it keeps waiting
      if (piece === awaited) await withDeadline(Promise.race([waits, c.done]), DEADLINE_MS, `the reader to wait again or end after piece ${piece}`)
      assert.equal(c.yielded(), s.verifiedPrefix(), `after piece ${piece} of order ${order.join(',')}`)
      assert.ok(Buffer.concat(c.chunks).equals(s.bytes.subarray(0, c.yielded())), 'the bytes so far are the file\'s')
      if (order.indexOf(piece) < order.indexOf(p0)) assert.equal(c.yielded(), 0, 'nothing before the file\'s first piece verified')
    }
    await withDeadline(c.done, DEADLINE_MS, 'the reader to end')
    assert.ok(Buffer.concat(c.chunks).equals(s.bytes), 'the whole file, byte for byte')
    assert.equal(s.torrent.listenerCount('verified'), 0, 'no listener left on the torrent')
    assert.equal(s.torrent.listenerCount('close'), 0)
  })
}

test('readInOrder: pieces verified before the read starts are read at once, and the pieces of the neighbouring files do not matter', async t => {
  const s = await setup(t, 5000, 3 * PIECE, 3000)
  for (const i of s.pieces) await s.verify(i)
  const c = consume(s, new AbortController().signal)
  await withDeadline(c.done, DEADLINE_MS, 'the reader to end')
  assert.ok(Buffer.concat(c.chunks).equals(s.bytes))
  assert.equal(s.torrent.listenerCount('verified'), 0, 'never waited')
})

test('readInOrder: an abort mid-way rejects with ABORTED and stops listening', async t => {
  const s = await setup(t, 0, 4 * PIECE, 0)
  const stop = new AbortController()
  let waits = s.torrent.waiting()
  const c = consume(s, stop.signal)
  await withDeadline(waits, DEADLINE_MS, 'the reader to wait for piece 0')
  waits = s.torrent.waiting()
  await s.verify(s.pieces[0]!)
  await withDeadline(waits, DEADLINE_MS, 'the reader to wait for piece 1')
  await s.verify(s.pieces[2]!)   // not the awaited one: still waiting for piece 1
  assert.equal(c.yielded(), PIECE)
  stop.abort()
  await withDeadline(assert.rejects(c.done, (err: any) => {
    assert.equal(err.name, 'MirrorError')
    assert.equal(err.code, 'ABORTED')
    assert.equal(err.message, 'the download stopped before the bundle was complete')
    return true
  }), DEADLINE_MS, 'the reader to reject')
  assert.equal(c.yielded(), PIECE, 'nothing after the abort')
  assert.equal(s.torrent.listenerCount('verified'), 0, 'no listener left on the torrent')
  assert.equal(s.torrent.listenerCount('close'), 0)
})

test('readInOrder: a signal aborted before a wait, and a torrent closed during one, reject with ABORTED', async t => {
  const s = await setup(t, 0, 2 * PIECE, 0)
  const isAborted = (err: any): boolean => err.name === 'MirrorError' && err.code === 'ABORTED'

  const c1 = consume(s, AbortSignal.abort())
  await withDeadline(assert.rejects(c1.done, isAborted), DEADLINE_MS, 'the reader on an aborted signal to reject')
  assert.equal(c1.yielded(), 0)

  const waits = s.torrent.waiting()
  const c2 = consume(s, new AbortController().signal)
  await withDeadline(waits, DEADLINE_MS, 'the reader to wait for piece 0')
  s.torrent.destroyed = true
  s.torrent.emit('close')
  await withDeadline(assert.rejects(c2.done, isAborted), DEADLINE_MS, 'the reader on a closed torrent to reject')
  assert.equal(s.torrent.listenerCount('verified'), 0)
  assert.equal(s.torrent.listenerCount('close'), 0)
})

test('readInOrder: a file the torrent does not hold is an error at the first read', async t => {
  const s = await setup(t, 0, PIECE, 0)
  const it = readInOrder(s.torrent as unknown as Torrent, 'p/other.bundle', new AbortController().signal)
  await assert.rejects(it.next(), /has no file p\/other\.bundle/)
})
