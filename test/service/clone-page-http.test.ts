// answerClonePage (mirror-daemon --http's /clone/) on a real loopback
// server, with the daemon's records given as a plain function (Daemon#records
// is the daemon's; here only what the HTTP side makes of its answer): the
// records as JSON for a watched remote, 404 JSON otherwise, /clone → 301,
// the built page and its script (npm run build writes dist/browser/ before
// the tests run) with their content types and the page's CSP, and false,
// with nothing written, for every other path, so that the daemon's server
// goes on to the store and its 404.
import assert from 'node:assert/strict'
import { access, readFile } from 'node:fs/promises'
import type http from 'node:http'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { MirrorError } from '../../src/core/errors.js'
import { parsePagePointer, type PagePointer } from '../../src/core/page-records.js'
import type { WatchedRecords } from '../../src/service/daemon.js'
import { answerClonePage } from '../../src/service/clone-page-http.js'
import { listenHttp, type HttpService } from '../../src/service/listen-http.js'
import { httpRequest } from '../helpers/http-request.js'

/** dist/browser/, as clone-page-http.ts finds it from dist/src/service/ (this file runs from dist/test/service/). */
const PAGE_DIR = fileURLToPath(new URL('../../browser/', import.meta.url))

const ORIGIN: WatchedRecords = {
  name: 'origin',
  url: 'https://git.example.org/p.git',
  records: {
    torrent: Buffer.from([0x64, 0x38, 0x3a, 0x00, 0xff, 0x65]),   // bytes that are not UTF-8: base64 carries them
    list: Buffer.from('[bundle]\n\tversion = 1\n\tmode = all\n'),
    push: Buffer.alloc(0)
  },
  list: [{ id: 'base', uri: 'http://127.0.0.1:1/bundles/p.bundle', creationToken: 1, infoHash: '1'.repeat(40), size: 123, sha256: '2'.repeat(64) }]
}

const POINTER_MAGNET = `magnet:?xs=urn:btpk:${'ab'.repeat(32)}&s=70`
const POINTER: PagePointer = { seq: 4, infoHash: '3'.repeat(40), sig: '5'.repeat(128), torrent: Buffer.from('d4:infoee') }

/** What each request made of answerClonePage: whether it answered, and, when not, whether it had written anything. */
const seen: Array<{ url: string, answered: boolean, wroteAnything: boolean }> = []
const asked: string[] = []
let server: HttpService

before(async () => {
  const recordsOf = async (remote: string): Promise<WatchedRecords | null> => {
    asked.push(remote)
    return remote === 'origin' || remote === ORIGIN.url ? ORIGIN : null
  }
  const pointerOf = async (magnet: string): Promise<PagePointer> => {
    if (magnet === POINTER_MAGNET) return POINTER
    if (magnet === 'not a magnet') throw new MirrorError('BAD_RECORD', 'the magnet is not a BEP 46 magnet: it does not start with magnet:?')
    throw new MirrorError('REMOTE_UNREACHABLE', 'no DHT node has a pointer for other')
  }
  server = await listenHttp(async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const answered = await answerClonePage({ records: recordsOf, pointer: pointerOf }, req, res)
    seen.push({ url: req.url ?? '', answered, wroteAnything: res.headersSent || res.writableEnded })
    if (!answered) res.writeHead(418).end()
  }, { host: '127.0.0.1', port: 0, what: 'test' })
})

after(async () => { await server.close() })

const lastSeen = (url: string): { answered: boolean, wroteAnything: boolean } | undefined => {
  const s = seen.findLast(s => s.url === url)
  return s === undefined ? undefined : { answered: s.answered, wroteAnything: s.wroteAnything }
}

