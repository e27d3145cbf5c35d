// mirror-seed --http: the store as a web seed (Range) and the bundle list
// that stock `git clone --bundle-uri` reads, served by the seeder itself.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { makeWorld } from './world.js'
import { publish, T } from './clone-support.js'

async function get (url: string, headers: Record<string, string> = {}): Promise<{ status: number, body: Buffer, headers: Headers }> {
  const r = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) })
  return { status: r.status, body: Buffer.from(await r.arrayBuffer()), headers: r.headers }
}

test('mirror-seed --http serves bundles with Range and a bundle list git clone --bundle-uri takes', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 256 << 10, branches: 1, tags: 2 } })
  const out = await publish(w)
  const seeder = w.start('mirror-seed', [...w.net, '--json', '--http', '127.0.0.1:0', '--status-interval', '5'])
  t.after(async () => await seeder.stop('SIGINT'))
  const base: string = JSON.parse((await seeder.waitFor(/"event":"http"/, { stream: 'stdout', timeoutMs: 30_000 })).input!).url
  assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/)

  const bundle = await readFile(out.bundle.path)
  const whole = await get(`${base}/bundles/${out.bundle.file as string}`)
  assert.equal(whole.status, 200)
  assert.ok(whole.body.equals(bundle))
  assert.equal(whole.headers.get('accept-ranges'), 'bytes')
  const part = await get(`${base}/bundles/${out.bundle.file as string}`, { Range: 'bytes=100-199' })
  assert.equal(part.status, 206)
  assert.equal(part.headers.get('content-range'), `bytes 100-199/${bundle.length}`)
  assert.ok(part.body.equals(bundle.subarray(100, 200)))
  assert.equal((await get(`${base}/bundles/${out.bundle.file as string}`, { Range: `bytes=${bundle.length}-` })).status, 416)
  for (const p of ['/bundles/..%2Fmeta.json', '/bundles/nope.bundle', '/nope/bundle-list', '/', '/bundles/']) assert.equal((await get(`${base}${p}`)).status, 404, p)
  assert.equal((await get(`${base}/bundles/%E0%A4%A`)).status, 400, 'a name that does not decode')

  const list = await get(`${base}/project/bundle-list`)
  assert.equal(list.status, 200)
  assert.match(list.body.toString(), new RegExp(`uri = "${base}/bundles/${out.bundle.file as string}"`))
  assert.match(list.body.toString(), new RegExp(`infohash = ${out.infoHash as string}`))

  // stock git, 2.39 here: the bundle from the seeder, the rest (nothing, or what is newer) from the origin
  await w.git(['clone', '-q', `--bundle-uri=${base}/project/bundle-list`, w.originUrl, 'by-bundle-uri'], w.dir)
  const clone = path.join(w.dir, 'by-bundle-uri')
  const refs = (await w.git(['for-each-ref', '--format=%(refname)'], clone)).split('\n')
  assert.ok(refs.some(r => r.startsWith('refs/bundles/')), `git unbundled the seeder's bundle: ${refs.join(' ')}`)
  assert.equal(await w.git(['rev-parse', 'HEAD'], clone), await w.git(['rev-parse', 'HEAD']))
})

test('a reseeder\'s --http lists what it downloaded (unsigned: its SHA-256 taken when first asked), and git clone --bundle-uri takes it', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 256 << 10, branches: 1, tags: 1 } })
  const out = await publish(w)
  const maintainer = w.start('mirror-seed', [...w.net, '--status-interval', '5'])
  t.after(async () => await maintainer.stop('SIGINT'))
  await maintainer.waitFor(/^seeding \d+ bundle/, { stream: 'stderr' })
  const reseeder = w.start('mirror-seed', [...w.net, '--json', '--http', '127.0.0.1:0', '--store', path.join(w.dir, 'ci-store'), w.originUrl], w.dir)
  t.after(async () => await reseeder.stop('SIGINT'))
  const base: string = JSON.parse((await reseeder.waitFor(/"event":"http"/, { stream: 'stdout', timeoutMs: 60_000 })).input!).url
  const list = await get(`${base}/project/bundle-list`)
  assert.equal(list.status, 200)
  assert.match(list.body.toString(), new RegExp(`sha256 = ${out.bundle.sha256 as string}`), 'the SHA-256 of the very bundle published')
  await w.git(['clone', '-q', `--bundle-uri=${base}/project/bundle-list`, w.originUrl, 'from-ci'], w.dir)
  const refs = (await w.git(['for-each-ref', '--format=%(refname)'], path.join(w.dir, 'from-ci'))).split('\n')
  assert.ok(refs.some(r => r.startsWith('refs/bundles/')), refs.join(' '))
})
