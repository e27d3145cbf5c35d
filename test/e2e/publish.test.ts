import assert from 'node:assert/strict'
import { readFile, stat, symlink, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import parseTorrent from 'parse-torrent'
import { binPath } from '../helpers/processes.js'
import { json, makeWorld, type World } from './world.js'
import { fetchRecord } from './clone-support.js'

const T = { timeout: 120_000 }

/** `<oid> <name>` lines of what the origin advertises under heads, tags and HEAD, sorted. */
async function originState (w: World): Promise<string[]> {
  const out = await w.git(['ls-remote', w.originUrl])
  return out.split('\n').map(l => l.split('\t'))
    .filter(([, name]) => name === 'HEAD' || /^refs\/(heads|tags)\/[^^]*$/.test(name!))
    .map(([oid, name]) => `${oid} ${name}`).sort()
}

async function bundleHeads (w: World, file: string): Promise<string[]> {
  return (await w.git(['bundle', 'list-heads', file])).split('\n').filter(Boolean).sort()
}


test('publish to an http origin: records pushed, torrent blob parses and names the bundle, bundle carries the remote state', T, async t => {
  const w = await makeWorld(t)
  const r = await w.run('mirror-publish', [...w.net, '--json'])
  assert.equal(r.code, 0, r.stderr)
  const out = json(r)

  const listed = await w.git(['ls-remote', w.originUrl, 'refs/mirrors/*'])
  assert.match(listed, new RegExp(`^${out.records.torrent}\trefs/mirrors/bundle/torrent$`, 'm'))
  assert.match(listed, new RegExp(`^${out.records.magnet}\trefs/mirrors/bundle/magnet$`, 'm'))
  assert.doesNotMatch(listed, /refs\/mirrors\/bundle\/http/, 'no web seeds, no http record')
  assert.deepEqual(out.push, { remote: 'origin', outcome: 'pushed' })

  const torrent = await parseTorrent(await fetchRecord(w, 'refs/mirrors/bundle/torrent'))
  assert.equal(torrent.infoHash, out.infoHash)
  assert.equal(torrent.name, out.bundle.file)
  assert.match(torrent.name, /^project-[0-9a-f]{12}\.bundle$/)
  assert.equal(torrent.length, out.bundle.size)
  assert.equal(torrent.files.length, 1)
  assert.deepEqual(torrent.announce, [w.tracker.announceUrl], 'exactly the configured tracker, no public defaults')
  assert.deepEqual(torrent.urlList, [])

  const magnet = (await fetchRecord(w, 'refs/mirrors/bundle/magnet')).toString()
  assert.equal(magnet, `${out.magnet}\n`)
  assert.match(magnet, new RegExp(`^magnet:\\?xt=urn:btih:${out.infoHash}&`))

  assert.equal((await stat(out.bundle.path)).size, out.bundle.size)
  assert.match(out.bundle.path, /\/\.git\/mirror\/bundles\/00\/0{38}\/[0-9a-f]{40}\/project-[0-9a-f]{12}\.bundle$/)
  assert.deepEqual(await bundleHeads(w, out.bundle.path), await originState(w))
  assert.deepEqual(await w.git(['bundle', 'verify', '--quiet', out.bundle.path]).then(() => true), true)
})

test('publishing an unchanged state again reuses the bundle and torrent: same infohash', T, async t => {
  const w = await makeWorld(t)
  const first = json(await w.run('mirror-publish', [...w.net, '--json']))
  const mtime = (await stat(first.bundle.path)).mtimeMs
  const again = await w.run('mirror-publish', [...w.net, '--json'])
  assert.equal(again.code, 0, again.stderr)
  const second = json(again)
  assert.equal(second.infoHash, first.infoHash)
  assert.equal(second.bundle.path, first.bundle.path)
  assert.equal(second.bundle.reused, true)
  assert.equal(first.bundle.reused, false)
  assert.equal((await stat(second.bundle.path)).mtimeMs, mtime, 'the bundle was not rewritten')
  assert.deepEqual(second.push, { remote: 'origin', outcome: 'up-to-date' })

  // other trackers: same infohash, the torrent's announce list follows the option
  const other = json(await w.run('mirror-publish', ['--tracker', 'http://127.0.0.1:9/announce', '--no-dht', '--no-lsd', '--no-upnp', '--json']))
  assert.equal(other.infoHash, first.infoHash)
  assert.deepEqual((await parseTorrent(await readFile(other.torrent))).announce, ['http://127.0.0.1:9/announce'])
  assert.equal(other.push.outcome, 'pushed', 'the torrent record changed, so it is pushed')
})

test('only what the remote advertises is published: new origin commits arrive, local-only commits and tags never do', T, async t => {
  const w = await makeWorld(t)
  const first = json(await w.run('mirror-publish', [...w.net, '--json']))

  // local-only work in the maintainer's clone
  await w.git(['commit', '--allow-empty', '--quiet', '-m', 'local only'])
  await w.git(['tag', 'local-only-tag'])
  // someone else pushes to the origin
  const other = path.join(w.dir, 'other')
  await w.git(['clone', '--quiet', w.originUrl, other], w.dir)
  await w.git(['commit', '--allow-empty', '--quiet', '-m', 'upstream change'], other)
  await w.git(['push', '--quiet', 'origin', 'HEAD:main', 'HEAD:refs/heads/new-branch'], other)

  const r = await w.run('mirror-publish', [...w.net, '--json'])
  assert.equal(r.code, 0, r.stderr)
  const second = json(r)
  assert.equal(second.chain.made, 'increment')
  assert.notEqual(second.bundle.file, first.bundle.file, 'a new bundle: the increment, whose header names every ref of the new state')
  const heads = await bundleHeads(w, second.bundle.path)
  assert.deepEqual(heads, await originState(w))
  const localHead = await w.git(['rev-parse', 'HEAD'])
  assert.ok(!heads.some(l => l.startsWith(localHead)), 'the local-only commit is not a tip')
  assert.ok(!heads.some(l => l.endsWith('local-only-tag')))
  assert.ok(heads.some(l => l.endsWith(' refs/heads/new-branch')))
  // the local branch was not touched by the fetch of missing objects
  assert.equal(await w.git(['rev-parse', 'HEAD']), localHead)
})

test('--web-seed adds BEP 19 URLs to the torrent and refs/mirrors/bundle/http; a folder URL gets the file name', T, async t => {
  const w = await makeWorld(t)
  const r = await w.run('mirror-publish', [...w.net, '--json', '--web-seed', 'http://127.0.0.1:9/bundles/', '--web-seed', 'https://cdn.example.org/p.bundle'])
  assert.equal(r.code, 0, r.stderr)
  const out = json(r)
  const expected = [`http://127.0.0.1:9/bundles/${out.bundle.file}`, 'https://cdn.example.org/p.bundle']
  assert.deepEqual(out.webSeeds, expected)
  assert.deepEqual((await parseTorrent(await fetchRecord(w, 'refs/mirrors/bundle/torrent'))).urlList, expected)
  assert.equal((await fetchRecord(w, 'refs/mirrors/bundle/http')).toString(), expected.map(u => `${u}\n`).join(''))

  // publishing again without web seeds removes the http record: records never disagree
  const again = json(await w.run('mirror-publish', [...w.net, '--json']))
  assert.equal(again.infoHash, out.infoHash)
  assert.doesNotMatch(await w.git(['ls-remote', w.originUrl, 'refs/mirrors/*']), /bundle\/http/)
})

test('a bare server-side repository publishes its own refs; the records are written in place, nothing pushed', T, async t => {
  const w = await makeWorld(t)
  const r = await w.run('mirror-publish', [...w.net, '--json'], w.origin)
  assert.equal(r.code, 0, r.stderr)
  const out = json(r)
  assert.equal(out.push, null)
  assert.ok(out.bundle.path.startsWith(path.join(w.origin, 'mirror') + path.sep))
  assert.deepEqual(await bundleHeads(w, out.bundle.path), await originState(w))
  assert.match(await w.git(['ls-remote', w.originUrl, 'refs/mirrors/*']), /refs\/mirrors\/bundle\/torrent/)
})

test('git mirror publish runs the same command through the git-mirror umbrella', T, async t => {
  const w = await makeWorld(t)
  const bin = path.join(w.dir, 'bin')
  await mkdir(bin)
  await symlink(binPath('git-mirror'), path.join(bin, 'git-mirror'))
  const env = { ...w.env, PATH: `${bin}${path.delimiter}${w.env.PATH ?? ''}` }
  const { runProcess } = await import('../helpers/processes.js')
  const r = await runProcess('git', ['mirror', 'publish', '--no-push', ...w.net, '--json'], { cwd: w.work, env, timeoutMs: 60_000 })
  assert.equal(r.code, 0, r.stderr)
  assert.equal(JSON.parse(r.stdout).push, null)
  // `git mirror --help` is git's own (it opens a man page); -h reaches the command
  const help = await runProcess('git', ['mirror', '-h'], { cwd: w.work, env, timeoutMs: 20_000 })
  assert.match(help.stdout, /publish/)
  assert.match(help.stdout, /seed/)
})
