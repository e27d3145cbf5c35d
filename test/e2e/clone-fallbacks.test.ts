// mirror-clone when the swarm cannot or must not serve: every case ends in a
// clone equal to `git clone` (the origin is the authority), with the reason
// in the --json report, or in a clean error exit. Everything on 127.0.0.1.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import bencode from 'bencode'
import { makeTorrent } from '../../src/io/torrent/torrent-file.js'
import { aria2Seed, hasAria2 } from '../helpers/aria2.js'
import { git } from '../helpers/env.js'
import { startStaticServer } from '../helpers/static-server.js'
import { freePort, waitUntil, withDeadline } from '../helpers/wait.js'
import { json, makeWorld, QUIET_NET, type World } from './world.js'
import { assertSameAsGitClone, mirrorClone, plainClone, publish, startSeeder, T } from './clone-support.js'

const SMALL = { binaryFiles: 2, binaryBytes: 256 << 10 }
const TORRENT_REF = 'refs/mirrors/bundle/torrent'

/** DESIGN.md's report fields, whatever the method. */
function assertReportShape (r: any, method: 'torrent' | 'origin'): void {
  assert.equal(r.method, method, `method; fallbackReason: ${String(r.fallbackReason)}`)
  if (method === 'torrent') assert.equal(r.fallbackReason, null)
  else assert.ok(typeof r.fallbackReason === 'string' && r.fallbackReason.length > 0, 'a fallback says why')
  assert.equal(r.verified, 'origin')
  assert.ok(r.infoHash === null || /^[0-9a-f]{40}$/.test(r.infoHash), `infoHash ${String(r.infoHash)}`)
  for (const k of ['swarm', 'webSeed', 'origin']) {
    assert.ok(Number.isSafeInteger(r.bytes[k]) && r.bytes[k] >= 0, `bytes.${k} = ${String(r.bytes[k])}`)
  }
  const s = r.seconds
  for (const k of ['discover', 'download', 'index', 'originFetch', 'total']) {
    assert.ok(typeof s[k] === 'number' && s[k] >= 0, `seconds.${k} = ${String(s[k])}`)
  }
  // phases are rounded to 10 ms each
  assert.ok(s.total + 0.05 >= s.discover + s.download + s.index + s.originFetch, `seconds ${JSON.stringify(s)}`)
}

/**
 * A fallback: everything from the origin (about what git clone gets), nothing
 * from the swarm unless `swarmUsed`: then the report still counts what the
 * refused download brought (honest byte counts).
 */
function assertAllFromOrigin (r: any, serverSent: number, plainBytes: number, o: { swarmUsed?: boolean } = {}): void {
  if (o.swarmUsed !== true) assert.equal(r.bytes.swarm, 0)
  else assert.ok(r.bytes.swarm > 0, 'the refused download\'s bytes are counted')
  assert.equal(r.bytes.webSeed, 0)
  assert.ok(r.bytes.origin <= serverSent, `report says ${r.bytes.origin} from the origin, the server sent ${serverSent}`)
  assert.ok(r.bytes.origin > plainBytes * 0.9, `report says ${r.bytes.origin} from the origin, git clone took ${plainBytes}`)
}

/** mirror-clone --json of the origin into `dir`, and what the server sent meanwhile. */
async function cloneMeasured (w: World, args: string[], o: { timeoutMs?: number } = {}): Promise<{ report: any, stderr: string, serverSent: number }> {
  w.server.resetStats()
  const r = await mirrorClone(w, args, o)
  return { ...r, serverSent: w.server.bytesSent }
}

/** Objects nothing reaches (reflogs aside), as git fsck lists them: one line each. */
async function unreachableObjects (w: World, dir: string): Promise<string> {
  return (await git(['fsck', '--unreachable', '--no-reflogs', '--no-progress'], { cwd: path.join(w.dir, dir), env: w.env })).trim()
}

/** Points one of the origin's records at arbitrary bytes, as a hostile or broken server would. */
async function setRecord (w: World, ref: string, bytes: Uint8Array): Promise<void> {
  const oid = await git(['hash-object', '-w', '--stdin'], { cwd: w.origin, env: w.env, input: Buffer.from(bytes) })
  await git(['update-ref', ref, oid], { cwd: w.origin, env: w.env })
}

