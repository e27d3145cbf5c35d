// Incremental bundles (issue 16): a publish after a publish adds an
// increment to refs/mirrors/bundle/list (the base stays the torrent
// record), clients apply the chain, mirror-fetch brings an existing clone
// up to date from the increments it lacks, and the chain collapses and
// prunes as documented.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { readTorrent } from '../../src/io/torrent/torrent-file.js'
import { startStaticServer } from '../helpers/static-server.js'
import { freePort } from '../helpers/wait.js'
import { makeWorld, type World } from './world.js'
import { advance, assertSameAsGitClone, fetchRecord, mirrorClone, plainClone, publish, startSeeder, T } from './clone-support.js'

/** A base and two increments: three publishes with `bytes` of new content before the second and third. */
async function threePublishes (w: World, bytes: number, extra: string[] = []): Promise<any[]> {
  const first = await publish(w, extra)
  await advance(w, 'one', bytes)
  const second = await publish(w, extra)
  await advance(w, 'two', bytes)
  return [first, second, await publish(w, extra)]
}

/** The list record on the origin, as `git config` reads it. */
async function listOnOrigin (w: World): Promise<Map<string, string>> {
  const blob = await fetchRecord(w, 'refs/mirrors/bundle/list')
  const file = path.join(w.dir, `list-${randomBytes(4).toString('hex')}`)
  await writeFile(file, blob)
  const out = await w.git(['config', '--file', file, '--list'], w.dir)
  return new Map(out.split('\n').map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
}

test('three publishes: a base and two increments in the list, each a small part of the base; an unchanged republish changes nothing', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 4, binaryBytes: 256 << 10, branches: 2, tags: 2 } })
  const first = await publish(w)
  assert.equal(first.chain.made, 'base')
  await advance(w, 'one')
  const second = await publish(w)
  assert.equal(second.chain.made, 'increment', JSON.stringify(second.chain))
  await advance(w, 'two')
  const third = await publish(w)
  assert.equal(third.chain.made, 'increment')
  const bundles = third.chain.bundles
  assert.equal(bundles.length, 3)
  assert.equal(bundles[0].infoHash, first.infoHash, 'the base stays the torrent record')
  assert.equal(third.infoHash, first.infoHash)
  for (const inc of bundles.slice(1)) assert.ok(inc.size < bundles[0].size / 10, `increment ${inc.size as number} bytes against a base of ${bundles[0].size as number}`)
  const list = await listOnOrigin(w)
  const tokens = bundles.map((b: any) => Number(list.get(`bundle.${b.id as string}.creationtoken`)))
  assert.ok(tokens[0] < tokens[1] && tokens[1] < tokens[2], `increasing creationTokens: ${tokens.join(' ')}`)
  assert.equal(list.get('bundle.mode'), 'all')
  assert.equal(list.get(`bundle.${bundles[2].id as string}.infohash`), bundles[2].infoHash)

  const again = await publish(w)
  assert.equal(again.chain.made, 'unchanged')
  assert.equal(again.push.outcome, 'up-to-date', 'the same records: nothing to push')
  assert.deepEqual(again.chain.bundles.map((b: any) => b.infoHash), bundles.map((b: any) => b.infoHash), 'stable infohashes')
})

test('a fresh mirror-clone applies the base and both increments, equals git clone, and the origin sends only what is newer', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 4, binaryBytes: 256 << 10, branches: 2, tags: 2 } })
  const last = (await threePublishes(w, 64 << 10))[2]
  await advance(w, 'after', 1024)   // newer than the last increment: the origin's to send
  const seeder = await startSeeder(w)
  t.after(async () => await seeder.stop('SIGINT'))

  w.server.resetStats()
  const { report } = await mirrorClone(w, [...w.net, w.originUrl, 'mine'])
  const originBytes = w.server.bytesSent
  assert.equal(report.method, 'torrent', JSON.stringify(report))
  assert.deepEqual(report.bundles.map((b: any) => [b.id, b.outcome]), last.chain.bundles.map((b: any) => [b.id, 'used']))
  assert.ok(report.bundles.slice(1).every((b: any) => b.bytes > 0), 'each increment came from the swarm')
  const full = await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')
  assert.ok(originBytes < full.bytes / 10, `the origin sent ${originBytes} bytes to mirror-clone, ${full.bytes} to git clone`)
  assert.ok(report.bytes.origin < 64 << 10, `the origin's pack held only the last commit: ${report.bytes.origin as number} bytes`)
})

