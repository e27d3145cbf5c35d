// downloadToFile against real HTTP servers on loopback: Range resume, a
// server that ignores Range, a part that is already the whole file, a file
// that changed on the server since the part was written, the size limit,
// redirects, and a server that never answers.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { isMirrorError } from '../../src/core/errors.js'
import { downloadToFile } from '../../src/io/http/download-file.js'
import { closeServer, listenLoopback } from '../helpers/http-stats.js'
import { startStaticServer } from '../helpers/static-server.js'

const BODY = randomBytes(300_000)
const OPTS = { maxBytes: 10_000_000, stallTimeoutMs: 5000 }

async function setup (t: TestContext): Promise<{ dir: string, url: (name: string) => string, requests: () => Array<{ path: string, status: number }> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gtm-dl-'))
  const www = path.join(dir, 'www')
  await mkdir(www)
  await writeFile(path.join(www, 'b.bundle'), BODY)
  const server = await startStaticServer(www)
  t.after(async () => { await server.close(); await rm(dir, { recursive: true, force: true }) })
  return { dir, url: name => server.url(name), requests: () => server.requests.map(r => ({ path: r.path, status: r.status })) }
}

/** A server answering every request with `handle`. */
async function serve (t: TestContext, handle: http.RequestListener): Promise<string> {
  const server = http.createServer(handle)
  const port = await listenLoopback(server)
  t.after(async () => await closeServer(server))
  return `http://127.0.0.1:${port}`
}

test('a fresh download, then a resumed one that asks only for the rest', async t => {
  const s = await setup(t)
  const file = path.join(s.dir, 'out')
  const tally = { bytes: 0 }
  assert.deepEqual(await downloadToFile(s.url('b.bundle'), file, { ...OPTS, tally }), { size: BODY.length, resumedFrom: 0 })
  assert.deepEqual(await readFile(file), BODY)
  assert.equal(tally.bytes, BODY.length)

  await writeFile(file, BODY.subarray(0, 100_000))
  const starts: number[] = []
  const again = { bytes: 0 }
  assert.deepEqual(await downloadToFile(s.url('b.bundle'), file, { ...OPTS, tally: again, onStart: a => starts.push(a.resumedFrom) }), { size: BODY.length, resumedFrom: 100_000 })
  assert.deepEqual(starts, [100_000])
  assert.equal(again.bytes, BODY.length - 100_000, 'only the rest came over the network')
  assert.deepEqual(await readFile(file), BODY)
  assert.equal(s.requests().at(-1)?.status, 206)
})

test('a part that is the whole file already: 416, nothing downloaded', async t => {
  const s = await setup(t)
  const file = path.join(s.dir, 'out')
  await writeFile(file, BODY)
  const tally = { bytes: 0 }
  assert.deepEqual(await downloadToFile(s.url('b.bundle'), file, { ...OPTS, tally }), { size: BODY.length, resumedFrom: BODY.length })
  assert.equal(tally.bytes, 0)
  assert.deepEqual(await readFile(file), BODY)
})

test('a part longer than the file on the server now (it changed): dropped, the file downloaded again', async t => {
  const s = await setup(t)
  const file = path.join(s.dir, 'out')
  await writeFile(file, Buffer.concat([BODY, Buffer.from('stale tail')]))
  assert.deepEqual(await downloadToFile(s.url('b.bundle'), file, OPTS), { size: BODY.length, resumedFrom: 0 })
  assert.deepEqual(await readFile(file), BODY)
  assert.deepEqual(s.requests().map(r => r.status), [416, 200])
})

test('a server that ignores Range sends the whole file: it replaces the part', async t => {
  const base = await serve(t, (_req, res) => { res.writeHead(200, { 'Content-Length': BODY.length }).end(BODY) })
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gtm-dl-'))
  t.after(async () => await rm(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'out')
  await writeFile(file, Buffer.from('an old part that is not the start of the file'))
  assert.deepEqual(await downloadToFile(`${base}/x`, file, OPTS), { size: BODY.length, resumedFrom: 0 })
  assert.deepEqual(await readFile(file), BODY)
})

test('over the limit: refused from the headers before a byte of the body; and as the bytes pass it when no length is given', async t => {
  const s = await setup(t)
  const file = path.join(s.dir, 'out')
  await assert.rejects(downloadToFile(s.url('b.bundle'), file, { ...OPTS, maxBytes: 1000 }), (err: unknown) => isMirrorError(err, 'TOO_LARGE') && /is 300000 bytes, over the limit of 1000/.test(err.message))
  const chunked = await serve(t, (_req, res) => { res.writeHead(200); res.write(BODY.subarray(0, 150_000)); res.end(BODY.subarray(150_000)) })
  await assert.rejects(downloadToFile(`${chunked}/x`, path.join(s.dir, 'out2'), { ...OPTS, maxBytes: 100_000 }), (err: unknown) => isMirrorError(err, 'TOO_LARGE') && /sends more than the limit of 100000 bytes/.test(err.message))
})

test('redirects: followed to http(s), not to a scheme the caller does not allow; an error status is HTTP_FAILED', async t => {
  const s = await setup(t)
  const target = s.url('b.bundle')
  const base = await serve(t, (req, res) => {
    if (req.url === '/ok') res.writeHead(302, { Location: target }).end()
    else if (req.url === '/to-http') res.writeHead(301, { Location: target }).end()
    else res.writeHead(404).end()
  })
  const file = path.join(s.dir, 'out')
  assert.equal((await downloadToFile(`${base}/ok`, file, OPTS)).size, BODY.length)
  await assert.rejects(downloadToFile(`${base}/to-http`, path.join(s.dir, 'out2'), { ...OPTS, allowProtocols: ['https'] }),
    (err: unknown) => isMirrorError(err, 'HTTP_FAILED') && /redirects to a http URL, which is not allowed/.test(err.message))
  await assert.rejects(downloadToFile(`${base}/missing`, path.join(s.dir, 'out3'), OPTS), (err: unknown) => isMirrorError(err, 'HTTP_FAILED') && /answered 404/.test(err.message))
  // the caller's address policy sees every hop: a redirect it refuses is not followed, and nothing is asked there
  const before = s.requests().length
  await assert.rejects(downloadToFile(`${base}/ok`, path.join(s.dir, 'out4'), { ...OPTS, checkRedirect: u => u.port === new URL(target).port ? 'not there' : null }),
    (err: unknown) => isMirrorError(err, 'HTTP_FAILED') && new RegExp(`redirects to 127\\.0\\.0\\.1:\\d+, which is not contacted: not there$`).test(err.message))
  assert.equal(s.requests().length, before)
})

test('a server that accepts the connection and never answers: DOWNLOAD_STALLED after the window', { timeout: 20_000 }, async t => {
  const base = await serve(t, () => { /* never answers */ })
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gtm-dl-'))
  t.after(async () => await rm(dir, { recursive: true, force: true }))
  const started = Date.now()
  await assert.rejects(downloadToFile(`${base}/x`, path.join(dir, 'out'), { ...OPTS, stallTimeoutMs: 1000 }),
    (err: unknown) => isMirrorError(err, 'DOWNLOAD_STALLED') && /no data from .* for 1 s/.test(err.message))
  t.diagnostic(`gave up after ${Date.now() - started} ms`)
})