test('/clone/records?remote=<name>: the watched remote\'s records in base64 and its list, as JSON, not cached', { timeout: 30_000 }, async () => {
  for (const remote of ['origin', ORIGIN.url]) {
    const res = await httpRequest(`${server.url}/clone/records?remote=${encodeURIComponent(remote)}`)
    assert.equal(res.status, 200, remote)
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    assert.equal(res.headers['cache-control'], 'no-store')
    assert.equal(res.headers['content-length'], String(res.body.length))
    const body = JSON.parse(res.body.toString('utf8')) as { name: string, url: string, records: Record<string, string>, list: unknown }
    assert.deepEqual(Object.keys(body).sort(), ['list', 'name', 'records', 'url'])
    assert.equal(body.name, 'origin')
    assert.equal(body.url, ORIGIN.url)
    assert.deepEqual(Object.keys(body.records).sort(), ['list', 'push', 'torrent'])
    for (const [k, v] of Object.entries(ORIGIN.records)) assert.ok(Buffer.from(body.records[k]!, 'base64').equals(v), `record ${k}`)
    assert.equal(body.records.push, '', 'an empty record is an empty string')
    assert.deepEqual(body.list, ORIGIN.list!.map(e => ({ sha256: e.sha256, size: e.size, infoHash: e.infoHash })), 'the entries as the page reads them (core/page-records.ts)')
    assert.equal(lastSeen(`/clone/records?remote=${encodeURIComponent(remote)}`)?.answered, true)
  }
  assert.deepEqual(asked.slice(-2), ['origin', ORIGIN.url], 'the remote is passed as given, decoded')

  const head = await httpRequest(`${server.url}/clone/records?remote=origin`, { method: 'HEAD' })
  assert.equal(head.status, 200)
  assert.equal(head.body.length, 0, 'HEAD: no body')
  assert.ok(Number(head.headers['content-length']) > 0)
})

test('/clone/records: 404 JSON {error} for a remote not watched, and for none given; the records function is not asked without a name', { timeout: 30_000 }, async () => {
  const cases: Array<[string, string | null, RegExp]> = [
    ['/clone/records?remote=elsewhere', 'elsewhere', /^elsewhere is not a remote this daemon watches/],
    [`/clone/records?remote=${encodeURIComponent('https://other.example.org/x.git')}`, 'https://other.example.org/x.git', /^https:\/\/other\.example\.org\/x\.git is not a remote/],
    ['/clone/records?remote=ORIGIN', 'ORIGIN', /is not a remote this daemon watches/],
    ['/clone/records', null, /^no remote given/],
    ['/clone/records?remote=', null, /^no remote given/],
    ['/clone/records?other=origin', null, /^no remote given/]
  ]
  for (const [p, passed, error] of cases) {
    const before = asked.length
    const res = await httpRequest(`${server.url}${p}`)
    assert.equal(res.status, 404, p)
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8', p)
    assert.equal(res.headers['cache-control'], 'no-store', p)
    const body = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>
    assert.deepEqual(Object.keys(body), ['error'], p)
    assert.match(body.error as string, error, p)
    assert.deepEqual(asked.slice(before), passed === null ? [] : [passed], p)
  }
})

test('/clone redirects to /clone/ (301), so that the page\'s relative clone.js resolves', { timeout: 30_000 }, async () => {
  const res = await httpRequest(`${server.url}/clone`)
  assert.equal(res.status, 301)
  assert.equal(res.headers.location, '/clone/')
  assert.equal(lastSeen('/clone')?.answered, true)
})

