import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ERROR_CODES, type ErrorCode } from '../../src/core/errors.js'
import { parseMirrorUrl } from '../../src/core/mirror-url.js'
import { RECORD_REFS, isSafeRefName } from '../../src/core/refs.js'
import {
  DEFAULT_ALLOWED_PROTOCOLS, DEFAULT_SOURCE_ORDER, isCandidate, outcomeOf, parseProtocolList, parseSourceList, planSources,
  sourceRecords, SOURCE_KINDS, type Candidate, type NotTried, type SourceKind, type SourceRecords
} from '../../src/core/sources.js'

const HASH = '0123456789abcdef0123456789abcdef01234567'
const MAGNET = `magnet:?xt=urn:btih:${HASH}\n`

test('DESIGN.md\'s default order and protocols', () => {
  assert.deepEqual(SOURCE_KINDS, ['torrent', 'http', 'mirror'])
  assert.deepEqual(DEFAULT_SOURCE_ORDER, ['torrent', 'http', 'mirror'])
  assert.deepEqual([...DEFAULT_ALLOWED_PROTOCOLS].sort(), ['git', 'http', 'https', 'ssh'])
})

test('parseSourceList: accepted', async (t) => {
  const cases: Array<[string, SourceKind[]]> = [
    ['torrent,http,mirror', ['torrent', 'http', 'mirror']],
    ['mirror,torrent', ['mirror', 'torrent']],           // the order asked for, not the default one
    ['http', ['http']],
    [' Torrent , HTTP ', ['torrent', 'http']],           // as people type it
    ['torrent,http,mirror,origin', ['torrent', 'http', 'mirror']],
    ['http,origin', ['http']],
    ['origin', []],                                     // the origin alone: no other source
    ['ORIGIN', []]
  ]
  for (const [text, want] of cases) {
    await t.test(JSON.stringify(text), () => assert.deepEqual(parseSourceList(text, '--sources'), want))
  }
})

test('parseSourceList: refused, with the caller\'s code (USAGE by default)', async (t) => {
  const cases: Array<[string, RegExp]> = [
    // the origin is always tried last: naming it earlier would promise an order that is not kept
    ['origin,http', /^--sources: "origin" is not a source \(torrent, http, mirror, and origin last\)$/],
    ['origin,origin', /"origin" is not a source/],
    ['http,origin,torrent', /"origin" is not a source/],
    ['torrent,torrent', /^--sources: torrent is named twice$/],
    ['http,mirror,HTTP', /http is named twice/],
    ['ftp', /^--sources: "ftp" is not a source/],
    ['bundle,http', /"bundle" is not a source/],
    ['', /^--sources: "" is not a source/],
    ['torrent,,http', /"" is not a source/],
    ['torrent,', /"" is not a source/],
    [',torrent', /"" is not a source/],
    ['torrent http', /"torrent http" is not a source/]
  ]
  for (const [text, message] of cases) {
    await t.test(JSON.stringify(text), () => {
      assert.throws(() => parseSourceList(text, '--sources'), { name: 'MirrorError', code: 'USAGE', message, data: { value: text } })
      // from git config it is a bad option value, not wrong command-line use
      assert.throws(() => parseSourceList(text, 'mirror.sources', 'BAD_OPTION'), { name: 'MirrorError', code: 'BAD_OPTION', message: /^mirror\.sources: / })
    })
  }
})

test('parseSourceList: property: any order of any subset comes back as given', () => {
  fc.assert(fc.property(
    fc.shuffledSubarray([...SOURCE_KINDS]),
    fc.boolean(),
    fc.array(fc.constantFrom(' ', '\t'), { maxLength: 2 }).map(a => a.join('')),
    (kinds, origin, pad) => {
      const items = [...kinds, ...(origin ? ['origin'] : [])]
      // an empty list is '' (refused) unless the origin ends it
      if (items.length === 0) return
      assert.deepEqual(parseSourceList(items.map(k => `${pad}${k}${pad}`).join(','), '--sources'), kinds)
    }
  ), { numRuns: 200 })
})

