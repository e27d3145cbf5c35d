// store-http's `/bundles/<folder>/<file>`: the files of a signed publish's
// torrent folder (its bundle, push object, pack index and reverse index)
// served from a real store over a real loopback server, so that
// `http://HOST:PORT/bundles` is a BEP 19 web seed of the multi-file
// torrent. Nothing else in the entry (meta.json, the .torrent, a stray
// file in the folder), nothing of another entry, and nothing above the
// store answers, however the path is spelled: requests are sent with raw
// paths (http.request's `path`), because a URL string would have its dot
// segments, %2e%2e included, resolved by the client before they left.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import type { BundleMeta } from '../../src/core/bundle-meta.js'
import { Store } from '../../src/io/store/store.js'
import { serveStore } from '../../src/service/store-http.js'

const ZERO = '0'.repeat(40)
const OID = 'a'.repeat(40)

interface Raw { status: number, headers: http.IncomingHttpHeaders, body: Buffer }

/** One request with `rawPath` sent as written (no URL parsing, no dot-segment removal), bounded. */
async function raw (port: number, rawPath: string, o: { method?: string, headers?: http.OutgoingHttpHeaders } = {}): Promise<Raw> {
  return await new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method: o.method ?? 'GET', headers: o.headers, agent: false, timeout: 10_000 }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('timeout', () => req.destroy(new Error(`${rawPath}: no answer within 10 s`)))
    req.on('error', reject)
    req.end()
  })
}

/** A store entry as publish writes it: signed (files in `<folder>/`) when `folder` is given, else the bundle beside meta.json. */
async function addEntry (store: Store, o: { end: string, file: string, folder: string | null, files: Record<string, Buffer> }): Promise<void> {
  const temp = await store.makeTemp('publish')
  const dataDir = o.folder === null ? temp : path.join(temp, o.folder)
  await mkdir(dataDir, { recursive: true })
  for (const [name, bytes] of Object.entries(o.files)) await writeFile(path.join(dataDir, name), bytes)
  const st = await stat(path.join(dataDir, o.file))
  const meta: BundleMeta = {
    format: 1,
    start: ZERO,
    end: o.end,
    file: o.file,
    size: st.size,
    sha256: null,
    infoHash: o.end,   // any 40 hex digits: nothing here reads it
    refs: [{ name: 'HEAD', oid: OID }, { name: 'refs/heads/main', oid: OID }],
    head: 'refs/heads/main',
    created: '2024-01-01T00:00:00.000Z',
    mtimeMs: st.mtimeMs,
    folder: o.folder,
    pushObject: o.folder === null ? null : 'c'.repeat(64),
    pointer: null,
    retired: null
  }
  await store.commit(temp, meta, Buffer.from('d4:infod4:name1:xee'))
}

interface Fixture {
  port: number
  F: string
  G: string
  signed: { bundle: Buffer, push: Buffer, idx: Buffer, rev: Buffer }
  g: { bundle: Buffer, push: Buffer }
  plain: Buffer
  secret: Buffer
}

let fx: Fixture
let cleanup: () => Promise<void> = async () => {}

before(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gtm-store-http-folder-'))
  cleanup = async () => { await rm(dir, { recursive: true, force: true }) }
  const store = await Store.open(path.join(dir, 'store'))
  // a secret beside the store, and the same bytes as a stray file inside the entry's folder: neither may come out
  const secret = Buffer.from(`SECRET-${randomBytes(8).toString('hex')}`)
  await writeFile(path.join(dir, 'secret'), secret)

  const F = 'proj-aaaaaaaaaaaa'
  const signed = { bundle: randomBytes(100_000), push: randomBytes(700), idx: randomBytes(3000), rev: randomBytes(400) }
  await addEntry(store, {
    end: 'a'.repeat(40),
    file: `${F}.bundle`,
    folder: F,
    files: { [`${F}.bundle`]: signed.bundle, [`${F}.push`]: signed.push, [`${F}.idx`]: signed.idx, [`${F}.rev`]: signed.rev, 'stray.txt': secret }
  })
  // a signed entry without a pack index: .idx and .rev are allowed names, but absent
  const G = 'proj-bbbbbbbbbbbb'
  const g = { bundle: randomBytes(5000), push: randomBytes(300) }
  await addEntry(store, { end: 'b'.repeat(40), file: `${G}.bundle`, folder: G, files: { [`${G}.bundle`]: g.bundle, [`${G}.push`]: g.push } })
  // an unsigned entry: no folder at all
  const plain = randomBytes(2000)
  await addEntry(store, { end: 'd'.repeat(40), file: 'plain-dddddddddddd.bundle', folder: null, files: { 'plain-dddddddddddd.bundle': plain } })
  assert.equal((await store.list()).length, 3)

  const server = await serveStore(store, { host: '127.0.0.1', port: 0 })
  cleanup = async () => {
    await server.close()
    await rm(dir, { recursive: true, force: true })
  }
  fx = { port: Number(new URL(server.url).port), F, G, signed, g, plain, secret }
})

