import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { formatRefList, refListId, sortRefs, type Ref } from '../../src/core/ref-list.js'

const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const C = 'c'.repeat(40)

const REFS: Ref[] = [
  { name: 'refs/tags/v1', oid: B },
  { name: 'refs/heads/main', oid: A },
  { name: 'HEAD', oid: A },
  { name: 'refs/heads/Main', oid: C },
  { name: 'refs/heads/main-2', oid: C },
  { name: 'refs/heads/main/x', oid: C }
]

test('sortRefs: byte order, HEAD first (upper case sorts before refs/), input untouched', () => {
  const copy = structuredClone(REFS)
  assert.deepEqual(sortRefs(REFS).map(r => r.name), [
    'HEAD', 'refs/heads/Main', 'refs/heads/main', 'refs/heads/main-2', 'refs/heads/main/x', 'refs/tags/v1'
  ])
  assert.deepEqual(REFS, copy)
})

test('sortRefs: matches byte order of the UTF-8 names', () => {
  const refs: Ref[] = [{ name: 'refs/heads/\u{1F600}', oid: A }, { name: 'refs/heads/\uFFFD', oid: B }]
  const byBytes = [...refs].sort((x, y) => Buffer.compare(Buffer.from(x.name), Buffer.from(y.name))).map(r => r.name)
  assert.deepEqual(sortRefs(refs).map(r => r.name), byBytes)
})

test('formatRefList: canonical text', async (t) => {
  const cases: Array<[string, Ref[], string]> = [
    ['empty', [], ''],
    ['one', [{ name: 'refs/heads/main', oid: A }], `${A} refs/heads/main\n`],
    ['sorted whatever the input order', REFS,
      `${A} HEAD\n${C} refs/heads/Main\n${A} refs/heads/main\n${C} refs/heads/main-2\n${C} refs/heads/main/x\n${B} refs/tags/v1\n`]
  ]
  for (const [name, refs, want] of cases) {
    await t.test(name, () => assert.equal(formatRefList(refs), want))
  }
})

test('formatRefList: refuses what is not a ref (RangeError: a caller bug)', async (t) => {
  const cases: Array<[string, Ref]> = [
    ['short oid', { name: 'refs/heads/main', oid: 'abc' }],
    ['upper-case oid', { name: 'refs/heads/main', oid: A.toUpperCase() }],
    ['sha256 oid', { name: 'refs/heads/main', oid: 'a'.repeat(64) }],
    ['newline in name', { name: 'refs/heads/main\nfff refs/heads/x', oid: A }],
    ['name outside refs/', { name: 'main', oid: A }]
  ]
  for (const [name, ref] of cases) {
    await t.test(name, () => assert.throws(() => formatRefList([{ name: 'refs/heads/ok', oid: A }, ref]), RangeError))
  }
})

test('refListId: SHA-1 of the canonical text, stable and order-independent', () => {
  const id = refListId(REFS)
  assert.match(id, /^[0-9a-f]{40}$/)
  assert.equal(id, createHash('sha1').update(formatRefList(REFS)).digest('hex'))
  assert.equal(refListId([...REFS].reverse()), id)
  assert.equal(refListId([REFS[3]!, REFS[0]!, REFS[5]!, REFS[1]!, REFS[4]!, REFS[2]!]), id)
  // pinned: the store's directory names depend on it
  assert.equal(refListId([{ name: 'refs/heads/main', oid: A }, { name: 'HEAD', oid: A }]),
    createHash('sha1').update(`${A} HEAD\n${A} refs/heads/main\n`).digest('hex'))
})

test('refListId: any change of a name or an oid changes the id', () => {
  const base = refListId(REFS)
  const seen = new Set([base])
  for (let i = 0; i < REFS.length; i++) {
    const otherOid = REFS.map((r, j) => j === i ? { ...r, oid: r.oid === A ? B : A } : r)
    const otherName = REFS.map((r, j) => j === i ? { ...r, name: `${r.name === 'HEAD' ? 'refs/heads/HEAD' : r.name + 'x'}` } : r)
    for (const refs of [otherOid, otherName]) {
      const id = refListId(refs)
      assert.ok(!seen.has(id), JSON.stringify(refs))
      seen.add(id)
    }
  }
  assert.notEqual(refListId(REFS.slice(1)), base)
})