/** A .torrent with this info dict and a piece table that matches `content`. */
function torrentOf (info: Record<string, unknown>, content: Buffer, pieceLength = 16384): Buffer {
  const hashes: Buffer[] = []
  for (let i = 0; i < content.length; i += pieceLength) hashes.push(createHash('sha1').update(content.subarray(i, i + pieceLength)).digest())
  return Buffer.from(bencode.encode({ announce: 'http://127.0.0.1:9/announce', info: { ...info, 'piece length': pieceLength, pieces: Buffer.concat(hashes) } }))
}

async function ls (dir: string): Promise<string[]> {
  return existsSync(dir) ? await readdir(dir) : []
}

/** Every path under `dir` whose last component matches. */
async function findNamed (dir: string, re: RegExp): Promise<string[]> {
  const found: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (re.test(e.name)) found.push(path.join(e.parentPath ?? (e as any).path, e.name))
  }
  return found
}

async function stagingRefs (w: World, dir: string): Promise<string> {
  return await w.git(['for-each-ref', '--format=%(refname)', 'refs/mirror/'], path.join(w.dir, dir))
}

test('no records at all: clones from the origin and says the origin publishes no bundle', T, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const plain = await plainClone(w, 'theirs')
  const { report, stderr, serverSent } = await cloneMeasured(w, [...w.net, w.originUrl, 'mine'])
  t.diagnostic(JSON.stringify(report))

  assertReportShape(report, 'origin')
  assert.match(report.fallbackReason, /publishes no bundle \(no refs\/mirrors\/bundle\/torrent, refs\/mirrors\/bundle\/magnet or refs\/mirrors\/bundle\/http\) and no mirror/)
  assert.deepEqual(report.attempts, [])
  assert.equal(report.infoHash, null)
  assertAllFromOrigin(report, serverSent, plain.bytes)
  assert.deepEqual(report.discardedRefs, [])
  assert.equal(report.bundle, null)
  assert.match(stderr, /no source used: .*publishes no bundle.*; cloning from the origin/)
  await assertSameAsGitClone(w, 'mine', 'theirs')
  assert.deepEqual(await ls(path.join(w.dir, 'cache', 'tmp')), [], 'nothing left in the cache')
})

test('a torrent record that does not parse: clones from the origin, the reason names the ref', T, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  await setRecord(w, TORRENT_REF, randomBytes(3000))
  const plain = await plainClone(w, 'theirs')
  // an existing empty directory is fine, as for git clone
  await mkdir(path.join(w.dir, 'mine'))
  const { report, serverSent } = await cloneMeasured(w, [...w.net, w.originUrl, 'mine'])
  t.diagnostic(JSON.stringify(report))

  assertReportShape(report, 'origin')
  assert.match(report.fallbackReason, /^refs\/mirrors\/bundle\/torrent on http:\/\/127\.0\.0\.1:\d+\/project\.git does not parse as a torrent/)
  assert.equal(report.infoHash, null)
  assertAllFromOrigin(report, serverSent, plain.bytes)
  await assertSameAsGitClone(w, 'mine', 'theirs')
})

test('a torrent record of 20 MB: the records\' transfer stops past 16 MiB, the clone comes from the origin and counts those bytes', T, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  await setRecord(w, TORRENT_REF, randomBytes(20 << 20))   // incompressible: before, every clone fetched all of it first
  const plain = await plainClone(w, 'theirs')
  const { report, serverSent } = await cloneMeasured(w, [...w.net, w.originUrl, 'mine'])
  t.diagnostic(JSON.stringify(report.bytes))
  assertReportShape(report, 'origin')
  assert.match(report.fallbackReason, /^the records under refs\/mirrors\/ on http:\/\/127\.0\.0\.1:\d+\/project\.git take more than 16\.0 MiB to fetch; not reading them/)
  // the records' bytes are in the report: more than the budget, less than the record
  assert.ok(report.bytes.origin > plain.bytes + (16 << 20), `bytes.origin ${String(report.bytes.origin)}`)
  assert.ok(report.bytes.origin < plain.bytes + (20 << 20), `bytes.origin ${String(report.bytes.origin)}`)
  assert.ok(report.bytes.origin <= serverSent)
  await assertSameAsGitClone(w, 'mine', 'theirs')
})