test('mirror-fetch after two publishes: only the two increments from the swarm, a small part of what git fetch takes from the origin, the same refs', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 4, binaryBytes: 256 << 10, branches: 2, tags: 2 } })
  await publish(w)
  const seeder = await startSeeder(w)
  t.after(async () => await seeder.stop('SIGINT'))
  const { report: cloned } = await mirrorClone(w, [...w.net, w.originUrl, 'mine'])
  assert.equal(cloned.method, 'torrent')
  await w.git(['clone', '-q', w.originUrl, 'theirs'], w.dir)

  await advance(w, 'one', 300 << 10)
  await publish(w)
  await advance(w, 'two', 300 << 10)
  const last = await publish(w)
  await seeder.stop('SIGINT')
  const reseeder = await startSeeder(w)   // the maintainer's store, now with the increments
  t.after(async () => await reseeder.stop('SIGINT'))

  const mine = path.join(w.dir, 'mine')
  w.server.resetStats()
  const r = await w.run('mirror-fetch', ['--json', '--cache', path.join(w.dir, 'cache'), ...w.net], mine, 120_000)
  assert.equal(r.code, 0, r.stderr)
  const report = JSON.parse(r.stdout)
  const ours = w.server.bytesSent
  assert.equal(report.method, 'increments', JSON.stringify(report))
  assert.deepEqual(report.bundles.map((b: any) => [b.id, b.outcome]), last.chain.bundles.slice(1).map((b: any) => [b.id, 'used']), 'exactly the two increments')
  assert.ok(report.bytes.swarm + report.bytes.webSeed > 600 << 10, 'the new content came from the swarm')

  w.server.resetStats()
  await w.git(['fetch', '-q', 'origin'], path.join(w.dir, 'theirs'))
  const plain = w.server.bytesSent
  assert.ok(ours < plain / 5, `the origin sent ${ours} bytes to mirror-fetch, ${plain} to git fetch`)
  const refs = async (dir: string): Promise<string> => await w.git(['for-each-ref', '--format=%(objectname) %(refname)'], path.join(w.dir, dir))
  assert.equal(await refs('mine'), await refs('theirs'))
  assert.equal(await w.git(['fsck', '--no-dangling', '--no-progress'], mine), '')

  // nothing published since: a plain fetch, and it says so
  const again = await w.run('mirror-fetch', ['--json', '--cache', path.join(w.dir, 'cache'), ...w.net], mine, 60_000)
  assert.equal(again.code, 0, again.stderr)
  assert.equal(JSON.parse(again.stdout).method, 'origin')
  assert.match(JSON.parse(again.stdout).reason, /nothing was published since/)
})

test('a CI reseeder (mirror-seed <url>) seeds the whole list, and stock git clone --bundle-uri takes all three bundles from its --http list', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 4, binaryBytes: 256 << 10, branches: 2, tags: 2 } })
  const last = (await threePublishes(w, 64 << 10))[2]
  const maintainer = await startSeeder(w)
  t.after(async () => await maintainer.stop('SIGINT'))

  const reseeder = w.start('mirror-seed', [...w.net, '--json', '--http', '127.0.0.1:0', '--store', path.join(w.dir, 'ci-store'), w.originUrl], w.dir)
  t.after(async () => await reseeder.stop('SIGINT'))
  const base: string = JSON.parse((await reseeder.waitFor(/"event":"http"/, { stream: 'stdout', timeoutMs: 60_000 })).input!).url
  const ready = JSON.parse((await reseeder.waitFor(/"event":"ready"/, { stream: 'stdout', timeoutMs: 60_000 })).input!)
  assert.deepEqual(ready.increments.map((e: any) => e.infoHash), last.chain.bundles.slice(1).map((b: any) => b.infoHash), 'every increment of the list is seeded')

  const list = await (await fetch(`${base}/project/bundle-list`, { signal: AbortSignal.timeout(10_000) })).text()
  for (const b of last.chain.bundles) assert.match(list, new RegExp(`infohash = ${b.infoHash as string}`))

  const full = await plainClone(w, 'plain')
  w.server.resetStats()
  await w.git(['clone', '-q', `--bundle-uri=${base}/project/bundle-list`, w.originUrl, 'by-bundle-uri'], w.dir)
  const clone = path.join(w.dir, 'by-bundle-uri')
  // git 2.39's clone sends the origin no haves after --bundle-uri (seen with GIT_TRACE_PACKET), so it gets some of the
  // increments' objects again: the base is what must not come from the origin
  assert.ok(w.server.bytesSent < full.bytes / 2, `the origin sent ${w.server.bytesSent} bytes after the bundles, ${full.bytes} for a plain clone`)
  const refs = (await w.git(['for-each-ref', '--format=%(refname)'], clone)).split('\n')
  assert.ok(refs.some(r => r.startsWith('refs/bundles/')), refs.join(' '))
  assert.equal(await w.git(['rev-parse', 'refs/bundles/main'], clone), await w.git(['rev-parse', 'HEAD']), 'git unbundled the increments too: the newest main came from them')
  assert.equal(await w.git(['rev-parse', 'HEAD'], clone), await w.git(['rev-parse', 'HEAD']))
})

