import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { Ref } from '../../src/core/ref-list.js'
import { mapRefs, parseRefspec, type Refspec } from '../../src/core/refspec.js'

// mapRefs predicts where the final `git fetch` writes each ref, so that a
// clone whose staged refs already hold every advertised oid can skip it:
// a wrong prediction writes a ref git would not have written.

const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const C = 'c'.repeat(40)
const D = 'd'.repeat(40)
const E = 'e'.repeat(40)

const spec = (text: string): Refspec => {
  const s = parseRefspec(text)
  assert.ok(s !== null, text)
  return s
}

test('parseRefspec: accepted', async (t) => {
  const cases: Array<[string, Refspec]> = [
    ['+refs/heads/*:refs/remotes/origin/*', { force: true, src: 'refs/heads/*', dst: 'refs/remotes/origin/*' }],
    ['refs/heads/*:refs/remotes/origin/*', { force: false, src: 'refs/heads/*', dst: 'refs/remotes/origin/*' }],
    ['refs/tags/*:refs/tags/*', { force: false, src: 'refs/tags/*', dst: 'refs/tags/*' }],
    ['+refs/heads/*:refs/heads/*', { force: true, src: 'refs/heads/*', dst: 'refs/heads/*' }],   // a bare clone's mirror layout
    ['+refs/heads/main:refs/remotes/origin/main', { force: true, src: 'refs/heads/main', dst: 'refs/remotes/origin/main' }],
    ['refs/heads/main:refs/remotes/origin/trunk', { force: false, src: 'refs/heads/main', dst: 'refs/remotes/origin/trunk' }],
    ['refs/heads/feature/*:refs/remotes/origin/f/*', { force: false, src: 'refs/heads/feature/*', dst: 'refs/remotes/origin/f/*' }],
    ['refs/heads/*/head:refs/remotes/origin/*', { force: false, src: 'refs/heads/*/head', dst: 'refs/remotes/origin/*' }],
    ['refs/heads/pre*:refs/remotes/origin/p*', { force: false, src: 'refs/heads/pre*', dst: 'refs/remotes/origin/p*' }]
  ]
  for (const [text, want] of cases) {
    await t.test(text, () => assert.deepEqual(parseRefspec(text), want))
  }
})

test('parseRefspec: refused (null: the caller lets git decide)', async (t) => {
  const cases: Array<[string, string]> = [
    ['no destination', 'refs/heads/*'],
    ['empty destination', 'refs/heads/*:'],
    ['empty source', ':refs/heads/x'],
    ['only a colon', ':'],
    ['only a plus and a colon', '+:'],
    ['empty', ''],
    ['two colons', 'refs/heads/a:refs/b:refs/c'],
    ['a negative refspec', '^refs/heads/secret'],
    ['two stars on each side', '+refs/heads/*/*:refs/remotes/origin/*/*'],
    ['two stars in the source', 'refs/heads/*/*:refs/remotes/origin/*'],
    ['a star in the source only', 'refs/heads/*:refs/remotes/origin/main'],
    ['a star in the destination only', 'refs/heads/main:refs/remotes/origin/*']
  ]
  for (const [name, text] of cases) {
    await t.test(name, () => assert.equal(parseRefspec(text), null))
  }
})

const REFS: Ref[] = [
  { name: 'HEAD', oid: A },
  { name: 'refs/heads/main', oid: A },
  { name: 'refs/heads/feature/x', oid: B },
  { name: 'refs/tags/v1', oid: C },
  { name: 'refs/pull/1/head', oid: D },
  { name: 'refs/heads/main2', oid: E }
]

