import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  checkTrackerUrl, DEFAULT_TRACKERS, gitBool, parsePort, resolveNetworkOptions,
  type MirrorConfig, type NetworkFlags, type NetworkOptions
} from '../../src/core/network-options.js'

const DEFAULTS: NetworkOptions = { trackers: null, dht: true, dhtBootstrap: null, lsd: true, upnp: true, port: null }
const T1 = 'udp://127.0.0.1:6969/announce'
const T2 = 'http://127.0.0.1:8000/announce'
const T3 = 'wss://tracker.example/'

test('resolveNetworkOptions: precedence flags > git config > defaults', async (t) => {
  const cases: Array<[string, NetworkFlags, MirrorConfig | undefined, Partial<NetworkOptions>]> = [
    ['nothing said: defaults, trackers null', {}, undefined, {}],
    ['nothing said, empty config', {}, {}, {}],
    ['config trackers', {}, { tracker: [T1, T2] }, { trackers: [T1, T2] }],
    ['flag trackers replace config trackers', { tracker: [T3] }, { tracker: [T1, T2] }, { trackers: [T3] }],
    ['--no-tracker gives [] even with config', { tracker: false }, { tracker: [T1] }, { trackers: [] }],
    ['config tracker list that is empty means none', {}, { tracker: [] }, { trackers: [] }],
    ['duplicates dropped, first order kept', { tracker: [T2, T1, T2, T1] }, undefined, { trackers: [T2, T1] }],
    ['config dht=false', {}, { dht: 'false' }, { dht: false }],
    ['flag --dht wins over config dht=false', { dht: true }, { dht: 'false' }, { dht: true }],
    ['flag --no-dht wins over config dht=true', { dht: false }, { dht: 'yes' }, { dht: false }],
    ['config lsd and upnp off', {}, { lsd: 'off', upnp: '0' }, { lsd: false, upnp: false }],
    ['flags lsd/upnp win', { lsd: true, upnp: false }, { lsd: 'off', upnp: 'on' }, { lsd: true, upnp: false }],
    ['config bootstrap', {}, { dhtBootstrap: ['127.0.0.1:6881'] }, { dhtBootstrap: ['127.0.0.1:6881'] }],
    ['flag bootstrap replaces config bootstrap', { dhtBootstrap: ['[::1]:6881', 'localhost:1'] }, { dhtBootstrap: ['127.0.0.1:6881'] }, { dhtBootstrap: ['[::1]:6881', 'localhost:1'] }],
    ['port', { port: '6881' }, undefined, { port: 6881 }]
  ]
  for (const [name, flags, config, want] of cases) {
    await t.test(name, () => {
      const got = config === undefined ? resolveNetworkOptions(flags) : resolveNetworkOptions(flags, config)
      assert.deepEqual(got, { ...DEFAULTS, ...want })
    })
  }
})

test('resolveNetworkOptions: the trackers array is a copy, not the array of the flags', () => {
  const flags: NetworkFlags = { tracker: [T1] }
  const got = resolveNetworkOptions(flags)
  got.trackers!.push(T2)
  assert.deepEqual(flags.tracker, [T1])
})

test('DEFAULT_TRACKERS are valid tracker URLs and never used by resolveNetworkOptions itself', () => {
  for (const t of DEFAULT_TRACKERS) checkTrackerUrl(t)
  assert.equal(resolveNetworkOptions({}).trackers, null)
})

test('resolveNetworkOptions: bad tracker URLs are BAD_OPTION naming the URL', async (t) => {
  const bad = ['not a url', 'ftp://t.example/announce', 'tracker.example:6969', 'udp://t.example:1/ann ounce', 'file:///etc/passwd', '']
  for (const s of bad) {
    await t.test(JSON.stringify(s), () => {
      const check = { name: 'MirrorError', code: 'BAD_OPTION', message: `tracker ${JSON.stringify(s)} is not an http(s), udp or ws(s) URL` }
      assert.throws(() => resolveNetworkOptions({ tracker: [T1, s] }), check)
      assert.throws(() => resolveNetworkOptions({}, { tracker: [s] }), check)
      assert.throws(() => checkTrackerUrl(s), check)
    })
  }
})