test('hostile lists: a file:// uri, thousands of entries, a cycle, a gap: refused with a reason, and each clone still equals git clone', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 4, binaryBytes: 128 << 10, branches: 1, tags: 1 } })
  const last = (await threePublishes(w, 32 << 10))[2]
  const seeder = await startSeeder(w)
  t.after(async () => await seeder.stop('SIGINT'))
  await plainClone(w, 'theirs')
  const [base, one, two] = last.chain.bundles
  const section = (b: any, token: number, extra = ''): string =>
    `[bundle "${b.id as string}"]\n${extra}\tcreationToken = ${token}\n\tinfohash = ${b.infoHash as string}\n\tsize = ${b.size as number}\n\tsha256 = ${b.sha256 as string}\n`
  const head = '[bundle]\n\tversion = 1\n\tmode = all\n'
  const many = Array.from({ length: 2000 }, (_, i) => `[bundle "x${i}"]\n\tcreationToken = ${i + 1}\n\tinfohash = ${(i + 1).toString(16).padStart(40, '0')}\n\tsize = 1\n\tsha256 = ${'0'.repeat(64)}\n`).join('')
  const cases: Array<{ name: string, list: string, refused: RegExp, bundles: string[] | null }> = [
    { name: 'file-uri', list: head + section(base, 1) + section(one, 2, '\turi = "file:///etc/passwd"\n') + section(two, 3), refused: /is not http\(s\)/, bundles: null },
    { name: 'thousands', list: head + section(base, 1) + many, refused: /more than 1000 bundles|over the \d+-byte limit/, bundles: null },
    { name: 'cycle', list: head + section(base, 1) + section(one, 2) + section({ ...one, id: 'again' }, 3), refused: /a cycle/, bundles: null },
    { name: 'gap', list: head + section(base, 1) + section(two, 3), refused: /lacks 1 of its|prerequisite/, bundles: ['used', 'refused'] }
  ]
  for (const c of cases) {
    const oid = execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: w.origin, env: w.env, input: c.list }).toString().trim()
    await w.git(['update-ref', 'refs/mirrors/bundle/list', oid], w.origin)
    const r = await mirrorClone(w, [...w.net, w.originUrl, `mine-${c.name}`])
    assert.equal(r.report.method, 'torrent', c.name)
    assert.match(r.stderr, c.refused, `${c.name}: the reason is told\n${r.stderr}`)
    assert.deepEqual(r.report.bundles?.map((b: any) => b.outcome) ?? null, c.bundles, c.name)
    await assertSameAsGitClone(w, `mine-${c.name}`, 'theirs')
  }
})

test('past --max-increments the chain collapses into a new base; the old bundles are retired, then pruned; a client holding the old chain converges', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 128 << 10, branches: 1, tags: 1 } })
  const first = await publish(w, ['--max-increments', '2'])
  await advance(w, 'one')
  await publish(w, ['--max-increments', '2'])
  await advance(w, 'two')
  const old = await publish(w, ['--max-increments', '2'])
  assert.equal(old.chain.bundles.length, 3)
  const seeder = await startSeeder(w)
  const { report } = await mirrorClone(w, [...w.net, w.originUrl, 'mine'])
  assert.equal(report.bundles.length, 3)
  const ciStore = path.join(w.dir, 'ci-store')
  const reseed = async (): Promise<any> => {   // a CI reseed of the origin into its own store, stopped once it seeds
    const r = w.start('mirror-seed', [...w.net, '--json', '--store', ciStore, w.originUrl], w.dir)
    try {
      return JSON.parse((await r.waitFor(/"event":"ready"/, { stream: 'stdout', timeoutMs: 60_000 })).input!)
    } finally {
      await r.stop('SIGINT')
    }
  }
  assert.equal((await reseed()).increments.length, 2, 'a reseeder holds the old chain')
  await seeder.stop('SIGINT')
  await w.git(['clone', '-q', w.originUrl, 'theirs'], w.dir)

  await advance(w, 'three')
  const collapsed = await publish(w, ['--max-increments', '2'])
  assert.equal(collapsed.chain.made, 'base')
  assert.match(collapsed.chain.reason, /collapsed into a new base/)
  assert.equal(collapsed.chain.bundles.length, 1)
  assert.notEqual(collapsed.infoHash, first.infoHash, 'the torrent record names the new base')
  assert.equal(collapsed.retired.length, 3, 'the old chain left the list')
  assert.deepEqual(collapsed.pruned, [], 'and stays in the store (seeded) for the grace period')
  const stillThere = await w.run('mirror-seed', [...w.net, '--json', '--duration', '1'], w.work)
  assert.equal(stillThere.code, 0, stillThere.stderr)
  const newSeeder = await startSeeder(w)
  t.after(async () => await newSeeder.stop('SIGINT'))
  assert.equal((await reseed()).infoHash, collapsed.infoHash, 'the reseeder takes the new base')
  const ciMeta = await Promise.all(old.chain.bundles.map(async (b: any) => JSON.parse(await readFile(path.join(ciStore, 'bundles', ...storeKey(b), 'meta.json'), 'utf8'))))
  assert.ok(ciMeta.every(m => typeof m.retired === 'string'), 'and retires the old chain in its store (removed after the grace)')

  // the client holding the old chain: nothing newer applies; a plain fetch, and it equals git fetch
  const r = await w.run('mirror-fetch', ['--json', '--cache', path.join(w.dir, 'cache'), ...w.net], path.join(w.dir, 'mine'), 60_000)
  assert.equal(r.code, 0, r.stderr)
  assert.equal(JSON.parse(r.stdout).method, 'origin')
  await w.git(['fetch', '-q', 'origin'], path.join(w.dir, 'theirs'))
  const refs = async (dir: string): Promise<string> => await w.git(['for-each-ref', '--format=%(objectname) %(refname)'], path.join(w.dir, dir))
  assert.equal(await refs('mine'), await refs('theirs'))

  const pruned = await publish(w, ['--max-increments', '2', '--prune'])
  assert.equal(pruned.chain.made, 'unchanged')
  assert.deepEqual([...pruned.pruned].sort(), [...collapsed.retired].sort(), '--prune removes what left the list')
  for (const dir of pruned.pruned) assert.equal(existsSync(dir), false)
  assert.equal(existsSync(pruned.bundle.path), true, 'the listed base stays')
})