test('an unsafe torrent (paths with .., several files): refused before anything is written, clones from the origin', T, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const plain = await plainClone(w, 'theirs')
  const content = randomBytes(40_000)
  const hostile: Array<[string, Buffer, RegExp]> = [
    ['dotdot-files', torrentOf({ name: 'x', files: [{ path: ['..', '..', 'evil.bundle'], length: 20_000 }, { path: ['evil-b.bundle'], length: 20_000 }] }, content),
      /holds a file that is not a plain name in its folder$/],
    ['dotdot-name', torrentOf({ name: '../../evil.bundle', length: content.length }, content),
      /file name "\.\.\/\.\.\/evil\.bundle" is not a plain <name>\.bundle$/],
    ['absolute-name', torrentOf({ name: '/tmp/evil-abs.bundle', length: content.length }, content),
      /file name "\/tmp\/evil-abs\.bundle" is not a plain <name>\.bundle$/]
  ]
  for (const [dir, torrent, why] of hostile) {
    await setRecord(w, TORRENT_REF, torrent)
    const { report, serverSent } = await cloneMeasured(w, [...w.net, w.originUrl, dir])
    t.diagnostic(`${dir}: ${JSON.stringify(report)}`)
    assertReportShape(report, 'origin')
    assert.match(report.fallbackReason, new RegExp(`^refs/mirrors/bundle/torrent on \\S+: ${why.source}`), dir)
    assert.match(report.infoHash, /^[0-9a-f]{40}$/, 'the torrent parsed, so its infohash is known')
    assertAllFromOrigin(report, serverSent, plain.bytes)
    await assertSameAsGitClone(w, dir, 'theirs')
  }
  assert.deepEqual(await findNamed(w.dir, /^evil/), [], 'no evil* file anywhere')
  assert.deepEqual((await ls(path.dirname(w.dir))).filter(n => n.startsWith('evil')), [], `no evil* file in ${path.dirname(w.dir)}`)
  assert.deepEqual(await ls(path.join(w.dir, 'cache', 'tmp')), [], 'no download started in the cache')
})

test('a torrent over --max-size: clones from the origin, the reason gives the size, no download starts', T, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const published = await publish(w)
  const plain = await plainClone(w, 'theirs')
  const { report, serverSent } = await cloneMeasured(w, [...w.net, '--max-size', '1K', w.originUrl, 'mine'])
  t.diagnostic(JSON.stringify(report))

  assertReportShape(report, 'origin')
  assert.match(report.fallbackReason, new RegExp(`the bundle is ${String(published.bundle.size)} bytes, over the limit of 1024$`))
  assert.equal(report.infoHash, published.infoHash)
  assertAllFromOrigin(report, serverSent, plain.bytes)
  await assertSameAsGitClone(w, 'mine', 'theirs')
  assert.deepEqual((await ls(path.join(w.dir, 'cache', 'tmp'))).filter(n => n.startsWith('download-')), [], 'no download directory in the cache')
})

test('no peer and no web seed: gives up after --timeout and clones from the origin; no empty download directory stays', T, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const published = await publish(w)   // and nobody seeds it
  const plain = await plainClone(w, 'theirs')
  const { report, stderr, serverSent } = await cloneMeasured(w, [...w.net, '--timeout', '3', w.originUrl, 'mine'], { timeoutMs: 45_000 })
  t.diagnostic(JSON.stringify(report))

  assertReportShape(report, 'origin')
  assert.match(report.fallbackReason, /^no data for 3 s from any peer or web seed \(0 peers\)$/)
  assert.equal(report.infoHash, published.infoHash)
  assertAllFromOrigin(report, serverSent, plain.bytes)
  assert.match(stderr, /not using the swarm: no data for 3 s/)
  await assertSameAsGitClone(w, 'mine', 'theirs')
  // nothing arrived, nothing to resume (a download that got pieces stays: e2e/clone-resume)
  assert.equal(existsSync(path.join(w.dir, 'cache', 'tmp', `download-${String(published.infoHash)}`)), false, 'no empty download directory stays in the cache')
})

