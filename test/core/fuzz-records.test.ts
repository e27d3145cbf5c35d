// Property-based tests of the record parsers (parseUrlList, formatUrlList,
// parseMagnetRecord, parseMirrorList): whatever the text, they answer a value
// or BAD_RECORD naming a line; anything else escaping is a bug. What
// formatUrlList prints parses back. Shared pieces: test/helpers/fuzz.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { type MirrorError } from '../../src/core/errors.js'
import { formatUrlList, parseMagnetRecord, parseMirrorList, parseUrlList } from '../../src/core/records.js'
import { RECORD_REFS } from '../../src/core/refs.js'
import { anyText, BTIH, magnetParam, magnetText, outcome, SEED, Tally } from '../helpers/fuzz.js'

// ---------------------------------------------------------------------------
// Records (src/core/records.ts)

const URL_REF = RECORD_REFS.http
const MAGNET_REF = RECORD_REFS.magnet

/** Lines a record blob may hold: URLs of any scheme, comments, blank lines, junk. */
const recordLine = fc.oneof(
  fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true, withFragments: true }),
  fc.webUrl({ validSchemes: ['ftp', 'file', 'javascript', 'git', 'ssh', 'udp'] }),
  fc.constantFrom('', ' ', '\r', '# a comment', '  #indented', 'http://', 'https://[::1', 'http://a b/', 'HTTP://EXAMPLE.COM/X', 'http://\u00e9.example/',
    'magnet:?xt=urn:btih:' + '0123456789abcdefABCDEF0123456789abcdef01', 'magnet:?xt=urn:btih:xyz', 'javascript:alert(1)', 'data:text/plain,x', '/relative', 'http:/x',
    'git://a.example/x.git', 'ssh://git@a.example/x.git', 'git@a.example:x.git', '-oProxyCommand=x:y', 'https://u:p@a.example/x'),
  fc.tuple(fc.constantFrom('', ' ', '\t', '\u00a0', '\ufeff'), fc.webUrl(), fc.constantFrom('', ' ', '\r', '\t')).map(([a, u, b]) => `${a}${u}${b}`),
  fc.string({ unit: 'binary', maxLength: 40 })
)
/** Mirror and web seed URLs that are (mostly) fine, with white space around. */
const goodUrl = fc.tuple(
  fc.constantFrom('', ' ', '\t'),
  fc.oneof(
    fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true }),
    fc.tuple(fc.constantFrom('git://', 'ssh://git@', 'https://', 'http://'), fc.domain(), fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,8}(\/[a-z0-9][a-z0-9._-]{0,8}){0,2}$/))
      .map(([scheme, host, path]) => `${scheme}${host}/${path}`)
  ),
  fc.constantFrom('', ' ', '\r')
).map(([a, u, b]) => `${a}${u}${b}`)
const recordBlob = fc.oneof(
  fc.tuple(fc.array(recordLine, { maxLength: 6 }), fc.constantFrom('\n', '\r\n')).map(([lines, nl]) => lines.join(nl)),
  fc.array(fc.oneof({ weight: 8, arbitrary: goodUrl }, { weight: 2, arbitrary: fc.constantFrom('', '# x', '  ') }, { weight: 1, arbitrary: recordLine }), { maxLength: 5 })
    .map(lines => lines.join('\n')),
  anyText
)

/** The 1-based line `no` of `blob`, trimmed as the record parser trims it. */
const recordLineAt = (blob: string, no: number): string | undefined => blob.split('\n')[no - 1]?.trim()

function checkBadRecord (err: MirrorError, blob: string, ref: string): void {
  assert.equal(err.code, 'BAD_RECORD')
  const line = err.data.line as number | undefined
  if (line !== undefined) {
    assert.ok(err.message.startsWith(`${ref} line ${line}: `), err.message)
    const text = recordLineAt(blob, line)
    assert.ok(text !== undefined && text !== '' && !text.startsWith('#'), `line ${line} is an entry: ${JSON.stringify(text)}`)
  }
}

test('parseUrlList: property: any text gives http(s) URLs, one an entry line, or BAD_RECORD naming a line', (t) => {
  const tally = new Tally(t)
  fc.assert(fc.property(recordBlob, (blob) => {
    const r = outcome(() => parseUrlList(blob, URL_REF), ['BAD_RECORD'])
    tally.add(!r.ok ? 'BAD_RECORD' : r.value.length > 0 ? 'URLs' : 'empty')
    if (!r.ok) return checkBadRecord(r.error, blob, URL_REF)
    const entries = blob.split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#'))
    assert.equal(r.value.length, entries.length)
    for (const u of r.value) assert.ok(u.protocol === 'http:' || u.protocol === 'https:', u.href)
  }), { seed: SEED, numRuns: 1000 })
})

test('parseUrlList: property: formatUrlList\'s text parses back to the same URLs', () => {
  const url = fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true, withFragments: true, authoritySettings: { withPort: true, withIPv4: true, withIPv6: true } })
    .map(u => new URL(u).href)
  fc.assert(fc.property(fc.array(url, { maxLength: 8 }), (hrefs) => {
    assert.deepEqual(parseUrlList(formatUrlList(hrefs), URL_REF).map(u => u.href), hrefs)
  }), { seed: SEED, numRuns: 300 })
})