test('--web-seed naming a mirror-seed --http server: the list\'s uris and each torrent\'s web seed agree, and a clone over plain HTTP takes the increments from there too', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 256 << 10, branches: 1, tags: 1 } })
  const port = await freePort()
  const seedUrl = `http://127.0.0.1:${port}/bundles/`
  const last = (await threePublishes(w, 64 << 10, ['--web-seed', seedUrl]))[2]
  for (const b of last.chain.bundles) {
    assert.equal(b.uri, `${seedUrl}${b.file as string}`, 'each bundle\'s uri is its own file on the server')
    const torrent = await readTorrent(await readFile(b.path.replace(/\.bundle$/, '.bundle.torrent')), 'stored')
    assert.deepEqual(torrent.urlList, [b.uri], 'the torrent\'s web seed is the same URL')
  }
  const server = w.start('mirror-seed', [...w.net, '--http', `127.0.0.1:${port}`, '--status-interval', '5'])
  t.after(async () => await server.stop('SIGINT'))
  await server.waitFor(/^seeding \d+ bundle/, { stream: 'stderr' })
  await plainClone(w, 'theirs')
  const { report } = await mirrorClone(w, [...w.net, '--sources', 'http', w.originUrl, 'mine'])
  assert.equal(report.method, 'http', JSON.stringify(report))
  assert.deepEqual(report.bundles.map((b: any) => b.outcome), ['used', 'used', 'used'])
  assert.ok(report.bytes.http > 128 << 10, 'the increments came over HTTP too')
  await assertSameAsGitClone(w, 'mine', 'theirs')
})

/** bundles/<start[0:2]>/<start[2:]>/<end> of a publish report's bundle: from its store path. */
function storeKey (b: { path: string }): string[] {
  const parts = b.path.split(path.sep)
  const i = parts.lastIndexOf('bundles')
  return parts.slice(i + 1, i + 4)
}

test('web seeds alone, no peer: the base from its web seed, the increments from their uris over HTTP at once (no wait for peers that are not there)', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 256 << 10, branches: 1, tags: 1 } })
  const www = path.join(w.dir, 'www')
  await mkdir(www)
  const web = await startStaticServer(www)
  t.after(async () => await web.close())
  const last = (await threePublishes(w, 64 << 10, ['--web-seed', web.url('')]))[2]
  for (const b of last.chain.bundles) await copyFile(b.path, path.join(www, b.file))   // what the maintainer uploads
  await plainClone(w, 'theirs')
  const { report, stderr } = await mirrorClone(w, [...w.net, '--sources', 'torrent', w.originUrl, 'mine'])
  assert.equal(report.method, 'torrent', JSON.stringify(report))
  assert.equal(report.bytes.swarm, 0, 'no peer')
  assert.deepEqual(report.bundles.map((b: any) => b.outcome), ['used', 'used', 'used'])
  assert.doesNotMatch(stderr, /metadata|downloading it from/, 'the increments were not asked of a swarm without peers first')
  assert.ok(web.requests.some(r => r.path === `/${last.chain.bundles[2].file as string}`), 'the last increment came from its uri')
  await assertSameAsGitClone(w, 'mine', 'theirs')
})