test('the download stalls mid-way while git index-pack reads it (unsigned): clones from the origin, no index-* scratch repository stays in the cache', T, async t => {
  // the web seed is the only source, paced so the download takes seconds; it goes away mid-way
  const w = await makeWorld(t, { spec: { binaryFiles: 4, binaryBytes: 1 << 20 } })
  const served = path.join(w.dir, 'webseed')
  await mkdir(served)
  const web = await startStaticServer(served, { bytesPerSecond: 128 << 10 })
  t.after(async () => await web.close())
  const webOnly = ['--no-tracker', ...QUIET_NET]
  const pub = await w.run('mirror-publish', [...webOnly, '--json', '--web-seed', web.url('')])
  assert.equal(pub.code, 0, pub.stderr)
  const published = json(pub)
  await copyFile(published.bundle.path, path.join(served, published.bundle.file))
  const size: number = published.bundle.size
  const plain = await plainClone(w, 'theirs')
  const tmp = path.join(w.dir, 'cache', 'tmp')
  const scratch = async (): Promise<string[]> => (await ls(tmp)).filter(n => n.startsWith('index-'))

  w.server.resetStats()
  const cloner = w.start('mirror-clone', ['--json', '--cache', path.join(w.dir, 'cache'), ...webOnly, '--timeout', '3', w.originUrl, 'mine'], w.dir)
  let exited = false
  void cloner.exited.then(() => { exited = true })
  // index-pack is reading the bundle as it arrives: its scratch repository is in the cache, and part of the bundle came
  await waitUntil(async () => {
    if (exited) throw new Error(`mirror-clone ended before the web seed went away (it sent ${web.bytesSent} of ${size})\n${cloner.stderr()}`)
    return web.bytesSent >= size * 0.3 && (await scratch()).length === 1
  }, { timeoutMs: 30_000, intervalMs: 20, what: `an index-* scratch repository in ${tmp} and 30% of ${size} bytes sent` })
  const sentBefore = web.bytesSent
  await web.close()
  const st = await withDeadline(cloner.exited, 60_000, 'mirror-clone to end after the web seed went away')
  const serverSent = w.server.bytesSent
  t.diagnostic(`the web seed sent ${sentBefore} of ${size} bytes before it went away\n${cloner.stderr()}`)
  assert.equal(st.code, 0, `exit status\n${cloner.stderr()}`)
  const report = JSON.parse(cloner.stdout())
  t.diagnostic(JSON.stringify(report))

  assertReportShape(report, 'origin')
  // webtorrent counts the web seed it still holds as a peer; then the same bundle over plain HTTP is tried, from the server now gone
  const [viaSwarm, viaHttp] = report.attempts
  assert.deepEqual([viaSwarm.source, viaSwarm.outcome, viaHttp.source, viaHttp.outcome], ['torrent', 'failed', 'http', 'failed'], JSON.stringify(report.attempts))
  assert.match(viaSwarm.reason, /^no data for 3 s from any peer or web seed \([01] peers\); the partial download is kept$/)
  assert.match(viaHttp.reason, /ECONNREFUSED/)
  assert.ok(report.fallbackReason.includes(viaSwarm.reason) && report.fallbackReason.includes(viaHttp.reason), report.fallbackReason)
  assert.equal(report.infoHash, published.infoHash)
  assert.equal(report.indexedBy, null)
  assert.ok(report.bytes.webSeed > 0 && report.bytes.webSeed < size, `the stalled download's ${String(report.bytes.webSeed)} bytes from the web seed are counted`)
  assert.equal(report.bytes.swarm, 0)
  assert.ok(report.bytes.origin <= serverSent && report.bytes.origin > plain.bytes * 0.9, `report says ${String(report.bytes.origin)} from the origin, git clone took ${plain.bytes}`)
  assert.match(cloner.stderr(), /not using the swarm: no data for 3 s/)
  await assertSameAsGitClone(w, 'mine', 'theirs')
  assert.equal(await stagingRefs(w, 'mine'), '', 'no staging ref remains')
  assert.deepEqual((await ls(path.join(w.dir, 'mine', '.git', 'objects', 'pack'))).filter(n => !/^pack-[0-9a-f]{40}\.(pack|idx|rev)$/.test(n)), [], 'no temporary pack in the clone')

  assert.deepEqual(await scratch(), [], 'the index-* scratch repository is removed')
  assert.deepEqual(await findNamed(path.join(w.dir, 'cache'), /^(tmp_pack_|pack-)/), [], 'no pack of the stopped index-pack anywhere in the cache')
  assert.deepEqual((await ls(tmp)).filter(n => n.startsWith('download-')), [`download-${String(published.infoHash)}`], 'the resumable download stays, alone')
  assert.deepEqual(await findNamed(path.join(w.dir, 'cache', 'tmp'), /\.bundle$/).then(f => f.filter(x => x.includes(`${path.sep}http-`))), [], 'the HTTP attempt wrote no bundle')
})

