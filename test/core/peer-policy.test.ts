import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Strikes, STRIKES_TO_BAN, webSeedBackoffMs, webSeedPatienceMs, webSeedsToReclaim, type PendingRequest } from '../../src/core/peer-policy.js'

test('Strikes: who a failed piece bans', async (t) => {
  const cases: Array<{ name: string, pieces: string[][], banned: string[][] }> = [
    { name: 'a lone sender of a bad piece is banned at once', pieces: [['10.0.0.2']], banned: [['10.0.0.2']] },
    { name: 'two senders of one bad piece: a strike each, nobody banned', pieces: [['a', 'b']], banned: [[]] },
    { name: 'a second shared bad piece bans both', pieces: [['a', 'b'], ['a', 'b']], banned: [[], ['a', 'b']] },
    { name: 'the liar goes alone; its partner keeps one strike', pieces: [['liar', 'honest'], ['liar']], banned: [[], ['liar']] },
    { name: 'a source counted twice in one piece is one sender', pieces: [['a', 'a']], banned: [['a']] },
    { name: 'banned once only', pieces: [['a'], ['a'], ['a', 'b']], banned: [['a'], [], []] },
    { name: 'a piece with no known sender bans nobody', pieces: [[]], banned: [[]] }
  ]
  for (const c of cases) {
    await t.test(c.name, () => {
      const s = new Strikes()
      assert.deepEqual(c.pieces.map(p => s.failedPiece(p)), c.banned)
    })
  }
})

test('Strikes: properties', () => {
  fc.assert(fc.property(
    fc.array(fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 4 }), { maxLength: 20 }),
    pieces => {
      const s = new Strikes()
      const all: string[] = []
      const strikes = new Map<string, number>()
      for (const p of pieces) {
        const banned = s.failedPiece(p)
        all.push(...banned)
        const distinct = new Set(p)
        for (const who of distinct) strikes.set(who, (strikes.get(who) ?? 0) + (distinct.size === 1 ? STRIKES_TO_BAN : 1))
        // whoever a piece names alone is banned after it
        if (distinct.size === 1) assert.ok(s.isBanned([...distinct][0]!))
      }
      // each source is banned at most once, and exactly when its strikes reach the limit
      assert.equal(new Set(all).size, all.length)
      for (const who of ['a', 'b', 'c', 'd']) assert.equal(s.isBanned(who), (strikes.get(who) ?? 0) >= STRIKES_TO_BAN)
    }
  ), { seed: 13, numRuns: 300 })
})

test('webSeedsToReclaim: table', async (t) => {
  const limits = { patienceMs: 5_000, limitMs: 30_000 }
  const req = (seed: string, piece: number, ageMs: number): PendingRequest => ({ seed, piece, ageMs })
  const cases: Array<{ name: string, pending: PendingRequest[], idle: number[], want: string[] }> = [
    { name: 'nothing pending', pending: [], idle: [1], want: [] },
    { name: 'a young request stays, helper or not', pending: [req('u1', 1, 4_999)], idle: [1], want: [] },
    { name: 'an old request with an idle helper is taken back', pending: [req('u1', 1, 5_000)], idle: [1], want: ['u1'] },
    { name: 'an old request whose helpers are all busy stays', pending: [req('u1', 1, 20_000)], idle: [2], want: [] },
    { name: 'past the limit it goes, no helper needed', pending: [req('u1', 1, 30_000)], idle: [], want: ['u1'] },
    { name: 'one web seed named once', pending: [req('u1', 1, 9_000), req('u1', 2, 9_000)], idle: [1, 2], want: ['u1'] },
    {
      name: 'only the web seed that holds the idle piece',
      pending: [req('u1', 1, 9_000), req('u2', 2, 9_000), req('u3', 3, 1_000)],
      idle: [2, 3],
      want: ['u2']
    }
  ]
  for (const c of cases) {
    await t.test(c.name, () => {
      assert.deepEqual(webSeedsToReclaim(c.pending, p => c.idle.includes(p), limits), c.want)
    })
  }
})

test('webSeedsToReclaim: properties', () => {
  const pending = fc.array(fc.record({
    seed: fc.constantFrom('u1', 'u2', 'u3'),
    piece: fc.nat(8),
    ageMs: fc.nat(60_000)
  }), { maxLength: 12 })
  fc.assert(fc.property(pending, fc.uniqueArray(fc.nat(8)), fc.nat(30_000), fc.nat(30_000), (reqs, idle, a, b) => {
    const limits = { patienceMs: Math.min(a, b), limitMs: Math.max(a, b) }
    const out = webSeedsToReclaim(reqs, p => idle.includes(p), limits)
    assert.equal(new Set(out).size, out.length)
    for (const seed of new Set(reqs.map(r => r.seed))) {
      const mine = reqs.filter(r => r.seed === seed)
      const due = mine.some(r => r.ageMs >= limits.limitMs || (r.ageMs >= limits.patienceMs && idle.includes(r.piece)))
      assert.equal(out.includes(seed), due, seed)
    }
  }), { seed: 13, numRuns: 300 })
})

test('webSeedBackoffMs: 5 s, doubling, at most a minute', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 50].map(webSeedBackoffMs), [5_000, 5_000, 10_000, 20_000, 40_000, 60_000, 60_000])
})

test('webSeedPatienceMs: a piece at 1 MB/s, at least 5 s', () => {
  assert.deepEqual([16 * 1024, 256 * 1024, 4 * 1024 * 1024, 16 * 1024 * 1024].map(webSeedPatienceMs), [5_000, 5_000, 5_000, 16_778])
})
