import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { chainProblem, entryId, newestChain, nextCreationToken, nextList, planPublish, type ChainLink } from '../../src/core/bundle-chain.js'
import { ZERO_OID } from '../../src/core/refs.js'

const S = (n: number): string => n.toString(16).padStart(40, '0')
/** base -> S(1), then S(1) -> S(2) ... : a chain reaching S(n). */
const chainTo = (n: number): ChainLink[] => Array.from({ length: n }, (_, i) => ({ start: i === 0 ? ZERO_OID : S(i), end: S(i + 1) }))

test('planPublish: unchanged, increment, collapse, and a new base when the chain is unusable', () => {
  const cases: Array<[string, ChainLink[], string, number, string]> = [
    ['no list', [], S(9), 5, 'base:no earlier publish'],
    ['same state', chainTo(3), S(3), 5, 'unchanged'],
    ['a new state', chainTo(3), S(9), 5, `increment:${S(3)}`],
    ['base alone', chainTo(1), S(9), 5, `increment:${S(1)}`],
    ['five increments', chainTo(6), S(9), 5, 'base:collapsed'],
    ['four increments', chainTo(5), S(9), 5, `increment:${S(5)}`],
    ['increments off', chainTo(1), S(9), 0, 'base:increments are off'],
    ['back to an earlier state', chainTo(3), S(1), 5, 'base:published earlier'],
    ['a gap', [...chainTo(2), { start: S(7), end: S(8) }], S(9), 5, 'base:a gap'],
    ['no full bundle first', [{ start: S(1), end: S(2) }], S(9), 5, 'base:does not start with a full bundle']
  ]
  for (const [name, chain, end, max, want] of cases) {
    const p = planPublish(chain, end, { maxIncrements: max })
    const got = p.kind === 'base' ? `base:${p.reason}` : p.kind === 'increment' ? `increment:${p.from}` : p.kind
    assert.ok(got.startsWith(want.split(':')[0]!) && got.includes(want.split(':').slice(1).join(':')), `${name}: ${got}`)
  }
})

test('chainProblem names cycles and gaps; entryId and tokens', () => {
  assert.equal(chainProblem(chainTo(4)), null)
  assert.match(chainProblem([...chainTo(2), { start: S(2), end: S(1) }])!, /cycle/)
  assert.match(chainProblem([...chainTo(2), { start: ZERO_OID, end: S(5) }])!, /full bundle, not an increment/)
  assert.equal(entryId({ start: ZERO_OID, end: 'ab'.repeat(20) }), 'base-abababababababab')
  assert.equal(entryId({ start: S(1), end: 'cd'.repeat(20) }), 'inc-cdcdcdcdcdcdcdcd')
  assert.equal(nextCreationToken(null, 100), 100)
  assert.equal(nextCreationToken(100, 50), 101, 'a clock set back still increases')
  const e = (token: number | null): any => ({ id: `x${String(token)}`, uri: null, creationToken: token, infoHash: 'a'.repeat(40), size: 1, sha256: 'b'.repeat(64) })
  assert.deepEqual(nextList([e(10), e(20), e(null)], 15).entries.map(x => x.creationToken), [10, 20, 21])
  assert.deepEqual(nextList([e(10), e(5)], 7).entries.map(x => x.creationToken), [10, 11], 'a kept token that does not increase is replaced')
})

test('newestChain: the newest full bundle and the increments that follow it', () => {
  const links = [
    { start: ZERO_OID, end: S(1), created: 1 },
    { start: S(1), end: S(2), created: 2 },
    { start: ZERO_OID, end: S(3), created: 3 },   // a collapse: the newest base
    { start: S(3), end: S(4), created: 4 },
    { start: S(4), end: S(5), created: 5 },
    { start: S(9), end: S(8), created: 6 }        // an increment of nothing here
  ]
  assert.deepEqual(newestChain(links), [2, 3, 4])
  assert.deepEqual(newestChain(links.filter(l => l.start !== ZERO_OID)), [])
  assert.deepEqual(newestChain([{ start: ZERO_OID, end: S(1), created: 1 }, { start: S(1), end: S(1), created: 2 }]), [0], 'a loop ends the chain')
})

test('property: a plan never increments past the limit, and what it plans keeps the chain a chain', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 20 }), (n, max, next) => {
    const chain = chainTo(n)
    const p = planPublish(chain, S(next), { maxIncrements: max })
    if (p.kind === 'unchanged') assert.equal(chain.at(-1)?.end, S(next))
    if (p.kind === 'increment') {
      assert.ok(n - 1 < max, 'under the limit')
      const after = [...chain, { start: p.from, end: S(next) }]
      assert.equal(chainProblem(after), null)
    }
    if (p.kind === 'base') assert.equal(chainProblem([{ start: ZERO_OID, end: S(next) }]), null)
  }), { seed: 160, numRuns: 500 })
})