/**
 * New root commits for every branch of the origin, its tags replaced: nothing
 * of the old history is reachable. main keeps its tree (as `git checkout
 * --orphan` + commit would), so the origin may count the bundle's objects as
 * the client's; the other branches get new trees.
 */
async function rewriteOriginHistory (w: World): Promise<void> {
  const g = async (args: string[], input?: string): Promise<string> => await git(args, { cwd: w.origin, env: w.env, ...(input === undefined ? {} : { input }) })
  const branches = (await g(['for-each-ref', '--format=%(refname)', 'refs/heads/'])).split('\n').filter(l => l !== '')
  for (const ref of branches) {
    let tree = await g(['rev-parse', `${ref}^{tree}`])
    if (ref !== 'refs/heads/main') {
      const blob = await g(['hash-object', '-w', '--stdin'], `rewritten ${ref}\n`)
      tree = await g(['mktree'], `100644 blob ${blob}\tREADME\n`)
    }
    const commit = await g(['commit-tree', '-m', `history of ${ref} rewritten`, tree])
    await g(['update-ref', ref, commit])
  }
  for (const tag of (await g(['tag', '--list'])).split('\n').filter(l => l !== '')) await g(['tag', '-d', tag])
  await g(['tag', '-a', '-m', 'new era', 'v1.0.0', 'refs/heads/main'])
}

