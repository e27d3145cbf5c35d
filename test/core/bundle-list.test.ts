import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { formatBundleList, parseBundleList, parseConfigList, type BundleList } from '../../src/core/bundle-list.js'
import { isMirrorError } from '../../src/core/errors.js'

const E = (id: string, token: number, uri: string | null = null): BundleList['entries'][number] =>
  ({ id, uri, creationToken: token, infoHash: String(token).padStart(40, 'a'), size: 1000 + token, sha256: 'b'.repeat(64) })

/** What `git config --list -z` gives for a list: section and key lower-cased, the subsection (id) as written. */
function pairsOf (text: string): Array<[string, string | null]> {
  const pairs: Array<[string, string | null]> = []
  let section = ''
  for (const line of text.split('\n')) {
    const head = /^\[bundle(?: "(.*)")?\]$/.exec(line)
    if (head !== null) { section = head[1] === undefined ? 'bundle' : `bundle.${head[1]}`; continue }
    const kv = /^\t(\w+) = (.*)$/.exec(line)
    if (kv === null) continue
    const value = kv[2]!.startsWith('"') ? kv[2]!.slice(1, -1).replace(/\\(.)/g, '$1') : kv[2]!
    pairs.push([`${section}.${kv[1]!.toLowerCase()}`, value])
  }
  return pairs
}

test('formatBundleList: git\'s bundle-list syntax, our keys beside git\'s, uris quoted', () => {
  const text = formatBundleList({ entries: [E('base', 1, 'https://dl.example.org/p/base.bundle'), E('inc-2', 2)] })
  assert.equal(text, [
    '[bundle]', '\tversion = 1', '\tmode = all', '\theuristic = creationToken',
    '[bundle "base"]', '\turi = "https://dl.example.org/p/base.bundle"', '\tcreationToken = 1', `\tinfohash = ${'1'.padStart(40, 'a')}`, '\tsize = 1001', `\tsha256 = ${'b'.repeat(64)}`,
    '[bundle "inc-2"]', '\tcreationToken = 2', `\tinfohash = ${'2'.padStart(40, 'a')}`, '\tsize = 1002', `\tsha256 = ${'b'.repeat(64)}`, ''
  ].join('\n'))
  assert.throws(() => formatBundleList({ entries: [E('a', 2), E('b', 2)] }), /does not increase/)
  assert.throws(() => formatBundleList({ entries: [E('a b', 1)] }), /not letters, digits/)
  assert.throws(() => formatBundleList({ entries: [E('a', 1, 'file:///etc/passwd')] }), /not http\(s\)/)
  assert.throws(() => formatBundleList({ entries: [] }), /no bundles/)
})

test('parseConfigList splits git config -z output', () => {
  assert.deepEqual(parseConfigList('bundle.version\n1\0bundle.flag\0bundle.x.uri\nhttps://h/a\nb\0'), [['bundle.version', '1'], ['bundle.flag', null], ['bundle.x.uri', 'https://h/a\nb']])
})

test('parseBundleList refuses, naming why', () => {
  const good = pairsOf(formatBundleList({ entries: [E('base', 1), E('inc', 2)] }))
  assert.deepEqual(parseBundleList(good, 'the list').entries.map(e => e.id), ['base', 'inc'])
  assert.deepEqual(parseBundleList([...good, ['bundle.base.whatever', 'x'], ['other.key', 'y']], 'l').entries.length, 2, 'unknown keys are ignored')
  const cases: Array<[Array<[string, string | null]>, RegExp]> = [
    [good.filter(([k]) => k !== 'bundle.version'), /bundle\.version is not 1/],
    [good.map(([k, v]) => [k, k === 'bundle.mode' ? 'any' : v]), /bundle\.mode is not "all"/],
    [good.filter(([k]) => k !== 'bundle.inc.sha256'), /bundle\.inc\.sha256 is missing/],
    [good.map(([k, v]) => [k, k === 'bundle.inc.creationtoken' ? '1' : v]), /does not increase/],
    [[...good, ['bundle.inc.size', '5']], /given twice/],
    [[...good, ['bundle.x;y.uri', 'https://h/']], /not letters, digits/],
    [[...good, ['bundle.inc.uri', 'https://u:p@h/b']], /carries credentials/],
    [good.map(([k, v]) => [k, k === 'bundle.inc.infohash' ? '1'.padStart(40, 'a') : v]), /names before \(a cycle\)/],
    [[['bundle.version', '1'], ['bundle.mode', 'all']], /no bundles/]
  ]
  for (const [pairs, why] of cases) {
    assert.throws(() => parseBundleList(pairs, 'the list'), (err: unknown) => isMirrorError(err, 'BAD_RECORD') && why.test((err as Error).message) && (err as Error).message.startsWith('the list: '), String(why))
  }
})

const entry = fc.record({
  id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9-]{0,20}$/),
  uri: fc.option(fc.webUrl({ validSchemes: ['https', 'http'] }).filter(u => /^[\x21-\x7e]+$/.test(u) && new URL(u).username === '' && new URL(u).password === ''), { nil: null }),
  step: fc.integer({ min: 1, max: 1000 }),
  infoHash: fc.stringMatching(/^[0-9a-f]{40}$/),
  size: fc.integer({ min: 1, max: 2 ** 40 }),
  sha256: fc.stringMatching(/^[0-9a-f]{64}$/)
}, { noNullPrototype: true })

test('property: a list prints, is read as git reads it, and comes back the same; junk gives a list or BAD_RECORD', () => {
  fc.assert(fc.property(fc.uniqueArray(entry, { minLength: 1, maxLength: 8, selector: e => e.id.toLowerCase() }), raw => {
    let token = 0
    const list: BundleList = { entries: raw.map(({ step, ...e }) => ({ ...e, creationToken: (token += step) })) }
    assert.deepEqual(parseBundleList(pairsOf(formatBundleList(list)), 'l'), list)
  }), { seed: 16, numRuns: 300 })
  fc.assert(fc.property(fc.array(fc.tuple(fc.oneof(fc.constantFrom('bundle.version', 'bundle.mode', 'bundle.a.creationtoken', 'bundle.a.uri', 'bundle.a.size'), fc.string({ maxLength: 30 })), fc.option(fc.string({ maxLength: 40 }), { nil: null })), { maxLength: 12 }), pairs => {
    try {
      parseBundleList(pairs, 'l')
    } catch (err) {
      assert.ok(isMirrorError(err, 'BAD_RECORD'), String(err))
    }
  }), { seed: 17, numRuns: 500 })
})