test('/clone/ and /clone/clone.js: the built page and script, their content types, the page\'s CSP and headers', { timeout: 30_000 }, async () => {
  await access(`${PAGE_DIR}index.html`)   // npm run build made them; without them this test cannot say anything
  await access(`${PAGE_DIR}clone.js`)
  const html = await readFile(`${PAGE_DIR}index.html`)
  const js = await readFile(`${PAGE_DIR}clone.js`)
  const csp = 'default-src \'none\'; script-src \'self\'; style-src \'unsafe-inline\'; connect-src \'self\' http: https: ws: wss:; base-uri \'none\'; form-action \'none\'; frame-ancestors \'none\''
  for (const [p, type, bytes] of [['/clone/', 'text/html; charset=utf-8', html], ['/clone/clone.js', 'text/javascript; charset=utf-8', js]] as const) {
    const res = await httpRequest(`${server.url}${p}`)
    assert.equal(res.status, 200, p)
    assert.equal(res.headers['content-type'], type, p)
    assert.equal(res.headers['content-security-policy'], csp, p)
    assert.equal(res.headers['x-content-type-options'], 'nosniff', p)
    assert.equal(res.headers['referrer-policy'], 'no-referrer', p)
    assert.equal(res.headers['cache-control'], 'no-cache', p)
    assert.equal(res.headers['content-length'], String(bytes.length), p)
    assert.ok(res.body.equals(bytes), `${p}: the built file`)
    const head = await httpRequest(`${server.url}${p}`, { method: 'HEAD' })
    assert.equal(head.status, 200, `HEAD ${p}`)
    assert.equal(head.headers['content-length'], String(bytes.length), `HEAD ${p}`)
    assert.equal(head.body.length, 0, `HEAD ${p}`)
  }
  // the page keeps to its own CSP: its one script is clone.js, same origin, and nothing runs inline
  const page = html.toString('utf8')
  const scripts = [...page.matchAll(/<script\b[^>]*>/gi)].map(m => m[0])
  assert.deepEqual(scripts, ['<script type="module" src="clone.js">'])
  assert.doesNotMatch(page, /<script\b[^>]*>\s*[^<\s]/i, 'no inline script')
  assert.doesNotMatch(page, /\son[a-z]+\s*=/i, 'no inline event handler')
  assert.doesNotMatch(page, /\ssrc\s*=\s*["']?(https?:)?\/\//i, 'nothing loaded from elsewhere')
  // script-src has no 'unsafe-eval': a bundled eval would be refused in the browser
  assert.doesNotMatch(js.toString('utf8'), /\bnew Function\(|(^|[^\w$.])eval\(/, 'clone.js evaluates no strings')
})

test('any other path: false, with nothing written (the daemon goes on to the store)', { timeout: 30_000 }, async () => {
  for (const p of ['/', '/clone/x', '/clone/index.html', '/clone/clone.js.map', '/clone//', '/clonex', '/clone/records/x', '/clone/../clone/', '/bundles/x.bundle', '/status.json', '/CLONE/']) {
    const res = await httpRequest(`${server.url}${p}`)
    const url = new URL(p, server.url).pathname   // the client resolves dot segments before sending
    assert.equal(res.status, url === '/clone/' ? 200 : 418, p)
    if (url === '/clone/') continue
    assert.deepEqual(lastSeen(url), { answered: false, wroteAnything: false }, p)
  }
})

test('/clone/pointer?magnet=: the pointer as JSON that the page parses back; a bad magnet is 400, one without a pointer 404, each with {error}', { timeout: 30_000 }, async () => {
  const ok = await httpRequest(`${server.url}/clone/pointer?magnet=${encodeURIComponent(POINTER_MAGNET)}`)
  assert.equal(ok.status, 200)
  assert.equal(ok.headers['cache-control'], 'no-store')
  const back = parsePagePointer(ok.body.toString(), 'the answer')
  assert.deepEqual({ ...back, torrent: Buffer.from(back.torrent!).toString() }, { ...POINTER, torrent: 'd4:infoee' })
  for (const [magnet, status, error] of [['not a magnet', 400, /^the magnet is not a BEP 46 magnet/], ['magnet:?xs=urn:btpk:other', 404, /^no DHT node has a pointer/]] as const) {
    const r = await httpRequest(`${server.url}/clone/pointer?magnet=${encodeURIComponent(magnet)}`)
    assert.equal(r.status, status, magnet)
    assert.match(String(JSON.parse(r.body.toString()).error), error)
  }
})
