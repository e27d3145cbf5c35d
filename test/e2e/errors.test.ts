import assert from 'node:assert/strict'
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import bencode from 'bencode'
import { git } from '../helpers/env.js'
import { mountSmallDisk } from '../helpers/small-disk.js'
import { json, makeWorld, type World } from './world.js'

const T = { timeout: 120_000 }

/** One line on stderr naming the problem, exit status as DESIGN.md says. */
function failsWith (r: { code: number | null, stderr: string }, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit status; stderr:\n${r.stderr}`)
  const lines = r.stderr.trim().split('\n')
  assert.match(lines.at(-1)!, pattern)
}

async function recordRefs (w: World, cwd = w.work): Promise<string> {
  return await w.git(['for-each-ref', 'refs/mirrors/'], cwd)
}

test('mirror-publish refuses bad input with one line and leaves nothing behind', T, async t => {
  const w = await makeWorld(t)
  const plain = path.join(w.dir, 'plain')
  await mkdir(plain)
  failsWith(await w.run('mirror-publish', w.net, plain), 1, /^mirror-publish: .*plain is not in a git repository$/)
  failsWith(await w.run('mirror-publish', [...w.net, '--remote', 'nope']), 1, /^mirror-publish: no such remote 'nope'/)

  for (const [url, why] of [
    ['ftp://example.org/x.bundle', /is not http\(s\)$/],
    ['https://user:secret@example.org/x.bundle', /contains credentials/],
    ['https://example.org/a b.bundle', /white space/],
    ['not a url', /white space|is not a URL/]
  ] as const) {
    failsWith(await w.run('mirror-publish', [...w.net, '--web-seed', url]), 1, new RegExp(`^mirror-publish: web seed .* ${why.source}`))
  }
  const file = path.join(w.dir, 'a-file')
  await writeFile(file, '')
  failsWith(await w.run('mirror-publish', [...w.net, '--store', path.join(file, 'store')]), 1, /^mirror-publish: store .* is not writable \(cannot create directory .*: ENOTDIR\)$/)

  assert.equal(await recordRefs(w), '', 'no record ref was written')
  assert.equal(existsSync(path.join(w.work, '.git', 'mirror', 'bundles')), false, 'no bundle was made')
  assert.equal(await w.git(['ls-remote', w.originUrl, 'refs/mirrors/*']), '')

  failsWith(await w.run('mirror-publish', ['--bogus']), 2, /run with --help/)
  failsWith(await w.run('mirror-publish', ['--port', 'x', ...w.net]), 2, /port "x" is not a number/)
  failsWith(await w.run('mirror-seed', ['--duration', 'soon']), 2, /run with --help|positive number/)
})

test('mirror-publish refuses shallow and empty repositories', T, async t => {
  const w = await makeWorld(t)
  const shallow = path.join(w.dir, 'shallow')
  await w.git(['clone', '--quiet', '--depth', '1', w.originUrl, shallow], w.dir)
  failsWith(await w.run('mirror-publish', w.net, shallow), 1, /repository is shallow: a bundle needs the full history/)

  const emptyOrigin = path.join(w.dir, 'srv', 'empty.git')
  await w.git(['init', '--bare', '--quiet', emptyOrigin], w.dir)
  const empty = path.join(w.dir, 'empty')
  await w.git(['clone', '--quiet', w.server.url('empty.git'), empty], w.dir)
  failsWith(await w.run('mirror-publish', w.net, empty), 1, /nothing to publish: remote 'origin' advertises no branches or tags$/)
  failsWith(await w.run('mirror-publish', w.net, emptyOrigin), 1, /nothing to publish: this repository has no branches or tags$/)
})

test('a rejected push keeps the bundle and the local records; running mirror-publish again retries', T, async t => {
  const w = await makeWorld(t)
  const hook = path.join(w.origin, 'hooks', 'pre-receive')
  await writeFile(hook, '#!/bin/sh\necho "records are frozen today" >&2\nexit 1\n')
  await chmod(hook, 0o755)

  const r = await w.run('mirror-publish', [...w.net, '--json'])
  failsWith(r, 1, /^mirror-publish: push of refs\/mirrors\/\* to origin was rejected: .*pre-receive hook declined.*run mirror-publish again to retry/)
  assert.deepEqual(Object.keys(JSON.parse(r.stdout)), ['error'], 'no result object for a failed publish, the error object')
  assert.equal(JSON.parse(r.stdout).error.code, 'PUSH_REJECTED')
  assert.match(await recordRefs(w), /blob\trefs\/mirrors\/bundle\/torrent/)
  assert.equal(await w.git(['ls-remote', w.originUrl, 'refs/mirrors/*']), '')

  await writeFile(hook, '#!/bin/sh\nexit 0\n')
  const retry = await w.run('mirror-publish', [...w.net, '--json'])
  assert.equal(retry.code, 0, retry.stderr)
  const out = json(retry)
  assert.equal(out.bundle.reused, true, 'the retry reused the bundle made before the rejection')
  assert.equal(out.push.outcome, 'pushed')
  assert.match(await w.git(['ls-remote', w.originUrl, 'refs/mirrors/*']), /refs\/mirrors\/bundle\/torrent/)
})

/** Points the origin's torrent record at arbitrary bytes, as a hostile or broken server would. */
async function setTorrentRecord (w: World, bytes: Uint8Array): Promise<void> {
  const oid = await git(['hash-object', '-w', '--stdin'], { cwd: w.origin, env: w.env, input: Buffer.from(bytes) })
  await git(['update-ref', 'refs/mirrors/bundle/torrent', oid], { cwd: w.origin, env: w.env })
}

function torrentWith (info: Record<string, unknown>): Uint8Array {
  return bencode.encode({ announce: 'http://127.0.0.1:9/announce', info })
}

async function assertNothingWritten (store: string): Promise<void> {
  const bundles = existsSync(path.join(store, 'bundles')) ? await readdir(path.join(store, 'bundles')) : []
  assert.deepEqual(bundles, [], 'no store entry')
  const tmp = existsSync(path.join(store, 'tmp')) ? await readdir(path.join(store, 'tmp')) : []
  assert.deepEqual(tmp, [], 'no download started')
}

test('mirror-seed <url> rejects a hostile or broken torrent record before writing anything', T, async t => {
  const w = await makeWorld(t)
  const store = path.join(w.dir, 'ci-store')
  const seed = async (...extra: string[]): ReturnType<World['run']> =>
    await w.run('mirror-seed', [w.originUrl, '--store', store, '--duration', '5', ...extra, ...w.net], w.dir)

  failsWith(await seed(), 1, /publishes no bundle \(no refs\/mirrors\/bundle\/torrent or refs\/mirrors\/bundle\/magnet\)$/)

  await setTorrentRecord(w, Buffer.from('this is not bencode'))
  failsWith(await seed(), 1, /refs\/mirrors\/bundle\/torrent on .* does not parse as a torrent/)
  await assertNothingWritten(store)

  const pieces = new Uint8Array(20)
  await setTorrentRecord(w, torrentWith({ name: '../../evil.bundle', length: 1000, 'piece length': 16384, pieces }))
  failsWith(await seed(), 1, /file name "\.\.\/\.\.\/evil\.bundle" is not a plain <name>\.bundle/)
  await setTorrentRecord(w, torrentWith({ name: 'x', files: [{ length: 1000, path: ['..', '..', 'evil.bundle'] }], 'piece length': 16384, pieces }))
  failsWith(await seed(), 1, /holds a file that is not a plain name in its folder/)
  await setTorrentRecord(w, torrentWith({ name: '/etc/evil.bundle', length: 1000, 'piece length': 16384, pieces }))
  failsWith(await seed(), 1, /is not a plain <name>\.bundle/)
  await setTorrentRecord(w, torrentWith({ name: 'ok.bundle', length: 100_000, 'piece length': 16384, pieces }))
  failsWith(await seed(), 1, /piece table does not match the length/)
  await assertNothingWritten(store)
  assert.equal(existsSync(path.join(w.dir, 'evil.bundle')), false)
  assert.equal(existsSync(path.join(path.dirname(w.dir), 'evil.bundle')), false)

  // a genuine publish, but bigger than the caller accepts
  assert.equal((await w.run('mirror-publish', w.net)).code, 0)
  failsWith(await seed('--max-size', '1K'), 1, /the bundle is \d+ bytes, over the limit of 1024$/)
  await assertNothingWritten(store)

  const dead = w.originUrl.replace(/:\d+\//, ':9/')
  failsWith(await w.run('mirror-seed', [dead, '--store', store, ...w.net], w.dir), 1, /cannot fetch the records of http:\/\/127\.0\.0\.1:9\//)
})

test('process and input edges: an overlong --timeout, a read-only destination, a cache under /proc, a magnet that never gets metadata; --json always prints an error object', T, async t => {
  const w = await makeWorld(t)
  const cache = path.join(w.dir, 'cache')
  const jsonError = (r: { stdout: string }): any => json({ ...r, code: 1, signal: null, stderr: '' } as any).error

  // node's timers hold 2^31-1 ms: 1e9 s used to overflow to 1 ms (with a warning); now it is wrong usage
  const long = await w.run('mirror-clone', ['--json', '--timeout', '1e9', w.originUrl, path.join(w.dir, 'long')], w.dir)
  assert.equal(long.code, 2, long.stderr)
  assert.match(long.stderr, /--timeout.*expected at most 2147483 seconds/)
  assert.equal(jsonError(long).code, 'USAGE')
  const duration = await w.run('mirror-seed', ['--duration', '3e9'])
  assert.equal(duration.code, 2, duration.stderr)
  assert.match(duration.stderr, /--duration.*expected at most 2147483 seconds/)

  // a read-only file system: one line, exit 1, not "internal error" and a stack trace
  const disk = await mountSmallDisk(t, 1 << 20, { readOnly: true })
  if (typeof disk === 'string') {
    const ro = await w.run('mirror-clone', ['--json', '--cache', cache, ...w.net, w.originUrl, path.join(disk, 'mine')], w.dir)
    failsWith(ro, 1, /^mirror-clone: cannot create the clone's directory .*\/mine: EROFS$/)
    assert.doesNotMatch(ro.stderr, /internal error|\n\s+at /)
    assert.deepEqual(jsonError(ro), { code: 'LOCAL_IO', message: `cannot create the clone's directory ${disk}/mine: EROFS`, exitStatus: 1 })
  } else {
    t.diagnostic(`read-only destination not checked: ${disk.skip}`)
  }

  // a cache under /proc: node's recursive mkdir spun there forever at full CPU
  const proc = await w.run('mirror-clone', ['--json', '--cache', '/proc/x', ...w.net, w.originUrl, path.join(w.dir, 'proc')], w.dir, 20_000)
  failsWith(proc, 1, /^mirror-clone: store \/proc\/x is not writable \(cannot create directory \/proc\/x\/bundles: /)
  assert.equal(jsonError(proc).code, 'STORE_NOT_WRITABLE')
  assert.equal(existsSync(path.join(w.dir, 'proc')), false)

  // a magnet nobody can give metadata for: after --timeout, no empty tmp/download-<infohash> stays
  const magnet = `magnet:?xt=urn:btih:${'c'.repeat(40)}&dn=project.bundle\n`
  const oid = await git(['hash-object', '-w', '--stdin'], { cwd: w.origin, env: w.env, input: magnet })
  await git(['update-ref', 'refs/mirrors/bundle/magnet', oid], { cwd: w.origin, env: w.env })
  const r = await w.run('mirror-clone', ['--json', '--cache', cache, '--no-tracker', '--no-dht', '--no-lsd', '--no-upnp', '--timeout', '2', w.originUrl, path.join(w.dir, 'mine')], w.dir)
  assert.equal(r.code, 0, r.stderr)
  assert.equal(json(r).attempts[0].outcome, 'failed')
  assert.deepEqual((await readdir(path.join(cache, 'tmp'))).filter(n => n.startsWith('download-')), [])
})
