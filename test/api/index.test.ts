// The programmatic API, imported by the package's own name (package.json
// "exports"): publish, seed, clone and verify called as functions with
// (dependencies, arguments), in one process, against the loopback world.
import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { makeWorld } from '../e2e/world.js'
import { advance, assertSameAsGitClone, plainClone } from '../e2e/clone-support.js'

const api = await import('git-torrent-mirror')

test('publish, seed, clone and verify as functions: the clone equals git clone, the seeder counts what it served', { timeout: 120_000 }, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 256 << 10 } })
  const network = { tracker: [w.tracker.announceUrl], dht: false, lsd: false, upnp: false }
  const published = await api.publish({ env: w.env }, { cwd: w.work, push: true, webSeeds: [], network })
  assert.match(published.infoHash, /^[0-9a-f]{40}$/)
  assert.equal(published.push?.outcome, 'pushed')

  const stop = new AbortController()
  const seeding = api.seed({ cwd: w.work, env: w.env, network }, { urls: [], store: published.store, maxSize: 2 ** 30, stallTimeoutMs: 30_000, signal: stop.signal })
  const phases = new Set<string>()
  const report = await api.clone({ cwd: w.dir, env: w.env, network, onProgress: p => phases.add(p.phase) }, {
    url: w.originUrl, dir: path.join(w.dir, 'mine'), mode: 'normal', checkout: true, maxSize: 2 ** 30, timeoutMs: 30_000, keepBundle: false, cache: path.join(w.dir, 'cache')
  })
  stop.abort()
  const seeded = await seeding
  t.diagnostic(JSON.stringify(report))
  assert.equal(report.method, 'torrent', report.fallbackReason ?? '')
  assert.equal(report.infoHash, published.infoHash)
  assert.deepEqual(report.attempts.map(a => [a.source, a.outcome]), [['torrent', 'used']])
  assert.ok(phases.has('download'), [...phases].join(' '))
  assert.equal(seeded.failures, 0)
  assert.equal(seeded.torrents.length, 1)
  assert.ok(seeded.torrents[0]!.uploaded >= published.bundle.size, `the seeder uploaded ${seeded.torrents[0]!.uploaded}`)
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')

  // errors are MirrorErrors with stable codes, as the command line's
  await assert.rejects(api.verify({ cwd: w.work, env: w.env }, { trust: [] }), (err: unknown) => api.isMirrorError(err, 'USAGE') && /no refs\/mirrors\/push here/.test(err.message))
  await assert.rejects(api.clone({ cwd: w.dir, env: w.env, network }, {
    url: w.originUrl, dir: path.join(w.dir, 'mine'), mode: 'normal', checkout: true, maxSize: 2 ** 30, timeoutMs: 30_000, keepBundle: false, cache: path.join(w.dir, 'cache')
  }), (err: unknown) => api.isMirrorError(err, 'DESTINATION_EXISTS') && api.exitStatusOf(err.code) === 1)
})

test('fetch as a function: a second publish is an increment, and fetch takes it from the swarm before the origin', { timeout: 120_000 }, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 256 << 10 } })
  const network = { tracker: [w.tracker.announceUrl], dht: false, lsd: false, upnp: false }
  const first = await api.publish({ env: w.env }, { cwd: w.work, push: true, webSeeds: [], network })
  await w.git(['clone', '-q', w.originUrl, 'mine'], w.dir)
  await advance(w, 'next', 64 << 10)
  const second = await api.publish({ env: w.env }, { cwd: w.work, push: true, webSeeds: [], network })
  assert.equal(second.chain.made, 'increment')
  assert.equal(second.infoHash, first.infoHash)
  const stop = new AbortController()
  const seeding = api.seed({ cwd: w.work, env: w.env, network }, { urls: [], store: second.store, maxSize: 2 ** 30, stallTimeoutMs: 30_000, signal: stop.signal })
  try {
    // a git clone holds no token: every increment after the base is a candidate
    const report = await api.fetch({ cwd: path.join(w.dir, 'mine'), env: w.env, network }, { prune: false, maxSize: 2 ** 30, timeoutMs: 30_000, minBytesPerSecond: 0, cache: path.join(w.dir, 'cache') })
    assert.equal(report.method, 'increments', JSON.stringify(report))
    assert.deepEqual(report.bundles.map(b => b.outcome), ['used'])
    assert.equal(await w.git(['rev-parse', 'refs/remotes/origin/main'], path.join(w.dir, 'mine')), await w.git(['rev-parse', 'HEAD']))
  } finally {
    stop.abort()
    await seeding
  }
})