test('a bundle that disagrees with the origin everywhere: every staged ref is discarded, the clone is the origin\'s', T, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const published = await publish(w)
  const seeder = await startSeeder(w)
  const bundled = (await git(['for-each-ref', '--format=%(refname)', 'refs/heads/', 'refs/tags/'], { cwd: w.origin, env: w.env })).split('\n')
  await rewriteOriginHistory(w)
  assert.match(await git(['for-each-ref', 'refs/mirrors/bundle/'], { cwd: w.origin, env: w.env }), /refs\/mirrors\/bundle\/torrent/, 'the records stay')

  const plain = await plainClone(w, 'theirs')
  const { report } = await cloneMeasured(w, [...w.net, w.originUrl, 'mine'])
  t.diagnostic(JSON.stringify(report))

  assertReportShape(report, 'origin')
  assert.equal(report.fallbackReason, 'none of the bundle\'s refs is in the origin\'s history: the origin sent everything')
  assert.equal(report.infoHash, published.infoHash)
  assert.ok(report.bytes.swarm > 0, 'the bundle did come from the swarm')
  assert.ok(report.bytes.origin > 0 && report.bytes.origin < plain.bytes * 2)
  assert.deepEqual([...report.discardedRefs].sort(), bundled.map(r => r.replace(/^refs\//, 'refs/mirror/torrent/')).sort())
  assert.equal(await stagingRefs(w, 'mine'), '', 'no staging ref remains')
  // git indexed the bundle, then its objects went with its refs: before, they stayed in the clone's pack, unreachable
  assert.equal(report.indexedBy, 'git')
  assert.equal(await unreachableObjects(w, 'mine'), '', 'no object of the discarded bundle remains')
  await assertSameAsGitClone(w, 'mine', 'theirs')
  await seeder.stop('SIGINT')
})

test('a bundle with one branch the origin has since force-pushed: that staged ref is discarded, the rest came from the swarm', T, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const published = await publish(w)
  const seeder = await startSeeder(w)
  // feature/topic-2's tip is reachable from no other ref; amend it and force-push
  const branch = 'feature/topic-2'
  await w.git(['checkout', '--quiet', branch])
  await w.git(['commit', '--quiet', '--amend', '-m', 'topic 2: step 3, reworded'])
  await w.git(['push', '--quiet', '--force', 'origin', branch])

  const plain = await plainClone(w, 'theirs')
  const { report, serverSent } = await cloneMeasured(w, [...w.net, w.originUrl, 'mine'])
  t.diagnostic(JSON.stringify(report))

  assertReportShape(report, 'torrent')
  assert.equal(report.infoHash, published.infoHash)
  assert.deepEqual(report.discardedRefs, [`refs/mirror/torrent/heads/${branch}`])
  assert.ok(report.bytes.swarm > 512 << 10, `swarm bytes ${String(report.bytes.swarm)}`)
  assert.ok(report.bytes.origin <= serverSent && serverSent < plain.bytes / 5, `the origin sent ${serverSent}, git clone took ${plain.bytes}`)
  assert.equal(await stagingRefs(w, 'mine'), '', 'no staging ref remains')
  assert.equal(await unreachableObjects(w, 'mine'), '', 'the force-pushed-away commits are not kept')
  await assertSameAsGitClone(w, 'mine', 'theirs')
  await seeder.stop('SIGINT')
})

/** A single-file torrent of `content` named `name`, seeded by aria2c, published as the origin's torrent record. */
async function seedAsRecord (t: { after: (fn: () => Promise<void>) => void }, w: World, name: string, content: Buffer): Promise<{ infoHash: string }> {
  const data = path.join(w.dir, 'rogue')
  await mkdir(data, { recursive: true })
  await writeFile(path.join(data, name), content)
  const torrent = await makeTorrent(path.join(data, name), { name, pieceLength: 16384, trackers: [w.tracker.announceUrl], webSeeds: [] })
  const torrentFile = path.join(w.dir, `${name}.torrent`)
  await writeFile(torrentFile, torrent)
  const seeder = await aria2Seed(torrentFile, data, { tracker: w.tracker, env: w.env, timeoutMs: 60_000 })
  t.after(async () => await seeder.stop())
  await setRecord(w, TORRENT_REF, torrent)
  const info = (bencode.decode(torrent) as { info: unknown }).info
  return { infoHash: createHash('sha1').update(bencode.encode(info)).digest('hex') }
}

const NEEDS_ARIA2 = { ...T, skip: hasAria2() ? false : 'aria2c is not installed' }

test('a seeded torrent whose file is not a git bundle: clones from the origin, the bad file leaves the cache', NEEDS_ARIA2, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const { infoHash } = await seedAsRecord(t, w, 'x.bundle', Buffer.concat([Buffer.from('surely not a bundle\n'), randomBytes(100_000)]))
  const plain = await plainClone(w, 'theirs')
  const { report, serverSent } = await cloneMeasured(w, [...w.net, '--timeout', '20', w.originUrl, 'mine'])
  t.diagnostic(JSON.stringify(report))

  assertReportShape(report, 'origin')
  assert.match(report.fallbackReason, /^the bundle refs\/mirrors\/bundle\/torrent on \S+ publishes is not usable: not a git bundle \(no "# v2 git bundle" or "# v3 git bundle" signature\)$/)
  assert.equal(report.infoHash, infoHash)
  assertAllFromOrigin(report, serverSent, plain.bytes, { swarmUsed: true })
  await assertSameAsGitClone(w, 'mine', 'theirs')
  assert.deepEqual(await findNamed(path.join(w.dir, 'cache'), /^x\.bundle$/), [], 'the bad file was deleted: no rerun resumes into it')
})