test('mapRefs: table', async (t) => {
  const cases: Array<[string, string[], Ref[], Array<[string, string, string]>]> = [
    ['the usual clone', ['+refs/heads/*:refs/remotes/origin/*', 'refs/tags/*:refs/tags/*'], REFS, [
      ['refs/heads/main', 'refs/remotes/origin/main', A],
      ['refs/heads/feature/x', 'refs/remotes/origin/feature/x', B],
      ['refs/tags/v1', 'refs/tags/v1', C],
      ['refs/heads/main2', 'refs/remotes/origin/main2', E]
    ]],
    // refs come out in the order advertised, not the refspecs' order
    ['tags first in the refspecs', ['refs/tags/*:refs/tags/*', '+refs/heads/*:refs/remotes/origin/*'], REFS, [
      ['refs/heads/main', 'refs/remotes/origin/main', A],
      ['refs/heads/feature/x', 'refs/remotes/origin/feature/x', B],
      ['refs/tags/v1', 'refs/tags/v1', C],
      ['refs/heads/main2', 'refs/remotes/origin/main2', E]
    ]],
    // an exact refspec matches that name only, not a longer one
    ['exact refspec', ['refs/heads/main:refs/remotes/origin/main'], REFS, [
      ['refs/heads/main', 'refs/remotes/origin/main', A]
    ]],
    // as git fetch: every refspec that matches writes its destination
    ['every matching refspec writes', ['refs/heads/main:refs/remotes/origin/trunk', '+refs/heads/*:refs/remotes/origin/*'], REFS, [
      ['refs/heads/main', 'refs/remotes/origin/trunk', A],
      ['refs/heads/main', 'refs/remotes/origin/main', A],
      ['refs/heads/feature/x', 'refs/remotes/origin/feature/x', B],
      ['refs/heads/main2', 'refs/remotes/origin/main2', E]
    ]],
    ['a narrower glob', ['refs/heads/feature/*:refs/remotes/origin/f/*'], REFS, [
      ['refs/heads/feature/x', 'refs/remotes/origin/f/x', B]
    ]],
    // '*' matches one character at least: refs/heads/main* does not take refs/heads/main
    ['a star at the end of a name', ['refs/heads/main*:refs/m/*'], REFS, [
      ['refs/heads/main2', 'refs/m/2', E]
    ]],
    ['a star in the middle', ['refs/*/head:refs/remotes/origin/pr/*'], REFS, [
      ['refs/pull/1/head', 'refs/remotes/origin/pr/pull/1', D]
    ]],
    // prefix and suffix may not overlap: refs/heads/head is not refs/heads/ + * + /head
    ['overlapping prefix and suffix', ['refs/heads/*/head:refs/x/*'], [{ name: 'refs/heads/head', oid: A }, { name: 'refs/heads//head', oid: B }, { name: 'refs/heads/a/head', oid: C }], [
      ['refs/heads/a/head', 'refs/x/a', C]
    ]],
    ['HEAD is a ref like any other', ['HEAD:refs/remotes/origin/HEAD'], REFS, [
      ['HEAD', 'refs/remotes/origin/HEAD', A]
    ]],
    ['no refspecs', [], REFS, []],
    ['no refs', ['+refs/heads/*:refs/remotes/origin/*'], [], []]
  ]
  for (const [name, specs, refs, want] of cases) {
    await t.test(name, () => {
      assert.deepEqual(mapRefs(refs, specs.map(spec)), want.map(([src, dst, oid]) => ({ src, dst, oid })))
    })
  }
})

// String.replace read "$&", "$'", "$`" and "$$" in the matched part as patterns: refs/heads/a$&b mapped to refs/remotes/origin/a*b
test('mapRefs: a name with "$" in it ("$" is allowed in ref names)', async (t) => {
  for (const suffix of ['a$&b', "x$'", 'x$`', 'a$$b', '$1', 'price$']) {
    await t.test(suffix, () => {
      assert.deepEqual(mapRefs([{ name: `refs/heads/${suffix}`, oid: A }], [spec('+refs/heads/*:refs/remotes/origin/*')]),
        [{ src: `refs/heads/${suffix}`, dst: `refs/remotes/origin/${suffix}`, oid: A }])
    })
  }
})

// Ref names as a remote might advertise them: branches among tags, other
// namespaces and near misses of refs/heads/.
const oid = fc.stringMatching(/^[0-9a-f]{40}$/)
const prefix = fc.constantFrom('refs/heads/', 'refs/tags/', 'refs/remotes/origin/', 'refs/pull/', 'refs/headsx/', 'refs/heads', 'refs/', 'HEAD', 'xrefs/heads/')
const refsWith = (suffix: fc.Arbitrary<string>): fc.Arbitrary<Ref[]> =>
  fc.array(fc.record({ name: fc.tuple(prefix, suffix).map(([p, s]) => p === 'HEAD' ? p : p + s), oid }), { maxLength: 20 })

function checkOriginMapping (refs: Ref[]): void {
  const got = mapRefs(refs, [spec('+refs/heads/*:refs/remotes/origin/*')])
  const want = refs
    .filter(r => r.name.startsWith('refs/heads/') && r.name.length > 'refs/heads/'.length)
    .map(r => ({ src: r.name, dst: `refs/remotes/origin/${r.name.slice('refs/heads/'.length)}`, oid: r.oid }))
  assert.deepEqual(got, want)
}

test('mapRefs: property: +refs/heads/*:refs/remotes/origin/* sends exactly the branches there, same suffix, same oid', () => {
  const suffix = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '/', '.', '-', '_', '*', '@', '{', '\u00e9', 'heads/', 'refs/'), maxLength: 15 })
  fc.assert(fc.property(refsWith(suffix), checkOriginMapping), { numRuns: 200 })
})

test('mapRefs: property: the same, for any suffix', () => {
  // any printable text, with replace()'s patterns put in more often than chance would
  const suffix = fc.string({ unit: fc.oneof(fc.constantFrom('$', '$&', "$'", '$`', '$$'), fc.string({ minLength: 1, maxLength: 1 })), maxLength: 15 })
  fc.assert(fc.property(refsWith(suffix), checkOriginMapping), { numRuns: 200 })
})
