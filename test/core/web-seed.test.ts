import { test } from 'node:test'
import assert from 'node:assert/strict'
import { normalizeWebSeed } from '../../src/core/web-seed.js'

const FILE = 'repo-0123456789ab.bundle'

test('normalizeWebSeed: accepted URLs', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['a file URL is kept', 'https://cdn.example/repo.bundle', 'https://cdn.example/repo.bundle'],
    ['http with port', 'http://127.0.0.1:8080/x/y.bundle', 'http://127.0.0.1:8080/x/y.bundle'],
    ['a folder gets the file name', 'https://cdn.example/bundles/', `https://cdn.example/bundles/${FILE}`],
    ['a bare host is a folder', 'https://cdn.example', `https://cdn.example/${FILE}`],
    ['the query stays after the appended name', 'https://cdn.example/b/?token=1', `https://cdn.example/b/${FILE}?token=1`],
    ['scheme and host are normalised', 'HTTPS://CDN.Example/b/', `https://cdn.example/b/${FILE}`]
  ]
  for (const [name, input, want] of cases) {
    await t.test(name, () => {
      assert.equal(normalizeWebSeed(input, FILE), want)
    })
  }
})

test('normalizeWebSeed: the appended file name is percent-encoded', () => {
  assert.equal(normalizeWebSeed('https://cdn.example/', 'a b#c?.bundle'), 'https://cdn.example/a%20b%23c%3F.bundle')
})

test('normalizeWebSeed: rejected URLs say why and quote the input', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['not a URL', 'cdn.example/x.bundle', /is not a URL/],
    ['empty', '', /is not a URL/],
    ['ftp', 'ftp://cdn.example/x.bundle', /is not http\(s\)/],
    ['file', 'file:///srv/x.bundle', /is not http\(s\)/],
    ['user and password', 'https://u:p@cdn.example/x.bundle', /contains credentials/],
    ['user only', 'https://u@cdn.example/x.bundle', /contains credentials/],
    ['fragment', 'https://cdn.example/x.bundle#frag', /has a #fragment/],
    ['space inside', 'https://cdn.example/a b.bundle', /white space or control characters/],
    ['leading space', ' https://cdn.example/x.bundle', /white space or control characters/],
    ['newline', 'https://cdn.example/x.bundle\nhttps://evil.example/', /white space or control characters/],
    ['tab', 'https://cdn.example/\tx', /white space or control characters/],
    ['NUL', 'https://cdn.example/x\u0000', /white space or control characters/],
    ['DEL', 'https://cdn.example/x\u007f', /white space or control characters/]
  ]
  for (const [name, input, why] of cases) {
    await t.test(name, () => {
      assert.throws(() => normalizeWebSeed(input, FILE), (err: any) => {
        assert.equal(err.name, 'MirrorError')
        assert.equal(err.code, 'BAD_WEB_SEED')
        assert.ok(err.message.startsWith(`web seed ${JSON.stringify(input)} `), err.message)
        assert.match(err.message, why)
        assert.deepEqual(err.data, { url: input })
        return true
      })
    })
  }
})
