import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { parseMirrorList } from '../../src/core/records.js'
import { RECORD_REFS } from '../../src/core/refs.js'

// refs/mirrors/fetch/git and refs/mirrors/fetch/http hold one mirror URL a
// line, in the publisher's order of preference; the record's text layout
// is the same as the other records' (comments, blank lines, CRLF).

const GIT = RECORD_REFS.fetchGit
const HTTP = RECORD_REFS.fetchHttp

test('parseMirrorList: accepted blobs', async (t) => {
  const cases: Array<[string, string, 'git' | 'http', string[]]> = [
    ['empty blob', '', 'git', []],
    ['only comments and blank lines', '# none yet\n\n   \n\t# indented\n', 'git', []],
    ['one, no final newline', 'git://a.example/x.git', 'git', ['git://a.example/x.git']],
    ['order kept, comments and blank lines between', '# primary\ngit://a.example/x.git\n\n# backup\nssh://git@b.example/x.git\ngit@c.example:x.git\n', 'git',
      ['git://a.example/x.git', 'ssh://git@b.example/x.git', 'git@c.example:x.git']],
    ['CRLF and surrounding white space', '  https://a.example/x.git \r\n\thttp://b.example:8080/y\r\n', 'http', ['https://a.example/x.git', 'http://b.example:8080/y']],
    // a comment is a whole line: '#' later in a line is part of the URL, and refused there
    ['a comment line may hold anything', '# file:///etc ext::sh -c x\nhttps://a.example/x\n', 'http', ['https://a.example/x']]
  ]
  for (const [name, blob, record, want] of cases) {
    await t.test(name, () => {
      const ref = record === 'git' ? GIT : HTTP
      assert.deepEqual(parseMirrorList(blob, ref, record).map(m => m.url), want)
    })
  }
})

test('parseMirrorList: the parsed fields come from parseMirrorUrl', () => {
  assert.deepEqual(parseMirrorList('ssh://git@Mirror.Example:2222/x.git\n', GIT, 'git'), [
    { url: 'ssh://git@Mirror.Example:2222/x.git', scheme: 'ssh', host: 'mirror.example', port: 2222 }
  ])
})

test('parseMirrorList: a bad line is BAD_RECORD naming the ref and the line', async (t) => {
  const cases: Array<[string, string, 'git' | 'http', number, RegExp]> = [
    ['http in the git record', 'git://a.example/x\nhttps://b.example/y\n', 'git', 2, /https:\/\/ does not belong in this record/],
    ['git in the http record', '\n# c\ngit://a.example/x\n', 'http', 3, /git:\/\/ does not belong in this record/],
    ['file://', 'file:///srv/x.git\n', 'git', 1, /file:\/\/ does not belong/],
    ['ext::', '# ok\ngit://a.example/x\next::sh%20-c%20x\n', 'git', 3, /neither a URL nor ssh's host:path/],
    ['local path', '/srv/x.git', 'git', 1, /neither a URL nor ssh's host:path/],
    ['option as host', '-oProxyCommand=x:y\n', 'git', 1, /is not a host name or address/],
    ['password', 'https://u:p@a.example/x\n', 'http', 1, /contains a password/],
    ['white space inside a line', 'https://a.example/a b\n', 'http', 1, /white space or control characters/],
    ['a # after the URL is a fragment', 'https://a.example/x # backup\n', 'http', 1, /white space or control characters/],
    ['no path', 'https://a.example/\n', 'http', 1, /names no repository path/],
    // the first bad line is the one reported
    ['two bad lines', 'git://a.example/x\nfile:///a\nfile:///b\n', 'git', 2, /file:\/\//]
  ]
  for (const [name, blob, record, line, reason] of cases) {
    await t.test(name, () => {
      const ref = record === 'git' ? GIT : HTTP
      assert.throws(() => parseMirrorList(blob, ref, record), (err: any) => {
        assert.equal(err.name, 'MirrorError')
        assert.equal(err.code, 'BAD_RECORD')
        assert.ok(err.message.startsWith(`${ref} line ${line}: `), err.message)
        assert.match(err.message, reason)
        assert.deepEqual(err.data, { ref, line })
        return true
      })
    })
  }
})

// Valid mirror URLs for each record, and the text a record may hold
// between them.
const label = fc.stringMatching(/^[a-z](?:[a-z0-9-]{0,8}[a-z0-9])?$/).filter(l => !l.startsWith('xn--'))
const host = fc.array(label, { minLength: 1, maxLength: 3 }).map(a => a.join('.'))
const port = fc.option(fc.integer({ min: 1, max: 65535 })).map(p => p === null ? '' : `:${p}`)
// segments not made of dots: the URL parser folds '/.' and '/..' away, and 'git://a/.' names no repository
const path = fc.array(fc.stringMatching(/^[A-Za-z0-9~][A-Za-z0-9._~-]{0,7}$/), { minLength: 1, maxLength: 3 }).map(a => a.join('/'))
const gitUrl = fc.oneof(
  fc.tuple(host, port, path).map(([h, p, x]) => `git://${h}${p}/${x}`),
  fc.tuple(host, port, path).map(([h, p, x]) => `ssh://git@${h}${p}/${x}`),
  fc.tuple(host, path).map(([h, x]) => `git@${h}:${x}`)
)
const httpUrl = fc.tuple(fc.constantFrom('http', 'https', 'HTTPS'), host, port, path).map(([s, h, p, x]) => `${s}://${h}${p}/${x}`)
const filler = fc.oneof(
  fc.constant(''),
  fc.stringMatching(/^[ \t\r]{1,3}$/),
  fc.tuple(fc.constantFrom('', ' ', '\t'), fc.string({ maxLength: 20 })).map(([indent, s]) => `${indent}#${s.replace(/\n/g, ' ')}`)
)

for (const [record, url] of [['git', gitUrl], ['http', httpUrl]] as const) {
  test(`parseMirrorList: property: the ${record} record's URLs come back in order, whatever comments and blank lines lie between`, () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.array(filler, { maxLength: 2 }), url), { maxLength: 8 }),
      fc.array(filler, { maxLength: 2 }),
      (items, tail) => {
        const lines = [...items.flatMap(([before, u]) => [...before, u]), ...tail]
        const ref = record === 'git' ? GIT : HTTP
        assert.deepEqual(parseMirrorList(lines.join('\n'), ref, record).map(m => m.url), items.map(([, u]) => u))
      }
    ), { numRuns: 200 })
  })
}
