import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { addressClass, addressRefusal, BAD_PORTS, originClass, type AddressClass } from '../../src/core/address-policy.js'

test('addressClass: table', async (t) => {
  const cases: Array<[string, AddressClass | null]> = [
    ['127.0.0.1', 'loopback'], ['127.255.1.2', 'loopback'], ['::1', 'loopback'], ['[::1]', 'loopback'], ['::ffff:127.0.0.1', 'loopback'],
    ['localhost', 'loopback'], ['LOCALHOST', 'loopback'], ['db.localhost', 'loopback'], ['localhost.', 'loopback'],
    ['10.0.0.1', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
    ['169.254.169.254', 'private'], ['100.64.0.1', 'private'], ['fd00::1', 'private'], ['fe80::1', 'private'], ['::ffff:10.1.1.1', 'private'],
    ['printer.local', 'private'], ['nas.home.arpa', 'private'],
    ['172.32.0.1', 'public'], ['8.8.8.8', 'public'], ['2001:db8::1', 'public'], ['example.org', 'public'], ['localhost.example.org', 'public'],
    ['0.0.0.0', null], ['224.0.0.1', null], ['239.255.255.250', null], ['240.0.0.1', null], ['255.255.255.255', null], ['::', null], ['ff02::1', null]
  ]
  for (const [host, want] of cases) await t.test(host, () => assert.equal(addressClass(host), want))
})

test('originClass: URLs, scp-like ssh and local paths', async (t) => {
  const cases: Array<[string, AddressClass]> = [
    ['https://github.com/x/y.git', 'public'], ['http://127.0.0.1:8080/p.git', 'loopback'], ['ssh://git@10.0.0.5/p.git', 'private'],
    ['git@192.168.0.2:p.git', 'private'], ['git@github.com:x/y.git', 'public'], ['host.local:p.git', 'private'], ['[::1]:p.git', 'loopback'],
    ['/srv/git/p.git', 'loopback'], ['../p.git', 'loopback'], ['p.git', 'loopback'], ['./a:b', 'loopback'], ['file:///srv/p.git', 'loopback']
  ]
  for (const [origin, want] of cases) await t.test(origin, () => assert.equal(originClass(origin), want))
})

test('addressRefusal: as local as the origin, no more; never multicast; no bad ports over HTTP', async (t) => {
  const pub = 'https://git.example.org/p.git'
  const cases: Array<[string, string, RegExp | null]> = [
    ['http://127.0.0.1:8080/b.bundle', pub, /^127\.0\.0\.1 is a loopback address and the origin's is public: /],
    ['http://192.168.1.1/b.bundle', pub, /^192\.168\.1\.1 is a private address and the origin's is public: /],
    ['http://169.254.169.254/latest/meta-data/', pub, /is a private address/],
    ['http://[::1]/b', pub, /^\[::1\] is a loopback address/],
    ['http://2130706433/b', pub, /^127\.0\.0\.1 is a loopback address/],   // the URL parser's reading of a decimal IPv4
    ['https://cdn.example.org/b.bundle', pub, null],
    ['http://192.168.1.1/b.bundle', 'ssh://git@10.0.0.5/p.git', null],
    ['http://127.0.0.1:8080/b.bundle', 'ssh://git@10.0.0.5/p.git', /loopback address and the origin's is private/],
    ['http://127.0.0.1:8080/b.bundle', 'http://127.0.0.1:9000/p.git', null],
    ['http://10.0.0.1/b.bundle', '/srv/p.git', null],
    ['http://224.0.0.1/b', 'http://127.0.0.1/p.git', /multicast, broadcast or reserved/],
    ['http://cdn.example.org:25/b', pub, /^port 25 is one browsers refuse/],
    ['https://cdn.example.org:6667/b', pub, /^port 6667/],
    ['git://mirror.example.org:25/p.git', pub, null]   // bad ports are an HTTP rule
  ]
  for (const [url, origin, want] of cases) {
    await t.test(`${url} for ${origin}`, () => {
      const got = addressRefusal(new URL(url), origin)
      if (want === null) assert.equal(got, null)
      else assert.match(got ?? 'null', want)
    })
  }
})

test('addressRefusal: properties over IPv4 addresses', () => {
  const octet = fc.integer({ min: 0, max: 255 })
  fc.assert(fc.property(octet, octet, octet, octet, fc.integer({ min: 1, max: 65535 }), (a, b, c, d, port) => {
    const host = `${a}.${b}.${c}.${d}`
    const cls = addressClass(host)
    // the classes, computed the long way
    const want: AddressClass | null = a === 127 ? 'loopback'
      : a === 0 || a >= 224 ? null
        : a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127) ? 'private'
          : 'public'
    assert.equal(cls, want, host)
    const url = new URL(`http://${host}:${port}/x`)
    const fromLoopback = addressRefusal(url, 'http://127.0.0.1/p.git')
    const fromPublic = addressRefusal(url, 'https://example.org/p.git')
    // an origin on this machine allows every class; a public one only public addresses; bad ports never; null never
    const portOk = !BAD_PORTS.has(port) && port !== 80   // 80 is dropped from the URL, which is fine: no port, no rule
    if (cls === null) assert.notEqual(fromLoopback, null)
    else assert.equal(fromLoopback === null, portOk || port === 80)
    assert.equal(fromPublic === null, cls === 'public' && (portOk || port === 80))
  }), { seed: 13, numRuns: 1000 })
})

test('addressClass: never throws, whatever the host text', () => {
  fc.assert(fc.property(fc.string({ maxLength: 80 }), host => {
    const c = addressClass(host)
    assert.ok(c === null || ['loopback', 'private', 'public'].includes(c))
  }), { seed: 13, numRuns: 500 })
})
