import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { mirrorStagingName, parseMirrorUrl, type MirrorUrl } from '../../src/core/mirror-url.js'
import { isSafeRefName } from '../../src/core/refs.js'

// A mirror URL comes from a record anyone who can push to the origin
// writes, and it goes to `git fetch` as an argument: these tables pin what
// may reach git and what must not.

type RecordKind = 'git' | 'http'

test('parseMirrorUrl: accepted', async (t) => {
  const cases: Array<[string, RecordKind, MirrorUrl['scheme'], string, number | null]> = [
    ['https://example.com/repo.git', 'http', 'https', 'example.com', null],
    ['http://example.com:8080/x', 'http', 'http', 'example.com', 8080],
    // the scheme and host are read case-insensitively; the url goes to git as written
    ['HTTPS://Example.COM/Repo.git', 'http', 'https', 'example.com', null],
    ['https://user@example.com/x.git', 'http', 'https', 'example.com', null],   // a user name is not a secret
    ['https://[::1]/x.git', 'http', 'https', '::1', null],
    ['http://[2001:DB8::1]:8080/x', 'http', 'http', '2001:db8::1', 8080],
    ['https://mirror.example./x', 'http', 'https', 'mirror.example.', null],   // a fully qualified name's final dot
    ['git://example.com/x.git', 'git', 'git', 'example.com', null],
    ['git://example.com:9418/x.git', 'git', 'git', 'example.com', 9418],
    ['ssh://user@example.com:22/x', 'git', 'ssh', 'example.com', 22],
    ['ssh://Host.Example/~user/x.git', 'git', 'ssh', 'host.example', null],
    ['ssh://git@[::1]:2222/x', 'git', 'ssh', '::1', 2222],
    // scp-like: git reads it as ssh
    ['git@example.com:path/x.git', 'git', 'ssh', 'example.com', null],
    ['example.com:x.git', 'git', 'ssh', 'example.com', null],
    ['git@10.0.0.1:/srv/x.git', 'git', 'ssh', '10.0.0.1', null]
  ]
  for (const [text, record, scheme, host, port] of cases) {
    await t.test(`${record}: ${text}`, () => {
      assert.deepEqual(parseMirrorUrl(text, record), { url: text, scheme, host, port })
    })
  }
})

