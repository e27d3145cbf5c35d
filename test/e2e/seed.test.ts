import assert from 'node:assert/strict'
import { copyFile, mkdir, open, readFile, stat, utimes } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { aria2Download, hasAria2 } from '../helpers/aria2.js'
import { startStaticServer } from '../helpers/static-server.js'
import { json, jsonLines, makeWorld, type World } from './world.js'

const T = { timeout: 180_000 }
const SEEDING = /^seeding \d+ bundle/

function needAria2 (): void {
  assert.ok(hasAria2(), 'aria2c is needed for the interop tests (apt-get install -y aria2)')
}

async function publish (w: World, extra: string[] = []): Promise<any> {
  const r = await w.run('mirror-publish', [...w.net, '--json', ...extra])
  assert.equal(r.code, 0, r.stderr)
  return json(r)
}

async function sameBytes (a: string, b: string): Promise<boolean> {
  return Buffer.compare(await readFile(a), await readFile(b)) === 0
}

test('aria2c, an independent client, downloads the published bundle from mirror-seed byte-identical', T, async t => {
  needAria2()
  const w = await makeWorld(t, { spec: { binaryFiles: 4, binaryBytes: 1 << 20 } })
  const out = await publish(w)
  const seeder = w.start('mirror-seed', [...w.net, '--status-interval', '1'])
  await seeder.waitFor(SEEDING, { stream: 'stderr' })

  const got = await aria2Download(out.torrent, path.join(w.dir, 'aria2'), { env: w.env, timeoutMs: 90_000 })
  assert.ok(await sameBytes(got.file, out.bundle.path), 'aria2c got the same bytes as the store holds')
  assert.equal((await stat(got.file)).size, out.bundle.size)

  await seeder.waitFor(/uploaded [\d.]+ [KM]iB .* served 1$/, { stream: 'stderr', timeoutMs: 15_000 })
  const exit = await seeder.stop('SIGTERM')
  assert.equal(exit.code, 0, seeder.stderr())
  assert.match(seeder.stdout(), /^seeded 1 bundle\(s\) for [\d.]+ s: uploaded .* to 1 peer\(s\) \(stopped by SIGTERM\)$/m)
})

test('a restarted seeder trusts an unchanged bundle, verifies a touched one, refuses a corrupt one', T, async t => {
  const w = await makeWorld(t)
  const out = await publish(w)
  const metaFile = path.join(path.dirname(out.bundle.path), 'meta.json')
  const seedOnce = async (): Promise<{ code: number | null, stdout: string, stderr: string }> => {
    const s = w.start('mirror-seed', [...w.net, '--json'])
    const ready = await Promise.race([s.waitFor(SEEDING, { stream: 'stderr' }).then(() => true), s.exited.then(() => false)])
    const exit = ready ? await s.stop('SIGINT') : await s.exited
    return { code: exit.code, stdout: s.stdout(), stderr: s.stderr() }
  }

  const metaBefore = await readFile(metaFile, 'utf8')
  const clean = await seedOnce()
  assert.equal(clean.code, 0, clean.stderr)
  assert.equal(jsonLines(clean.stdout).filter(e => e.event === 'verified').length, 0, 'an unchanged bundle is not re-hashed')
  assert.equal(await readFile(metaFile, 'utf8'), metaBefore)
  assert.equal(jsonLines(clean.stdout).at(-1).stopped, 'SIGINT')

  const later = new Date(Date.now() + 60_000)
  await utimes(out.bundle.path, later, later)
  const touched = await seedOnce()
  assert.equal(touched.code, 0, touched.stderr)
  assert.equal(jsonLines(touched.stdout).filter(e => e.event === 'verified').length, 1, 'a touched bundle is verified once')
  assert.equal(JSON.parse(await readFile(metaFile, 'utf8')).mtimeMs, (await stat(out.bundle.path)).mtimeMs, 'and remembered as verified')
  assert.equal(jsonLines((await seedOnce()).stdout).filter(e => e.event === 'verified').length, 0, 'then trusted again')

  const fh = await open(out.bundle.path, 'r+')   // same size, one byte different
  const b = Buffer.alloc(1)
  await fh.read(b, 0, 1, out.bundle.size - 100)
  await fh.write(Buffer.from([b[0]! ^ 0xff]), 0, 1, out.bundle.size - 100)
  await fh.close()
  const corrupt = await seedOnce()
  assert.equal(corrupt.code, 1)
  assert.match(corrupt.stderr, /changed on disk and only \d+% of it verifies; not seeding it/)
})