test('parseMagnetRecord: property: any text gives one magnet URI with a lower-case v1 infohash, or BAD_RECORD', (t) => {
  const tally = new Tally(t)
  const oneMagnet = fc.tuple(fc.constantFrom('', '# the magnet\n', '\n\n'), BTIH, fc.array(magnetParam, { maxLength: 3 }), fc.boolean(), fc.constantFrom('', '\n', '\r\n# end'))
    .map(([before, h, ps, first, after]) => `${before}magnet:?${(first ? [`xt=urn:btih:${h}`, ...ps] : [...ps, `xt=urn:btih:${h}`]).join('&')}${after}`)
  const blob = fc.oneof(
    fc.tuple(fc.array(fc.oneof(magnetText, recordLine), { maxLength: 3 }), fc.constantFrom('\n', '\r\n')).map(([lines, nl]) => lines.join(nl)),
    oneMagnet,
    anyText
  )
  fc.assert(fc.property(blob, (text) => {
    const r = outcome(() => parseMagnetRecord(text, MAGNET_REF), ['BAD_RECORD'])
    tally.add(r.ok ? 'magnet' : 'BAD_RECORD')
    if (!r.ok) return checkBadRecord(r.error, text, MAGNET_REF)
    assert.match(r.value.infoHash, /^[0-9a-f]{40}$/)
    // reduced to the infohash first, then only dn, tr, ws and as parameters, each as the record's one entry line wrote it
    const [xt, ...rest] = r.value.uri.slice('magnet:?'.length).split('&')
    assert.equal(xt, `xt=urn:btih:${r.value.infoHash}`)
    const entry = text.split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#'))
    assert.equal(entry.length, 1)
    const written = entry[0]!.slice('magnet:?'.length).split('&')
    for (const p of rest) {
      assert.ok(['dn', 'tr', 'ws', 'as'].includes(p.split('=')[0]!.toLowerCase()), p)
      assert.ok(written.includes(p), p)
    }
    assert.equal(parseMagnetRecord(r.value.uri, MAGNET_REF).uri, r.value.uri, 'the reduced URI is a fixed point')
  }), { seed: SEED, numRuns: 1000 })
})

test('parseMagnetRecord: property: a magnet URI between comments and blank lines gives back its infohash and what a download uses of it', () => {
  const filler = fc.constantFrom('', '  ', '# the magnet', '\r', '\t# x')
  const extra = fc.array(fc.tuple(fc.constantFrom('dn', 'tr', 'ws', 'xl'), fc.webUrl()).map(([k, v]) => `${k}=${encodeURIComponent(v)}`), { maxLength: 3 })
  fc.assert(fc.property(fc.array(filler, { maxLength: 3 }), BTIH, extra, fc.boolean(), fc.array(filler, { maxLength: 3 }), (before, h, params, xtFirst, after) => {
    const uri = `magnet:?${(xtFirst ? [`xt=urn:btih:${h}`, ...params] : [...params, `xt=urn:btih:${h}`]).join('&')}`
    // what a download uses comes back, infohash first, the others in the order dn, tr, ws (xl is dropped)
    const kept = ['dn', 'tr', 'ws'].flatMap(k => params.filter(p => p.startsWith(`${k}=`)))
    const reduced = [`magnet:?xt=urn:btih:${h.toLowerCase()}`, ...kept].join('&')
    assert.deepEqual(parseMagnetRecord([...before, ` ${uri}\r`, ...after].join('\n'), MAGNET_REF), { uri: reduced, infoHash: h.toLowerCase() })
  }), { seed: SEED, numRuns: 300 })
})

test('parseMirrorList: property: any text gives mirror URLs or BAD_RECORD naming a line, in both records', (t) => {
  const tally = new Tally(t)
  const gitUrl = fc.tuple(fc.constantFrom('git://', 'ssh://git@', 'git@', 'ssh://'), fc.domain(), fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,8}(\/[a-z0-9][a-z0-9._-]{0,8}){0,2}$/))
    .map(([scheme, host, path]) => scheme === 'git@' ? `git@${host}:${path}` : `${scheme}${host}/${path}`)
  const mirrorBlob = fc.array(fc.oneof({ weight: 8, arbitrary: fc.oneof(gitUrl, goodUrl) }, { weight: 2, arbitrary: fc.constantFrom('', '# x', '  ') }, { weight: 1, arbitrary: recordLine }), { maxLength: 4 })
    .map(lines => lines.join('\n'))
  fc.assert(fc.property(fc.oneof(recordBlob, mirrorBlob), fc.constantFrom<'git' | 'http'>('git', 'http'), (blob, record) => {
    const ref = record === 'git' ? RECORD_REFS.fetchGit : RECORD_REFS.fetchHttp
    const r = outcome(() => parseMirrorList(blob, ref, record), ['BAD_RECORD'])
    tally.add(!r.ok ? 'BAD_RECORD' : r.value.length > 0 ? `${record} URLs` : 'empty')
    if (!r.ok) return checkBadRecord(r.error, blob, ref)
    for (const m of r.value) assert.ok(record === 'http' ? ['http', 'https'].includes(m.scheme) : ['git', 'ssh'].includes(m.scheme), `${m.scheme} in ${record}`)
  }), { seed: SEED, numRuns: 1000 })
})