test('parseMirrorUrl: refused, with the reason', async (t) => {
  const cases: Array<[string, string, RecordKind, RegExp]> = [
    // git's local transports and its remote helpers run things on this machine
    ['file:// (git record)', 'file:///srv/x.git', 'git', /^file:\/\/ does not belong in this record/],
    ['file:// (http record)', 'file:///srv/x.git', 'http', /^file:\/\/ does not belong in this record/],
    ['ext:: remote helper', 'ext::ssh%20-oProxyCommand=x%20host%20x', 'git', /neither a URL nor ssh's host:path/],
    ['fd:: remote helper', 'fd::3', 'git', /neither a URL nor ssh's host:path/],
    ['absolute local path', '/srv/repo.git', 'git', /neither a URL nor ssh's host:path/],
    ['relative local path', './repo.git', 'git', /neither a URL nor ssh's host:path/],
    ['parent local path', '../repo.git', 'git', /neither a URL nor ssh's host:path/],
    ['bare word', 'repo.git', 'git', /neither a URL nor ssh's host:path/],
    ['local path in the http record', '/srv/repo.git', 'http', /only http\(s\) URLs belong in this record/],
    // a host git would hand ssh as an option
    ['scp-like option', '-oProxyCommand=x:y', 'git', /^host "-oProxyCommand=x" is not a host name or address$/],
    ['scp-like host starting with -', 'git@-host:x.git', 'git', /is not a host name or address/],
    ['ssh:// option as host', 'ssh://-oProxyCommand=x/y', 'git', /is not a host name or address/],
    ['ssh:// host starting with -', 'ssh://-host/x', 'git', /is not a host name or address/],
    ['https:// host starting with -', 'https://-host.example/x', 'http', /is not a host name or address/],
    ['underscore in a host', 'https://exa_mple.com/x', 'http', /is not a host name or address/],
    // git splits its arguments and ssh its command line on these
    ['space', 'https://example.com/a b', 'http', /white space or control characters/],
    ['tab first', '\tgit://example.com/x', 'git', /white space or control characters/],
    ['newline last', 'git://example.com/x\n', 'git', /white space or control characters/],
    ['NUL', 'ssh://example.com/x\u0000', 'git', /white space or control characters/],
    ['DEL', 'git://example.com/x\u007f', 'git', /white space or control characters/],
    ['escape', 'https://example.com/\u001b[31m', 'http', /white space or control characters/],
    ['no-break space', 'https://example.com/a\u00a0b', 'http', /white space or control characters/],
    // a secret in a public record, and a place git would then print it
    ['https password', 'https://user:secret@example.com/x', 'http', /^contains a password$/],
    ['ssh password', 'ssh://user:secret@example.com/x', 'git', /^contains a password$/],
    ['query', 'https://example.com/x?service=git-upload-pack', 'http', /^has a query or a #fragment$/],
    ['fragment', 'https://example.com/x#main', 'http', /^has a query or a #fragment$/],
    ['ssh query', 'ssh://example.com/x?y', 'git', /^has a query or a #fragment$/],
    // each record takes its own schemes
    ['http in the git record', 'http://example.com/x', 'git', /^http:\/\/ does not belong in this record \(it takes git and ssh\)$/],
    ['https in the git record', 'https://example.com/x', 'git', /^https:\/\/ does not belong/],
    ['git:// in the http record', 'git://example.com/x', 'http', /^git:\/\/ does not belong in this record \(it takes http and https\)$/],
    ['ssh:// in the http record', 'ssh://example.com/x', 'http', /^ssh:\/\/ does not belong/],
    ['scp-like in the http record', 'git@example.com:x.git', 'http', /only http\(s\) URLs belong in this record/],
    ['ftp', 'ftp://example.com/x', 'git', /^ftp:\/\/ does not belong/],
    ['git+ssh', 'git+ssh://example.com/x', 'git', /^git\+ssh:\/\/ does not belong/],
    // a URL that names a server but no repository
    ['https, no path', 'https://example.com', 'http', /^names no repository path$/],
    ['https, root path', 'https://example.com/', 'http', /^names no repository path$/],
    ['git, no path', 'git://example.com', 'git', /^names no repository path$/],
    ['ssh, no path', 'ssh://git@example.com:22', 'git', /^names no repository path$/],
    ['scp-like, no path', 'git@example.com:', 'git', /neither a URL nor ssh's host:path/],
    ['scp-like, IPv6 without brackets', '[::1]:x', 'git', /neither a URL nor ssh's host:path/],
    ['broken IPv6', 'http://[::1/x', 'http', /^is not a URL$/],
    ['bad port', 'ssh://example.com:99999/x', 'git', /^is not a URL$/],
    ['empty', '', 'git', /neither a URL nor ssh's host:path/],
    ['too long', `https://example.com/${'a'.repeat(2048)}`, 'http', /^longer than 2048 characters$/]
  ]
  for (const [name, text, record, reason] of cases) {
    await t.test(name, () => {
      assert.throws(() => parseMirrorUrl(text, record), (err: unknown) => {
        // a plain Error: parseMirrorList adds the ref and the line
        assert.ok(err instanceof Error)
        assert.equal(err.name, 'Error')
        assert.match(err.message, reason)
        return true
      })
    })
  }
})

// ssh would get "-oProxyCommand=x@host" as its first argument (git >= 2.14.1 refuses it as a "strange hostname", an older git runs it)
test('parseMirrorUrl: a user name git would hand ssh as an option', async (t) => {
  for (const text of ['ssh://-oProxyCommand=x@example.com/x', '-x@example.com:x.git']) {
    await t.test(text, () => assert.throws(() => parseMirrorUrl(text, 'git'), Error))
  }
})

// URL-shaped text: pieces that make the parser's branches meet (schemes,
// '://', '@', ':', brackets, dots and dashes, white space, escapes), as
// well as any string at all.
const PIECES = [
  'http', 'https', 'HTTPS', 'git', 'ssh', 'file', 'ext', '://', ':', '::', '@', '/', '//', '[', ']', '::1', '.', '..', '-',
  'a', 'B', '0', '22', '8080', '99999', 'example.com', 'user', 'x.git', '~', '?', '#', '%', '%2F', '\\', ' ', '\t', '\n',
  '\u0000', '\u00e9', '\u00a0', '_', '='
]
const urlish = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }).map(a => a.join('')),
  fc.tuple(fc.constantFrom('http://', 'https://', 'git://', 'ssh://', 'git@', ''), fc.string({ maxLength: 30 })).map(([a, b]) => a + b),
  fc.webUrl(),
  fc.string({ unit: 'binary', maxLength: 40 })
)
const record = fc.constantFrom<RecordKind>('git', 'http')

test('parseMirrorUrl: property: throws an Error or returns a checked URL equal to the input', () => {
  fc.assert(fc.property(urlish, record, (text, rec) => {
    let m: MirrorUrl
    try {
      m = parseMirrorUrl(text, rec)
    } catch (err) {
      assert.ok(err instanceof Error)
      return
    }
    assert.equal(m.url, text)
    assert.ok(rec === 'http' ? ['http', 'https'].includes(m.scheme) : ['git', 'ssh'].includes(m.scheme), `${m.scheme} in the ${rec} record`)
    assert.match(m.host, /^[a-z0-9.:-]+$/)
    assert.doesNotMatch(text, /[\s\x00-\x1f\x7f]/)
    assert.ok(m.port === null || (Number.isInteger(m.port) && m.port >= 0 && m.port <= 65535))
  }), { numRuns: 500 })
})

// The staging names: each must make a ref name git takes
// (refs/mirror/<name>/heads/main), and no two sources may share one.
const safeStaging = (name: string): boolean => isSafeRefName(`refs/mirror/${name}/heads/main`)

test('mirrorStagingName: table', async (t) => {
  const cases: Array<[string, Pick<MirrorUrl, 'host' | 'port'>, string[], string]> = [
    ['host', { host: 'example.com', port: null }, [], 'example.com'],
    ['host and port', { host: 'example.com', port: 2222 }, [], 'example.com_2222'],
    ['IPv6', { host: '::1', port: null }, [], '__1'],
    ['IPv6 and port', { host: '2001:db8::1', port: 8080 }, [], '2001_db8__1_8080'],
    ['final dot dropped', { host: 'example.com.', port: null }, [], 'example.com'],
    ['.lock is not a ref name ending', { host: 'x.lock', port: null }, [], 'x_lock'],
    ['a clash gets -2', { host: 'example.com', port: null }, ['example.com'], 'example.com-2'],
    ['then -3', { host: 'example.com', port: null }, ['example.com', 'example.com-2'], 'example.com-3'],
    ['torrent is the swarm\'s', { host: 'torrent', port: null }, ['torrent', 'http'], 'torrent-2'],
    ['http is the bundle URLs\'', { host: 'http', port: null }, ['torrent', 'http'], 'http-2'],
    ['nothing left', { host: '...', port: null }, [], 'mirror']
  ]
  for (const [name, m, taken, want] of cases) {
    await t.test(name, () => {
      const set = new Set(taken)
      assert.equal(mirrorStagingName(m, set), want)
      assert.ok(set.has(want))
      assert.equal(set.size, taken.length + 1)
      assert.ok(safeStaging(want))
    })
  }
})

/** Checks one run of names against the contract: safe, new, and recorded in `taken`. */
function checkNames (ms: Array<Pick<MirrorUrl, 'host' | 'port'>>, initial: string[]): void {
  const taken = new Set(initial)
  for (const m of ms) {
    const before = new Set(taken)
    const name = mirrorStagingName(m, taken)
    assert.ok(safeStaging(name), `refs/mirror/${name}/heads/main from ${JSON.stringify(m)}`)
    assert.ok(!before.has(name), `${name} was taken`)
    assert.ok(taken.has(name))
    assert.equal(taken.size, before.size + 1)
  }
}

// Mirrors as records name them: whatever parseMirrorUrl accepts from
// ordinary URLs (labels, ports, IPv6), several on one host.
// a letter first: for http(s) an all-digit last label reads as IPv4, and 'xn--' as punycode
const label = fc.stringMatching(/^[a-z](?:[a-z0-9-]{0,10}[a-z0-9])?$/).filter(l => !l.startsWith('xn--'))
const hostname = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 4 }).map(a => a.join('.')),
  fc.constantFrom('torrent', 'http', 'mirror', 'x.lock', 'example.com.', 'EXAMPLE.com', '[::1]', '[2001:db8::1]')
)
const parsedMirror = fc.tuple(
  fc.constantFrom('git://', 'ssh://git@', 'https://', 'http://', 'scp'),
  hostname,
  fc.option(fc.integer({ min: 1, max: 65535 })),
  fc.constantFrom('x.git', 'a/b', '~u/r')
).map(([scheme, host, port, path]) => {
  // git's scp-like form takes [host]:path, but '::' there reads as a remote helper: no IPv6
  if (scheme === 'scp') return parseMirrorUrl(`git@${host.startsWith('[') ? 'example.com' : host}:${path}`, 'git')
  const text = `${scheme}${host}${port === null ? '' : `:${port}`}/${path}`
  return parseMirrorUrl(text, scheme.startsWith('http') ? 'http' : 'git')
})

test('mirrorStagingName: property: parsed mirrors get safe names, never one taken, and take it', () => {
  fc.assert(fc.property(
    fc.array(parsedMirror, { maxLength: 8 }),
    fc.array(fc.constantFrom('torrent', 'http', 'example.com', 'a', 'a-2', 'mirror'), { maxLength: 4 }),
    (ms, initial) => checkNames(ms, ['torrent', 'http', ...initial])
  ), { numRuns: 200 })
})

test('mirrorStagingName: property: any host', () => {
  const host = fc.oneof(
    fc.string({ unit: fc.constantFrom('a', 'Z', '0', '.', '-', ':', '_', '/', '@', '{', '~', '^', '*', ' ', '\u00e9'), maxLength: 20 }),
    fc.string({ maxLength: 20 })
  )
  fc.assert(fc.property(
    fc.array(fc.record({ host, port: fc.option(fc.integer({ min: 0, max: 65535 })) }), { maxLength: 6 }),
    ms => checkNames(ms, ['torrent', 'http'])
  ), { numRuns: 200 })
})

// hosts with ".." or of any length once made names git refuses: parseMirrorUrl refuses them now
test('parseMirrorUrl: hosts that would make staging names git refuses', async (t) => {
  const cases: Array<[string, string]> = [
    // brackets once took any of [0-9A-Fa-f:.] in the scp-like form: '..' got through
    ['scp-like [a..b]', '[a..b]:x'],
    ['scp-like [1..2]', 'git@[1..2]:x.git'],
    // no bound on a host's length: the ref got over 1024
    ['2001-character host', `ssh://${'a.'.repeat(1000)}a/x`],
    ['300-character host', `ssh://${Array.from({ length: 5 }, () => 'a'.repeat(59)).join('.')}/x`]
  ]
  for (const [name, text] of cases) {
    await t.test(name, () => assert.throws(() => parseMirrorUrl(text, 'git'), /is not a host name or address/))
  }
})

test('mirrorStagingName: at most 100 characters, a name git can make a directory of', () => {
  const staging = mirrorStagingName({ host: Array.from({ length: 4 }, () => 'a'.repeat(59)).join('.'), port: 65535 }, new Set(['torrent', 'http']))
  assert.ok(safeStaging(staging))
  assert.ok(staging.length <= 100, `${staging.length} characters`)
})
