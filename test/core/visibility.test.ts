import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import bencode from 'bencode'
import { infoHashOf, torrentInfo } from '../../src/core/torrent-info.js'
import {
  accessOfAnswer, accessOfUrl, announceList, checkPrivateTrackers, parseVisibility, privateNetwork, publicRefusal,
  type AnonymousAnswer, type OriginAccess
} from '../../src/core/visibility.js'
import type { NetworkOptions } from '../../src/core/network-options.js'

test('accessOfUrl: what the URL alone tells, in git\'s URL forms', async t => {
  const cases: Array<[string, OriginAccess['kind'] | 'ask']> = [
    ['https://git.example.org/project.git', 'ask'],
    ['http://127.0.0.1:8080/project.git', 'ask'],
    ['HTTPS://git.example.org/p.git', 'ask'],
    ['https://alice@git.example.org/project.git', 'authenticated'],
    ['https://alice:secret@git.example.org/project.git', 'authenticated'],
    ['https://:token@git.example.org/project.git', 'authenticated'],
    ['ssh://git@git.example.org/project.git', 'authenticated'],
    ['ssh://git.example.org:2222/project.git', 'authenticated'],
    ['git+ssh://git.example.org/project.git', 'authenticated'],
    ['git@github.com:owner/project.git', 'authenticated'],
    ['github.com:owner/project.git', 'authenticated'],
    ['git://git.example.org/project.git', 'anonymous'],
    ['file:///srv/git/project.git', 'anonymous'],
    ['/srv/git/project.git', 'anonymous'],
    ['../project.git', 'anonymous'],
    ['./dir:with-colon/project.git', 'anonymous'],
    ['project.git', 'anonymous'],
    ['persistent-https::https://git.example.org/p.git', 'unknown'],
    ['ext::ssh -i key host %S p.git', 'unknown'],
    ['ftp://git.example.org/p.git', 'unknown']
  ]
  for (const [url, kind] of cases) {
    await t.test(url, () => {
      const got = accessOfUrl(url)
      assert.equal(got.kind, kind)
      if (got.kind === 'ask') assert.equal(got.url, url)
      else assert.ok(got.why.length > 0)
    })
  }
})

test('accessOfAnswer: an anonymous discovery request\'s answer', async t => {
  const cases: Array<[string, AnonymousAnswer, OriginAccess['kind'], RegExp]> = [
    ['smart advertisement', { status: 200, contentType: 'application/x-git-upload-pack-advertisement' }, 'anonymous', /anonymous git requests/],
    ['smart, with parameters', { status: 200, contentType: 'application/x-git-upload-pack-advertisement; charset=utf-8' }, 'anonymous', /anonymous/],
    ['dumb HTTP', { status: 200, contentType: 'text/plain' }, 'anonymous', /dumb/],
    ['401', { status: 401, contentType: 'text/plain' }, 'authenticated', /HTTP 401/],
    ['403', { status: 403, contentType: null }, 'authenticated', /HTTP 403/],
    ['404 hides a private repository', { status: 404, contentType: 'text/html' }, 'authenticated', /HTTP 404/],
    ['a login page', { status: 200, contentType: 'text/html; charset=utf-8' }, 'unknown', /text\/html.*login page/],
    ['untyped', { status: 200, contentType: null }, 'unknown', /untyped/],
    ['server error', { status: 502, contentType: 'text/plain' }, 'unknown', /HTTP 502/],
    ['no answer', { error: 'connect ECONNREFUSED 127.0.0.1:9' }, 'unknown', /failed: connect ECONNREFUSED/]
  ]
  for (const [name, answer, kind, why] of cases) {
    await t.test(name, () => {
      const got = accessOfAnswer(answer)
      assert.equal(got.kind, kind)
      assert.match(got.why, why)
    })
  }
})

const PUBLIC_DEFAULTS: Pick<NetworkOptions, 'trackers' | 'dht' | 'dhtBootstrap' | 'lsd'> = { trackers: null, dht: true, dhtBootstrap: null, lsd: true }

