// windowRarest's piece choice, on a stand-in for the webtorrent 2.8.5
// internals it reads (the rarity map, pieces, bitfield, wires): which
// pieces a pick may return is our logic, not BitTorrent's. The swarm-level
// effect (seeder upload at N = 8) is measured by bench/scale.ts.
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { test } from 'node:test'
import type { Torrent } from 'webtorrent'
import { windowRarest } from '../../src/io/torrent/piece-window.js'

const PIECE = 16 * 1024

interface Fake {
  torrent: Torrent
  pick: (filter?: (i: number) => boolean) => number
  verify: (i: number) => void
  request: (i: number) => void
  wires: unknown[]
  availability: number[]
}

function fake (pieces: number, o: { wires?: number } = {}): Fake {
  const verified = new Set<number>()
  const availability = new Array<number>(pieces).fill(0)
  const wires = Array.from({ length: o.wires ?? 2 }, () => ({}))
  const t = Object.assign(new EventEmitter(), {
    infoHash: 'f'.repeat(40),
    pieceLength: PIECE,
    metadata: new Uint8Array(1),
    strategy: 'rarest',
    wires,
    pieces: Array.from({ length: pieces }, () => ({ _reservations: 0, _chunks: 1, _cancellations: [] as unknown[] }) as { _reservations: number, _chunks: number, _cancellations: unknown[] } | null),
    bitfield: { get: (i: number) => verified.has(i) },
    _rarityMap: { _pieces: availability, getRarestPiece: (_filter?: (i: number) => boolean): number => { throw new Error('not patched') } }
  })
  windowRarest(t as unknown as Torrent, 8 * PIECE)
  return {
    torrent: t as unknown as Torrent,
    pick: filter => t._rarityMap.getRarestPiece(filter),
    verify: i => { verified.add(i); t.pieces[i] = null },
    request: i => { t.pieces[i]!._reservations = 1 },
    wires,
    availability
  }
}

/** Every piece `pick` returns over many calls. */
function reachable (f: Fake, filter?: (i: number) => boolean): number[] {
  const seen = new Set<number>()
  for (let k = 0; k < 2000; k++) seen.add(f.pick(filter))
  return [...seen].sort((a, b) => a - b)
}

test('windowRarest: picks only among the first window of pieces that still need requesting', () => {
  const f = fake(100)
  assert.deepEqual(reachable(f), [0, 1, 2, 3, 4, 5, 6, 7], 'a window of 8 pieces from the first missing one, each of them picked')
  f.verify(0); f.verify(1); f.verify(5)
  f.request(2); f.request(3)
  // verified and fully requested pieces are not picked, nor do they take a place in the window
  assert.deepEqual(reachable(f), [4, 6, 7, 8, 9, 10, 11, 12])
  assert.deepEqual(reachable(f, i => i % 2 === 0), [4, 6, 8, 10, 12], 'the caller\'s filter (what the peer has) applies inside the window')
  assert.equal(f.pick(i => i > 50), -1, 'nothing past the window, whatever the filter allows')
})

test('windowRarest: the rarest pieces in the window first', () => {
  const f = fake(100)
  for (let i = 0; i < 8; i++) f.availability[i] = 2
  f.availability[3] = 1
  f.availability[6] = 1
  assert.deepEqual(reachable(f), [3, 6])
})

test('windowRarest: with a single peer, in file order', () => {
  const f = fake(100, { wires: 1 })
  assert.equal(f.pick(), 0)
  f.request(0)
  f.verify(1)
  assert.equal(f.pick(), 2)
  assert.deepEqual(reachable(f), [2])
})

test('windowRarest: waits for the metadata; without webtorrent\'s rarity map it falls back to sequential', () => {
  const t = Object.assign(new EventEmitter(), { infoHash: 'e'.repeat(40), pieceLength: PIECE, metadata: null as Uint8Array | null, strategy: 'rarest' })
  windowRarest(t as unknown as Torrent)
  assert.equal(t.strategy, 'rarest', 'nothing is decided before the metadata')
  t.metadata = new Uint8Array(1)
  t.emit('metadata')
  assert.equal(t.strategy, 'sequential')
})