test('a seeded bundle with a good header but a broken pack: git refuses it, the clone comes from the origin', NEEDS_ARIA2, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const main = await git(['rev-parse', 'refs/heads/main'], { cwd: w.origin, env: w.env })
  const content = Buffer.concat([Buffer.from(`# v2 git bundle\n${main} refs/heads/main\n\nPACK`), randomBytes(100_000)])
  const { infoHash } = await seedAsRecord(t, w, 'y.bundle', content)
  const plain = await plainClone(w, 'theirs')
  await mkdir(path.join(w.dir, 'mine'))   // existed and empty: emptied, not removed, when the bundle is refused
  const { report, serverSent } = await cloneMeasured(w, [...w.net, '--timeout', '20', w.originUrl, 'mine'])
  t.diagnostic(JSON.stringify(report))

  assertReportShape(report, 'origin')
  assert.match(report.fallbackReason, /^git refuses the bundle from the swarm: /)
  assert.equal(report.infoHash, infoHash)
  assertAllFromOrigin(report, serverSent, plain.bytes, { swarmUsed: true })
  assert.equal(await stagingRefs(w, 'mine'), '', 'no staging ref remains')
  await assertSameAsGitClone(w, 'mine', 'theirs')
  assert.deepEqual(await findNamed(path.join(w.dir, 'cache'), /^y\.bundle$/), [], 'the refused bundle was deleted')
  assert.deepEqual((await ls(path.join(w.dir, 'cache', 'tmp'))).filter(n => n.startsWith('download-')), [], 'no download directory stays')
})

/**
 * Exit status and exactly one line on stderr (with --quiet), naming the
 * problem; with --json, stdout holds one {"error"} object with the same
 * message, a stable code and the exit status.
 */
function failsWith (r: { code: number | null, stderr: string, stdout: string }, code: number, pattern: RegExp, errorCode?: string): void {
  assert.equal(r.code, code, `exit status; stderr:\n${r.stderr}`)
  const lines = r.stderr.trimEnd().split('\n')
  assert.equal(lines.length, 1, `one line on stderr:\n${r.stderr}`)
  assert.match(lines[0]!, pattern)
  if (r.stdout === '') return
  const { error } = JSON.parse(r.stdout)
  assert.equal(r.stdout.trim().split('\n').length, 1, `one JSON object on stdout:\n${r.stdout}`)
  assert.equal(error.exitStatus, code)
  assert.ok(lines[0]!.endsWith(error.message), `${lines[0]!} ends with ${String(error.message)}`)
  if (errorCode !== undefined) assert.equal(error.code, errorCode)
}

test('error exits: destination not empty, origin unreachable, --bare with --mirror; --json gives the error\'s code', T, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const clone = async (...args: string[]): ReturnType<World['run']> =>
    await w.run('mirror-clone', ['--json', '--quiet', '--cache', path.join(w.dir, 'cache'), ...w.net, ...args], w.dir, 30_000)

  const taken = path.join(w.dir, 'taken')
  await mkdir(taken)
  await writeFile(path.join(taken, 'precious.txt'), 'keep me\n')
  failsWith(await clone(w.originUrl, 'taken'), 1, /^mirror-clone: destination path 'taken' already exists and is not an empty directory$/, 'DESTINATION_EXISTS')
  assert.deepEqual(await readdir(taken), ['precious.txt'], 'the existing directory is untouched')

  const closed = `http://127.0.0.1:${await freePort()}/project.git`
  failsWith(await clone(closed, 'unreachable'), 1, new RegExp(`^mirror-clone: cannot list ${closed.replace(/[.:/]/g, '\\$&')}: `), 'REMOTE_UNREACHABLE')
  assert.equal(existsSync(path.join(w.dir, 'unreachable')), false, 'no directory left behind')

  failsWith(await clone('--bare', '--mirror', w.originUrl, 'both'), 2, /^mirror-clone: --bare and --mirror cannot be used together/, 'USAGE')
  assert.equal(existsSync(path.join(w.dir, 'both')), false)
  assert.equal(existsSync(path.join(w.dir, 'both.git')), false)
})