test('publicRefusal: one line naming what would be revealed, where, and the two ways on', async t => {
  const url = 'https://git.example.org/secret.git'
  await t.test('anonymous: no refusal', () => {
    assert.equal(publicRefusal(url, { kind: 'anonymous', why: 'x' }, PUBLIC_DEFAULTS), null)
  })
  await t.test('authenticated, default network', () => {
    const line = publicRefusal(url, { kind: 'authenticated', why: 'it answers an anonymous request with HTTP 401' }, PUBLIC_DEFAULTS)!
    assert.equal(line,
      'not publishing: https://git.example.org/secret.git needs authentication (it answers an anonymous request with HTTP 401), ' +
      "and a public torrent reveals the repository's full contents to anyone who learns its infohash, announced on public trackers, on the public DHT and by local peer discovery. " +
      'Publish with --private (a BEP 27 torrent announced only to the trackers given) or, if the repository may be public, with --public')
    assert.doesNotMatch(line, /\n/)
  })
  const cases: Array<[string, OriginAccess, Partial<NetworkOptions>, RegExp]> = [
    ['unknown', { kind: 'unknown', why: 'an anonymous request to it failed: timeout' }, {}, /^not publishing: cannot tell whether \S+ needs authentication \(an anonymous request to it failed: timeout\)/],
    ['trackers given, private DHT, no LSD', { kind: 'authenticated', why: 'w' }, { trackers: ['http://t/announce'], dhtBootstrap: ['127.0.0.1:1'], lsd: false }, /announced to the tracker given and on the DHT\. Publish/],
    ['two trackers, no DHT', { kind: 'authenticated', why: 'w' }, { trackers: ['http://a/announce', 'http://b/announce'], dht: false, lsd: false }, /announced to 2 trackers given\. Publish/],
    ['announced nowhere: still refused', { kind: 'authenticated', why: 'w' }, { trackers: [], dht: false, lsd: false }, /infohash\. Publish with --private/]
  ]
  for (const [name, access, net, want] of cases) {
    await t.test(name, () => assert.match(publicRefusal(url, access, { ...PUBLIC_DEFAULTS, ...net })!, want))
  }
})

test('checkPrivateTrackers: a private publish needs trackers of its own (USAGE otherwise)', () => {
  assert.deepEqual(checkPrivateTrackers(['http://127.0.0.1:1/announce']), ['http://127.0.0.1:1/announce'])
  assert.throws(() => checkPrivateTrackers(null), { code: 'USAGE', message: /--private needs at least one tracker.*default public trackers are never used/ })
  assert.throws(() => checkPrivateTrackers([]), { code: 'USAGE', message: /--no-tracker leaves none/ })
})

test('parseVisibility: git config mirror.visibility', () => {
  assert.equal(parseVisibility(undefined), null)
  assert.equal(parseVisibility('private'), 'private')
  assert.equal(parseVisibility(' Public '), 'public')
  assert.throws(() => parseVisibility('secret'), { code: 'BAD_OPTION', message: /mirror\.visibility="secret" is neither public nor private/ })
  assert.throws(() => parseVisibility('true'), { code: 'BAD_OPTION' })
})

test('announceList: BEP 27, a private torrent keeps to its own trackers', () => {
  const user = ['udp://public.example:1337/announce']
  const own = ['http://127.0.0.1:1/announce']
  assert.deepEqual(announceList({ private: true, user, torrent: own }), own)
  assert.deepEqual(announceList({ private: true, user: null, torrent: own }), own)
  assert.deepEqual(announceList({ private: false, user, torrent: own }), user)
  assert.deepEqual(announceList({ private: false, user: null, torrent: own }), own)
  assert.deepEqual(announceList({ private: false, user: [], torrent: own }), [])
})

test('privateNetwork: trackers only', () => {
  const net: NetworkOptions = { trackers: ['http://t/a'], dht: true, dhtBootstrap: ['127.0.0.1:1'], lsd: true, upnp: true, port: 7 }
  assert.deepEqual(privateNetwork(net), { ...net, dht: false, lsd: false })
})

test('the private flag is in the info dictionary: another infohash, the same for the same content', () => {
  const content = { name: 'p.bundle', pieceLength: 16384, pieces: new Uint8Array(40), files: { length: 20000 } }
  const pub = infoHashOf(content)
  const priv = infoHashOf({ ...content, private: true })
  assert.notEqual(priv, pub)
  assert.equal(infoHashOf({ ...content, private: true }), priv)
  assert.equal(infoHashOf({ ...content, private: false }), pub)
  const info = torrentInfo({ ...content, private: true })
  assert.equal(info.private, 1)
  assert.equal(createHash('sha1').update(bencode.encode(info)).digest('hex'), priv)
  assert.equal('private' in torrentInfo(content), false)
})