after(async () => { await cleanup() })

test('/bundles/<folder>/<file>: each of a signed entry\'s bundle, push object, .idx and .rev, whole, with the stored bytes', { timeout: 30_000 }, async () => {
  const { port, F, G, signed, g, plain } = fx
  for (const [name, bytes] of [[`${F}.bundle`, signed.bundle], [`${F}.push`, signed.push], [`${F}.idx`, signed.idx], [`${F}.rev`, signed.rev], [`${G}.bundle`, g.bundle], [`${G}.push`, g.push]] as const) {
    const folder = name.startsWith(F) ? F : G
    const res = await raw(port, `/bundles/${folder}/${name}`)
    assert.equal(res.status, 200, name)
    assert.equal(res.headers['content-type'], 'application/octet-stream', name)
    assert.equal(res.headers['content-length'], String(bytes.length), name)
    assert.equal(res.headers['accept-ranges'], 'bytes', name)
    assert.equal(res.headers['content-range'], undefined, name)
    assert.ok(res.body.equals(bytes), `${name}: the stored bytes`)
  }
  // a percent-encoded name is the same name (web seeds encode each path segment); a query is not part of the path
  assert.ok((await raw(port, `/bundles/${encodeURIComponent(F)}/${F}%2Ebundle`)).body.equals(signed.bundle))
  assert.ok((await raw(port, `/bundles/${F}/${F}.push?x=1`)).body.equals(signed.push))
  // the folder's bundle is also its own /bundles/<file>, as an unsigned entry's is
  assert.ok((await raw(port, `/bundles/${F}.bundle`)).body.equals(signed.bundle))
  assert.ok((await raw(port, '/bundles/plain-dddddddddddd.bundle')).body.equals(plain))
})

test('/bundles/<folder>/<file>: Range gives 206 and the slice, past the end 416; HEAD gives the headers only; other methods 405', { timeout: 30_000 }, async () => {
  const { port, F, signed } = fx
  const size = signed.bundle.length
  const ranges: Array<[string, number, number]> = [['bytes=0-0', 0, 0], ['bytes=1000-66535', 1000, 66535], ['bytes=99000-', 99000, size - 1], ['bytes=-10', size - 10, size - 1], [`bytes=99990-${size + 500}`, 99990, size - 1]]
  for (const [range, start, end] of ranges) {
    const res = await raw(port, `/bundles/${F}/${F}.bundle`, { headers: { Range: range } })
    assert.equal(res.status, 206, range)
    assert.equal(res.headers['content-range'], `bytes ${start}-${end}/${size}`, range)
    assert.equal(res.headers['content-length'], String(end - start + 1), range)
    assert.ok(res.body.equals(signed.bundle.subarray(start, end + 1)), `${range}: the slice`)
  }
  const pushSlice = await raw(port, `/bundles/${F}/${F}.push`, { headers: { Range: 'bytes=100-199' } })
  assert.equal(pushSlice.status, 206)
  assert.equal(pushSlice.headers['content-range'], `bytes 100-199/${signed.push.length}`)
  assert.ok(pushSlice.body.equals(signed.push.subarray(100, 200)))
  const past = await raw(port, `/bundles/${F}/${F}.idx`, { headers: { Range: `bytes=${signed.idx.length}-` } })
  assert.equal(past.status, 416)
  assert.equal(past.headers['content-range'], `bytes */${signed.idx.length}`)
  assert.equal(past.body.length, 0)

  const head = await raw(port, `/bundles/${F}/${F}.push`, { method: 'HEAD' })
  assert.equal(head.status, 200)
  assert.equal(head.headers['content-length'], String(signed.push.length))
  assert.equal(head.body.length, 0)
  const headRange = await raw(port, `/bundles/${F}/${F}.bundle`, { method: 'HEAD', headers: { Range: 'bytes=10-19' } })
  assert.equal(headRange.status, 206)
  assert.equal(headRange.headers['content-range'], `bytes 10-19/${size}`)
  assert.equal(headRange.body.length, 0)

  const post = await raw(port, `/bundles/${F}/${F}.bundle`, { method: 'POST' })
  assert.equal(post.status, 405)
  assert.equal(post.headers.allow, 'GET, HEAD')
})