test('parseProtocolList: accepted', async (t) => {
  const cases: Array<[string, string[]]> = [
    ['https,ssh', ['https', 'ssh']],
    [' HTTPS , ssh ,', ['https', 'ssh']],   // blank items dropped, lower-cased
    ['https,https,HTTPS', ['https']],
    ['git+ssh,x-y.z', ['git+ssh', 'x-y.z']],
    ['', []]                                 // nothing allowed
  ]
  for (const [text, want] of cases) {
    await t.test(JSON.stringify(text), () => assert.deepEqual(parseProtocolList(text, 'mirror.allowProtocols'), want))
  }
})

test('parseProtocolList: refused', async (t) => {
  for (const text of ['https,ht tp', '1http', 'file:', 'https://', '*', 'ssh,-x']) {
    await t.test(JSON.stringify(text), () => {
      assert.throws(() => parseProtocolList(text, 'mirror.allowProtocols'), {
        name: 'MirrorError', code: 'BAD_OPTION', message: /^mirror\.allowProtocols: ".*" is not a protocol name$/, data: { value: text }
      })
    })
  }
})

const blob = (s: string): Buffer => Buffer.from(s, 'utf8')

test('sourceRecords: which records make which sources', async (t) => {
  type Want = { torrent: string | null, http: string[], mirrors: string[], broken: Array<[SourceKind, string, RegExp]> }
  const cases: Array<[string, Parameters<typeof sourceRecords>[0], Want]> = [
    ['nothing published', {}, { torrent: null, http: [], mirrors: [], broken: [] }],
    ['the torrent record', { torrent: blob('d4:infod...ee') }, { torrent: RECORD_REFS.torrent, http: [], mirrors: [], broken: [] }],
    ['the magnet record alone', { magnet: blob(MAGNET) }, { torrent: RECORD_REFS.magnet, http: [], mirrors: [], broken: [] }],
    ['torrent before magnet', { torrent: blob('x'), magnet: blob(MAGNET) }, { torrent: RECORD_REFS.torrent, http: [], mirrors: [], broken: [] }],
    ['bundle URLs', { http: blob('# c\nhttps://a.example/x.bundle\nhttp://b.example/y\n') }, { torrent: null, http: ['https://a.example/x.bundle', 'http://b.example/y'], mirrors: [], broken: [] }],
    // fetch/git first, then fetch/http
    ['mirrors from both records', { fetchHttp: blob('https://h.example/x.git\n'), fetchGit: blob('git://g.example/x.git\ngit@s.example:x.git\n') },
      { torrent: null, http: [], mirrors: ['git://g.example/x.git', 'git@s.example:x.git', 'https://h.example/x.git'], broken: [] }],
    // one broken record refuses its own source only
    ['a broken bundle URL record, mirrors still parse', { http: blob('https://a.example/x\nnot a url\n'), fetchGit: blob('git://g.example/x.git\n'), magnet: blob(MAGNET) },
      { torrent: RECORD_REFS.magnet, http: [], mirrors: ['git://g.example/x.git'], broken: [['http', RECORD_REFS.http, /^refs\/mirrors\/bundle\/http line 2: not a URL$/]] }],
    ['a broken fetch/git record, fetch/http still parses', { fetchGit: blob('https://wrong.example/x\n'), fetchHttp: blob('https://h.example/x.git\n') },
      { torrent: null, http: [], mirrors: ['https://h.example/x.git'], broken: [['mirror', RECORD_REFS.fetchGit, /^refs\/mirrors\/fetch\/git line 1: https:\/\/ does not belong/]] }],
    ['a broken fetch/http record, fetch/git still parses', { fetchGit: blob('ssh://g.example/x\n'), fetchHttp: blob('# ok\n\nfile:///etc\n') },
      { torrent: null, http: [], mirrors: ['ssh://g.example/x'], broken: [['mirror', RECORD_REFS.fetchHttp, /^refs\/mirrors\/fetch\/http line 3: file:\/\//]] }],
    ['every list broken', { http: blob('ftp://a/x\n'), fetchGit: blob('/srv/x\n'), fetchHttp: blob('git://a/x\n') },
      { torrent: null, http: [], mirrors: [], broken: [['http', RECORD_REFS.http, /line 1/], ['mirror', RECORD_REFS.fetchGit, /line 1/], ['mirror', RECORD_REFS.fetchHttp, /line 1/]] }]
  ]
  for (const [name, records, want] of cases) {
    await t.test(name, () => {
      const r = sourceRecords(records)
      assert.deepEqual(r.torrent, want.torrent === null ? null : { url: want.torrent })
      assert.deepEqual(r.http.map(u => u.href), want.http)
      assert.deepEqual(r.mirrors.map(m => m.url), want.mirrors)
      assert.equal(r.broken.length, want.broken.length)
      for (const [i, [kind, ref, reason]] of want.broken.entries()) {
        assert.equal(r.broken[i]!.kind, kind)
        assert.equal(r.broken[i]!.ref, ref)
        assert.match(r.broken[i]!.reason, reason)
      }
    })
  }
})

/** Records as sourceRecords would give them, from URL texts. */
function records (o: { torrent?: boolean, http?: string[], git?: string[], httpMirrors?: string[], broken?: SourceRecords['broken'] }): SourceRecords {
  return {
    torrent: o.torrent === true ? { url: RECORD_REFS.torrent } : null,
    http: (o.http ?? []).map(u => new URL(u)),
    mirrors: [...(o.git ?? []).map(u => parseMirrorUrl(u, 'git')), ...(o.httpMirrors ?? []).map(u => parseMirrorUrl(u, 'http'))],
    broken: o.broken ?? []
  }
}

const ALL = { allowProtocols: DEFAULT_ALLOWED_PROTOCOLS, origin: 'https://origin.example/project.git' }

test('planSources: table', async (t) => {
  const brokenHttp = { kind: 'http' as const, ref: RECORD_REFS.http, reason: `${RECORD_REFS.http} line 1: not a URL` }
  const brokenGit = { kind: 'mirror' as const, ref: RECORD_REFS.fetchGit, reason: `${RECORD_REFS.fetchGit} line 2: file:// does not belong in this record (it takes git and ssh)` }
  const cases: Array<[string, SourceRecords, { order: readonly SourceKind[], allowProtocols: readonly string[], origin?: string }, Array<Candidate | NotTried>]> = [
    ['nothing published', records({}), { order: DEFAULT_SOURCE_ORDER, ...ALL }, []],
    ['the default order', records({ torrent: true, http: ['https://b.example/x.bundle'], git: ['git://m.example/x.git'] }), { order: DEFAULT_SOURCE_ORDER, ...ALL }, [
      { kind: 'torrent', url: RECORD_REFS.torrent },
      { kind: 'http', url: 'https://b.example/x.bundle' },
      { kind: 'mirror', url: 'git://m.example/x.git', staging: 'm.example' }
    ]],
    ['the order asked for', records({ torrent: true, http: ['https://b.example/x.bundle'], git: ['git://m.example/x.git'] }), { order: ['mirror', 'torrent', 'http'], ...ALL }, [
      { kind: 'mirror', url: 'git://m.example/x.git', staging: 'm.example' },
      { kind: 'torrent', url: RECORD_REFS.torrent },
      { kind: 'http', url: 'https://b.example/x.bundle' }
    ]],
    // what the order leaves out is not mentioned at all, broken or not
    ['kinds left out of the order', records({ torrent: true, http: ['https://b.example/x'], git: ['git://m.example/x'], broken: [brokenHttp] }), { order: ['torrent'], ...ALL }, [
      { kind: 'torrent', url: RECORD_REFS.torrent }
    ]],
    ['an empty order (origin only)', records({ torrent: true, git: ['git://m.example/x'] }), { order: [], ...ALL }, []],
    // a protocol rule keeps a source out visibly, in its place
    ['protocols not allowed are skipped, naming mirror.allowProtocols', records({
      http: ['http://b.example/x.bundle', 'https://c.example/x.bundle'],
      git: ['git://m.example/x.git', 'git@s.example:x.git'],
      httpMirrors: ['https://h.example/x.git']
    }), { order: DEFAULT_SOURCE_ORDER, allowProtocols: ['https'] }, [
      { kind: 'http', url: 'http://b.example/x.bundle', outcome: 'skipped', reason: 'protocol http is not allowed (mirror.allowProtocols)' },
      { kind: 'http', url: 'https://c.example/x.bundle' },
      { kind: 'mirror', url: 'git://m.example/x.git', outcome: 'skipped', reason: 'protocol git is not allowed (mirror.allowProtocols)' },
      { kind: 'mirror', url: 'git@s.example:x.git', outcome: 'skipped', reason: 'protocol ssh is not allowed (mirror.allowProtocols)' },
      { kind: 'mirror', url: 'https://h.example/x.git', staging: 'h.example' }
    ]],
    ['nothing allowed', records({ http: ['https://b.example/x'], git: ['ssh://m.example/x'] }), { order: DEFAULT_SOURCE_ORDER, allowProtocols: [] }, [
      { kind: 'http', url: 'https://b.example/x', outcome: 'skipped', reason: 'protocol https is not allowed (mirror.allowProtocols)' },
      { kind: 'mirror', url: 'ssh://m.example/x', outcome: 'skipped', reason: 'protocol ssh is not allowed (mirror.allowProtocols)' }
    ]],
    // a broken record is refused where its kind stands, before that kind's candidates
    ['broken records are refused in their kind\'s place', records({ torrent: true, git: [], httpMirrors: ['https://h.example/x.git'], broken: [brokenHttp, brokenGit] }),
      { order: ['mirror', 'http', 'torrent'], ...ALL }, [
        { kind: 'mirror', url: RECORD_REFS.fetchGit, outcome: 'refused', reason: brokenGit.reason },
        { kind: 'mirror', url: 'https://h.example/x.git', staging: 'h.example' },
        { kind: 'http', url: RECORD_REFS.http, outcome: 'refused', reason: brokenHttp.reason },
        { kind: 'torrent', url: RECORD_REFS.torrent }
      ]],
    // two mirrors on one host must not share refs/mirror/<host>/
    ['two mirrors on one host', records({ git: ['git://m.example/a.git', 'ssh://git@M.example/b.git'], httpMirrors: ['https://m.example/c.git'] }), { order: ['mirror'], ...ALL }, [
      { kind: 'mirror', url: 'git://m.example/a.git', staging: 'm.example' },
      { kind: 'mirror', url: 'ssh://git@M.example/b.git', staging: 'm.example-2' },
      { kind: 'mirror', url: 'https://m.example/c.git', staging: 'm.example-3' }
    ]],
    ['ports make their own names', records({ git: ['ssh://m.example:2222/a', 'ssh://m.example:2223/a', 'ssh://m.example/a'] }), { order: ['mirror'], ...ALL }, [
      { kind: 'mirror', url: 'ssh://m.example:2222/a', staging: 'm.example_2222' },
      { kind: 'mirror', url: 'ssh://m.example:2223/a', staging: 'm.example_2223' },
      { kind: 'mirror', url: 'ssh://m.example/a', staging: 'm.example' }
    ]],
    // refs/mirror/torrent/ and refs/mirror/http/ are the bundles' staging, even before any bundle is tried
    ['hosts named torrent and http', records({ git: ['git://torrent/x.git', 'git@http:x.git'] }), { order: ['mirror'], ...ALL }, [
      { kind: 'mirror', url: 'git://torrent/x.git', staging: 'torrent-2' },
      { kind: 'mirror', url: 'git@http:x.git', staging: 'http-2' }
    ]],
    // core/address-policy.ts: a source may be as local as the origin, no more
    ['a public origin: loopback and private sources are not contacted', records({ http: ['http://127.0.0.1:8080/b.bundle', 'https://cdn.example/b.bundle'], git: ['git://10.1.2.3/x.git'] }), { order: ['http', 'mirror'], ...ALL }, [
      { kind: 'http', url: 'http://127.0.0.1:8080/b.bundle', outcome: 'skipped', reason: 'not contacted: 127.0.0.1 is a loopback address and the origin\'s is public: a source may be as local as the origin, no more' },
      { kind: 'http', url: 'https://cdn.example/b.bundle' },
      { kind: 'mirror', url: 'git://10.1.2.3/x.git', outcome: 'skipped', reason: 'not contacted: 10.1.2.3 is a private address and the origin\'s is public: a source may be as local as the origin, no more' }
    ]],
    ['an origin on loopback allows them', records({ http: ['http://127.0.0.1:8080/b.bundle'], git: ['git://10.1.2.3/x.git'] }), { order: ['http', 'mirror'], ...ALL, origin: 'http://127.0.0.1:9000/p.git' }, [
      { kind: 'http', url: 'http://127.0.0.1:8080/b.bundle' },
      { kind: 'mirror', url: 'git://10.1.2.3/x.git', staging: '10.1.2.3' }
    ]],
    ['an HTTP bundle on a port for another protocol is not contacted', records({ http: ['http://cdn.example:25/b.bundle'] }), { order: ['http'], ...ALL }, [
      { kind: 'http', url: 'http://cdn.example:25/b.bundle', outcome: 'skipped', reason: 'not contacted: port 25 is one browsers refuse for HTTP (it belongs to another protocol)' }
    ]],
    ['a skipped mirror takes no name', records({ git: ['git://m.example/a'], httpMirrors: ['https://m.example/b'] }), { order: ['mirror'], allowProtocols: ['https'], origin: ALL.origin }, [
      { kind: 'mirror', url: 'git://m.example/a', outcome: 'skipped', reason: 'protocol git is not allowed (mirror.allowProtocols)' },
      { kind: 'mirror', url: 'https://m.example/b', staging: 'm.example' }
    ]]
  ]
  for (const [name, r, o, want] of cases) {
    await t.test(name, () => assert.deepEqual(planSources(r, { origin: ALL.origin, ...o }), want))
  }
})

test('planSources: property: mirrors\' staging names are distinct, safe, and never a bundle\'s', () => {
  const label = fc.constantFrom('torrent', 'http', 'mirror', 'a', 'b', 'example', 'com', 'x-1')
  const host = fc.array(label, { minLength: 1, maxLength: 2 }).map(a => a.join('.'))
  const mirror = fc.tuple(fc.constantFrom('git://', 'ssh://git@', 'https://'), host, fc.option(fc.constantFrom(2222, 8080, 9418)))
    .map(([s, h, p]) => `${s}${h}${p === null ? '' : `:${p}`}/x.git`)
  fc.assert(fc.property(fc.array(mirror, { maxLength: 10 }), (urls) => {
    const plan = planSources(records({ git: urls.filter(u => !u.startsWith('https')), httpMirrors: urls.filter(u => u.startsWith('https')) }), { order: ['mirror'], ...ALL })
    const names = plan.filter(isCandidate).map(c => (c as Extract<Candidate, { kind: 'mirror' }>).staging)
    assert.equal(names.length, urls.length)
    assert.equal(new Set(names).size, names.length)
    for (const n of names) {
      assert.ok(n !== 'torrent' && n !== 'http', n)
      assert.ok(isSafeRefName(`refs/mirror/${n}/heads/main`), n)
    }
  }), { numRuns: 200 })
})

test('outcomeOf: a check that refused what a source sent is "refused", any other failure "failed"', async (t) => {
  const refused: ErrorCode[] = ['BAD_RECORD', 'UNSAFE_TORRENT', 'TOO_LARGE', 'BAD_BUNDLE', 'VERIFY_FAILED', 'BAD_PUSH_OBJECT']
  for (const code of ERROR_CODES) {
    const want = refused.includes(code) ? 'refused' : 'failed'
    await t.test(`${code}: ${want}`, () => assert.equal(outcomeOf(code), want))
  }
})