test('mirror-seed <origin-url> --duration downloads what the origin publishes, reseeds it, exits 0 with a summary', T, async t => {
  needAria2()
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 1 << 20 } })
  const out = await publish(w)
  const publisherSeed = w.start('mirror-seed', w.net)
  await publisherSeed.waitFor(SEEDING, { stream: 'stderr' })

  const ciStore = path.join(w.dir, 'ci-store')
  const ci = w.start('mirror-seed', [w.originUrl, '--store', ciStore, '--duration', '15', '--status-interval', '1', '--json', ...w.net], w.dir)
  const readyLine = await ci.waitFor(/"event":"ready"/, { stream: 'stdout', timeoutMs: 60_000 })
  const ready = JSON.parse(readyLine.input!)
  assert.equal(ready.infoHash, out.infoHash)
  assert.equal(ready.size, out.bundle.size)
  assert.equal(ready.downloaded.fromPeers, out.bundle.size, 'every byte came from the swarm')
  assert.ok(ready.file.startsWith(path.join(ciStore, 'bundles') + path.sep))
  assert.ok(await sameBytes(ready.file, out.bundle.path))

  // the publisher goes away; the CI seeder alone serves an independent client
  assert.equal((await publisherSeed.stop()).code, 0)
  const got = await aria2Download(`${ready.file}.torrent`, path.join(w.dir, 'aria2'), { env: w.env, timeoutMs: 60_000 })
  assert.ok(await sameBytes(got.file, out.bundle.path))

  const exit = await ci.exited
  assert.equal(exit.code, 0, ci.stderr())
  const summary = jsonLines(ci.stdout()).at(-1)
  assert.equal(summary.event, 'summary')
  assert.equal(summary.stopped, 'duration')
  assert.ok(summary.uploaded >= out.bundle.size, `uploaded ${summary.uploaded}`)
  assert.ok(summary.peersServed >= 1)
  assert.ok(jsonLines(ci.stdout()).some(e => e.event === 'status' && e.infoHash === out.infoHash))
})

test('mirror-seed <origin-url> downloads from the web seed alone when no peer seeds', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 1, binaryBytes: 512 << 10 } })
  const www = path.join(w.dir, 'www')
  await mkdir(www)
  const web = await startStaticServer(www)
  t.after(() => web.close())
  const out = await publish(w, ['--web-seed', web.url('bundles/')])
  await mkdir(path.join(www, 'bundles'))
  await copyFile(out.bundle.path, path.join(www, 'bundles', out.bundle.file))

  const r = await w.run('mirror-seed', [w.originUrl, '--store', path.join(w.dir, 'ci-store'), '--duration', '2', '--timeout', '30', '--json', ...w.net], w.dir)
  assert.equal(r.code, 0, r.stderr)
  const ready = jsonLines(r.stdout).find(e => e.event === 'ready')
  assert.deepEqual(ready.downloaded, { fromPeers: 0, fromWebSeeds: out.bundle.size })
  assert.ok(await sameBytes(ready.file, out.bundle.path))
  assert.ok(web.bytesSent >= out.bundle.size)
  assert.ok(web.requests.some(q => q.status === 206), 'the web seed was read with range requests')
})

test('mirror-publish --seed publishes, serves the swarm until SIGINT, then prints the summary and exits 0', T, async t => {
  needAria2()
  const w = await makeWorld(t)
  const p = w.start('mirror-publish', [...w.net, '--seed', '--json', '--status-interval', '1'])
  await p.waitFor(SEEDING, { stream: 'stderr' })
  const result = JSON.parse(p.stdout().split('\n')[0]!)
  assert.equal(result.push.outcome, 'pushed')
  const got = await aria2Download(result.torrent, path.join(w.dir, 'aria2'), { env: w.env, timeoutMs: 60_000 })
  assert.ok(await sameBytes(got.file, result.bundle.path))
  await p.waitFor(/"event":"status".*"peersServed":1/, { stream: 'stdout', timeoutMs: 15_000 })
  const exit = await p.stop('SIGINT')
  assert.equal(exit.code, 0, p.stderr())
  const summary = jsonLines(p.stdout()).at(-1)
  assert.equal(summary.stopped, 'SIGINT')
  assert.ok(summary.uploaded >= result.bundle.size)
})
