import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatUrlList, parseMagnetRecord, parseUrlList } from '../../src/core/records.js'

const REF = 'refs/mirrors/bundle/http'
const HASH = '0123456789abcdef0123456789abcdef01234567'

test('parseUrlList: accepted blobs', async (t) => {
  const cases: Array<[string, string, string[]]> = [
    ['empty blob', '', []],
    ['only blank lines and comments', '\n\n# a comment\n   \n  # indented comment\n', []],
    ['one URL without final newline', 'https://example.com/a.bundle', ['https://example.com/a.bundle']],
    ['several, order kept', 'https://a.example/x.bundle\nhttp://b.example:8080/y.bundle\n', ['https://a.example/x.bundle', 'http://b.example:8080/y.bundle']],
    ['CRLF and surrounding white space', '  https://a.example/x.bundle \r\n\thttp://b.example/y\r\n', ['https://a.example/x.bundle', 'http://b.example/y']],
    ['comments between entries', '# mirrors\nhttps://a.example/x\n\n# backup\nhttps://b.example/x\n', ['https://a.example/x', 'https://b.example/x']],
    ['upper-case scheme', 'HTTPS://A.EXAMPLE/x\n', ['https://a.example/x']]
  ]
  for (const [name, blob, want] of cases) {
    await t.test(name, () => {
      const urls = parseUrlList(blob, REF)
      assert.ok(urls.every(u => u instanceof URL))
      assert.deepEqual(urls.map(u => u.href), want)
    })
  }
})

test('parseUrlList: rejected blobs name the ref and the line', async (t) => {
  const cases: Array<[string, string, number, RegExp]> = [
    ['not a URL', 'https://ok.example/a\nnot a url\n', 2, /not a URL/],
    ['relative path', '\n\n/srv/x.bundle\n', 3, /not a URL/],
    ['ftp', 'ftp://example.com/x.bundle\n', 1, /only http\(s\) URLs/],
    ['file', '# c\nfile:///etc/passwd\n', 2, /only http\(s\) URLs/],
    ['javascript', 'javascript:alert(1)\n', 1, /only http\(s\) URLs/],
    ['git', 'git://example.com/repo.git\n', 1, /only http\(s\) URLs/]
  ]
  for (const [name, blob, line, what] of cases) {
    await t.test(name, () => {
      assert.throws(() => parseUrlList(blob, REF), (err: any) => {
        assert.equal(err.name, 'MirrorError')
        assert.equal(err.code, 'BAD_RECORD')
        assert.match(err.message, new RegExp(`^${REF} line ${line}: `))
        assert.match(err.message, what)
        assert.deepEqual(err.data, { ref: REF, line })
        return true
      })
    })
  }
})

test('formatUrlList: one a line, round trip through parseUrlList', async (t) => {
  const cases: Array<[string[], string]> = [
    [[], ''],
    [['https://a.example/x.bundle'], 'https://a.example/x.bundle\n'],
    [['https://a.example/x', 'http://b.example/y'], 'https://a.example/x\nhttp://b.example/y\n']
  ]
  for (const [urls, text] of cases) {
    await t.test(JSON.stringify(urls), () => {
      assert.equal(formatUrlList(urls), text)
      assert.deepEqual(parseUrlList(formatUrlList(urls), REF).map(u => u.href), urls)
    })
  }
})

test('parseMagnetRecord: accepted blobs', async (t) => {
  // uri: the record reduced to what a download uses (the infohash, then dn, tr, ws, as as written)
  const plain = `magnet:?xt=urn:btih:${HASH}`
  const cases: Array<[string, string, string]> = [
    ['plain', `${plain}\n`, plain],
    ['upper-case hash is lower-cased', `magnet:?xt=urn:btih:${HASH.toUpperCase()}`, plain],
    ['with name, trackers and web seed', `${plain}&dn=repo-abc.bundle&tr=udp%3A%2F%2Ft.example%3A1337&ws=https%3A%2F%2Fw.example%2F\n`, `${plain}&dn=repo-abc.bundle&tr=udp%3A%2F%2Ft.example%3A1337&ws=https%3A%2F%2Fw.example%2F`],
    ['comments and blank lines around', `# published by mirror-publish\n\n  ${plain}  \n\n`, plain],
    ['btih after another xt', `magnet:?xt=urn:btmh:1220${'0'.repeat(64)}&xt=urn:btih:${HASH}`, plain],
    ['the first btih of two', `${plain}&xt=urn:btih:${'f'.repeat(40)}`, plain],
    // magnet-uri expands so= ranges into arrays (so=0-4294967294 killed the process); xs is never fetched; x.pe unused
    ['so=, xs= and x.pe= dropped', `magnet:?so=0-4294967294&xt=urn:btih:${HASH}&xs=http%3A%2F%2Fx.example%2Fa&x.pe=10.0.0.1%3A6881&as=http%3A%2F%2Fa.example%2Fb`, `${plain}&as=http%3A%2F%2Fa.example%2Fb`],
    ['at most 64 trackers', `${plain}${'&tr=udp%3A%2F%2Ft.example%3A1'.repeat(70)}`, `${plain}${'&tr=udp%3A%2F%2Ft.example%3A1'.repeat(64)}`]
  ]
  for (const [name, blob, uri] of cases) {
    await t.test(name, () => {
      assert.deepEqual(parseMagnetRecord(blob, 'refs/mirrors/bundle/magnet'), { uri, infoHash: HASH })
    })
  }
})

test('parseMagnetRecord: rejected blobs name the ref', async (t) => {
  const MREF = 'refs/mirrors/bundle/magnet'
  const cases: Array<[string, string, RegExp]> = [
    ['empty', '', /^refs\/mirrors\/bundle\/magnet: expected one magnet URI, found 0 lines$/],
    ['only a comment', '# nothing\n', /found 0 lines/],
    ['two magnets', `magnet:?xt=urn:btih:${HASH}\nmagnet:?xt=urn:btih:${HASH}\n`, /found 2 lines/],
    ['not a magnet', 'https://example.com/x.torrent\n', /^refs\/mirrors\/bundle\/magnet line 1: not a magnet URI$/],
    ['no xt', '\nmagnet:?dn=x\n', /^refs\/mirrors\/bundle\/magnet line 2: no urn:btih: infohash/],
    ['short hash', `magnet:?xt=urn:btih:${HASH.slice(1)}`, /no urn:btih: infohash/],
    ['base32 hash', `magnet:?xt=urn:btih:${'A'.repeat(32)}`, /no urn:btih: infohash/],
    ['hash with trailing junk', `magnet:?xt=urn:btih:${HASH}0`, /no urn:btih: infohash/],
    ['only a v2 btmh', `magnet:?xt=urn:btmh:1220${'0'.repeat(64)}`, /no urn:btih: infohash/]
  ]
  for (const [name, blob, message] of cases) {
    await t.test(name, () => {
      assert.throws(() => parseMagnetRecord(blob, MREF), { name: 'MirrorError', code: 'BAD_RECORD', message })
    })
  }
})