test('checkTrackerUrl: every accepted scheme', () => {
  for (const s of ['http://t.example/announce', 'https://t.example/announce', 'udp://t.example:6969', 'ws://127.0.0.1:8000', 'wss://t.example']) {
    assert.doesNotThrow(() => checkTrackerUrl(s), s)
  }
})

test('resolveNetworkOptions: bad DHT bootstrap nodes are BAD_OPTION naming the node', async (t) => {
  const bad = ['127.0.0.1', '127.0.0.1:0', 'host:65536', 'host:123456', ':6881', 'host:', 'host:port', 'a b:1', 'udp://host:1', '::1:6881', 'host:-1']
  for (const s of bad) {
    await t.test(JSON.stringify(s), () => {
      const check = { name: 'MirrorError', code: 'BAD_OPTION', message: `DHT bootstrap node ${JSON.stringify(s)} is not HOST:PORT` }
      assert.throws(() => resolveNetworkOptions({ dhtBootstrap: [s] }), check)
      assert.throws(() => resolveNetworkOptions({}, { dhtBootstrap: [s] }), check)
    })
  }
})

test('resolveNetworkOptions: good DHT bootstrap nodes', () => {
  const good = ['127.0.0.1:6881', 'router.bittorrent.com:6881', '[::1]:1', '[2001:db8::1]:65535', 'localhost:65535']
  assert.deepEqual(resolveNetworkOptions({ dhtBootstrap: good }).dhtBootstrap, good)
})

test('parsePort', async (t) => {
  for (const [s, n] of [['1', 1], ['6881', 6881], ['65535', 65535]] as const) {
    await t.test(`${s} -> ${n}`, () => assert.equal(parsePort(s), n))
  }
  for (const s of ['0', '65536', '-1', '', ' 80', '80 ', '1e3', '0x50', '80.0', 'abc', '99999999999999999999']) {
    await t.test(`${JSON.stringify(s)} is USAGE`, () => {
      assert.throws(() => parsePort(s), { name: 'MirrorError', code: 'USAGE', message: `port ${JSON.stringify(s)} is not a number from 1 to 65535` })
    })
  }
  await t.test('a bad --port through resolveNetworkOptions', () => {
    assert.throws(() => resolveNetworkOptions({ port: '0' }), { code: 'USAGE' })
  })
})

test('gitBool: git\'s spellings', async (t) => {
  const cases: Array<[string | undefined, boolean | undefined]> = [
    [undefined, undefined],
    ['true', true], ['yes', true], ['on', true], ['1', true], ['TRUE', true], ['Yes', true], [' on ', true],
    ['false', false], ['no', false], ['off', false], ['0', false], ['', false], ['FALSE', false], ['Off', false]
  ]
  for (const [value, want] of cases) {
    await t.test(JSON.stringify(value), () => assert.equal(gitBool('mirror.dht', value), want))
  }
  for (const value of ['maybe', 'y', 'n', 'truthy', 't']) {
    await t.test(`${JSON.stringify(value)} is BAD_OPTION naming the key`, () => {
      assert.throws(() => gitBool('mirror.lsd', value), {
        name: 'MirrorError', code: 'BAD_OPTION', message: `git config mirror.lsd=${JSON.stringify(value)} is not a boolean`
      })
    })
  }
  await t.test('resolveNetworkOptions names the key of a bad config boolean', () => {
    assert.throws(() => resolveNetworkOptions({}, { upnp: 'maybe' }), { code: 'BAD_OPTION', message: /mirror\.upnp/ })
    assert.throws(() => resolveNetworkOptions({}, { dht: 'maybe' }), { code: 'BAD_OPTION', message: /mirror\.dht/ })
  })
  await t.test('a flag makes a bad config boolean irrelevant', () => {
    assert.equal(resolveNetworkOptions({ lsd: false }, { lsd: 'maybe' }).lsd, false)
  })
})

test('gitBool: integers other than 0 and 1 are booleans for git', () => {
  assert.equal(gitBool('mirror.dht', '2'), true)
  assert.equal(gitBool('mirror.dht', '-1'), true)
})