test('/bundles/<folder>/<file>: anything but the folder\'s four files is 404 (400 when it does not decode), never a byte, however the path is spelled', { timeout: 30_000 }, async () => {
  const { port, F, G, signed, g, plain, secret } = fx
  const refused: Array<[string, string]> = [
    [`/bundles/nope/${F}.bundle`, 'an unknown folder'],
    ['/bundles/nope/nope.bundle', 'an unknown folder and file'],
    [`/bundles/${F}/meta.json`, 'the entry\'s meta.json (it is beside the folder, not in it)'],
    [`/bundles/${F}/${F}.bundle.torrent`, 'the entry\'s torrent'],
    [`/bundles/${F}/stray.txt`, 'a file in the folder not of the torrent\'s set'],
    [`/bundles/${F}/${F}.pack`, 'a name of the folder\'s pattern not of the set'],
    [`/bundles/${F}/${F}`, 'the folder\'s own name'],
    [`/bundles/${G}/${G}.idx`, 'an allowed name the entry does not have'],
    [`/bundles/${G}/${G}.rev`, 'an allowed name the entry does not have'],
    [`/bundles/${F}/${G}.bundle`, 'another entry\'s bundle under this folder'],
    [`/bundles/${G}/${F}.push`, 'another entry\'s push object under this folder'],
    [`/bundles/${F.toUpperCase()}/${F.toUpperCase()}.bundle`, 'another case'],
    ['/bundles/plain-dddddddddddd/plain-dddddddddddd.bundle', 'an unsigned entry has no folder'],
    [`/bundles/plain-dddddddddddd.bundle/${F}.bundle`, 'an unsigned bundle\'s name as a folder'],
    [`/bundles/${F}/../meta.json`, 'a dot-dot segment'],
    [`/bundles/${F}/../../../secret`, 'dot-dot segments out of the store'],
    [`/bundles/${F}/%2e%2e/meta.json`, 'an encoded dot-dot segment'],
    [`/bundles/${F}/%2e%2e`, 'an encoded dot-dot as the file'],
    [`/bundles/%2e%2e/${F}.bundle`, 'an encoded dot-dot as the folder'],
    [`/bundles/%2E%2E/%2E%2E`, 'encoded dot-dots, upper case'],
    [`/bundles/${F}/..%2Fmeta.json`, 'a slash encoded in the file'],
    [`/bundles/${F}/..%2F..%2F..%2F..%2Fsecret`, 'encoded slashes out of the store'],
    [`/bundles/${F}/${F}%2F..%2F..%2Fmeta.json`, 'a real name then encoded climbing'],
    [`/bundles/${F}%2F${F}.bundle`, 'the folder\'s slash encoded: one segment, not a bundle name'],
    [`/bundles/..%2F..%2F${F}/${F}.bundle`, 'a folder climbing through an encoded slash'],
    [`/bundles/${F}/..%5Cmeta.json`, 'an encoded backslash'],
    [`/bundles/${F}/%2Fetc%2Fpasswd`, 'an absolute path, encoded'],
    [`/bundles/${F}/${F}.bundle%00`, 'a NUL after the name'],
    [`/bundles/${F}/${F}.bundle%00.txt`, 'a NUL inside the name'],
    [`/bundles/${F}/.${F}.push`, 'a leading dot'],
    [`/bundles/${F}/${F}.bundle/`, 'a trailing slash'],
    [`/bundles/${F}//${F}.bundle`, 'an empty segment'],
    [`/bundles/${F}/${F}.bundle/x`, 'a segment below a file'],
    [`/bundles/${F}/%E0%A4%A`, 'a file name that does not decode'],
    [`/bundles/%ZZ/${F}.bundle`, 'a folder name that does not decode']
  ]
  const stored = [signed.bundle, signed.push, signed.idx, signed.rev, g.bundle, g.push, plain]
  for (const [p, why] of refused) {
    for (const headers of [{}, { Range: 'bytes=0-' }]) {
      const res = await raw(port, p, { headers })
      assert.ok(res.status === 404 || res.status === 400, `${p} (${why}): HTTP ${res.status}`)
      assert.equal(res.body.length, 0, `${p} (${why}): a body of ${res.body.length} bytes`)
      assert.equal(res.headers['content-range'], undefined, p)
      assert.ok(!stored.some(b => res.body.equals(b)) && !res.body.includes(secret), p)
    }
  }
  // the names that do not decode are the 400s; the rest are 404s
  assert.equal((await raw(port, `/bundles/${F}/%E0%A4%A`)).status, 400)
  assert.equal((await raw(port, `/bundles/%ZZ/${F}.bundle`)).status, 400)
  assert.equal((await raw(port, `/bundles/${F}/%2e%2e`)).status, 404)
})
