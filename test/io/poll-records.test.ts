// pollRecords against a real smart-HTTP server (git http-backend on loopback,
// protocol v2 through the Git-Protocol header), records pushed with native
// git; and against servers that hang, break off, refuse or answer too much.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import http from 'node:http'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { isMirrorError } from '../../src/core/errors.js'
import { RECORD_REFS } from '../../src/core/refs.js'
import { canPollRecords, pollRecords } from '../../src/io/http/poll-records.js'
import { startGitServer, type GitServer } from '../helpers/git-server.js'
import { closeServer, listenLoopback } from '../helpers/http-stats.js'
import { startSilentServer } from '../helpers/silent-server.js'
import { freePort } from '../helpers/wait.js'
import { sandbox, type Sandbox } from './git-sandbox.js'

interface Origin { sb: Sandbox, server: GitServer, work: string, url: string }

/** A bare repository `o.git` served over smart HTTP, and a work repository with one commit pushed to it. */
async function origin (t: TestContext): Promise<Origin> {
  const sb = await sandbox(t)
  const root = path.join(sb.dir, 'srv')
  await mkdir(root)
  await sb.git(sb.dir, ['init', '-q', '--bare', path.join(root, 'o.git')])
  const server = await startGitServer({ root, env: sb.env })
  t.after(async () => { await server.close() })
  const work = await sb.init('work')
  await sb.commit(work, 'a.txt', 'one\n')
  const url = server.url('o.git')
  await sb.git(work, ['push', '-q', url, 'main'])
  return { sb, server, work, url }
}

/** Writes `content` as a blob and pushes it to `ref` on the origin, as mirror-publish does; returns its oid. */
async function pushRecord (o: Origin, ref: string, content: string): Promise<string> {
  const oid = (await o.sb.git(o.work, ['hash-object', '-w', '--stdin'], content)).stdout.trim()
  await o.sb.git(o.work, ['push', '-q', '--force', o.url, `${oid}:${ref}`])
  return oid
}

/** What `git ls-remote` says is under refs/mirrors/, as `<ref> <oid>` lines sorted. */
async function lsRemoteState (o: Origin): Promise<string> {
  const { stdout } = await o.sb.git(o.sb.dir, ['ls-remote', o.url, 'refs/mirrors/*'])
  return stdout.split('\n').filter(l => l !== '').map(l => { const [oid, ref] = l.split('\t'); return `${ref!} ${oid!}\n` }).sort().join('')
}

test('pollRecords: the records of a real origin over protocol v2, two requests, refs/mirrors/* only; a changed record changes the state', { timeout: 60_000 }, async t => {
  const o = await origin(t)
  const torrent = await pushRecord(o, RECORD_REFS.torrent, 'd4:infod4:name1:xee')
  const magnet = await pushRecord(o, RECORD_REFS.magnet, `magnet:?xt=urn:btih:${'a'.repeat(40)}\n`)
  const push = await pushRecord(o, RECORD_REFS.push, 'a push object\n')

  o.server.resetStats()
  const first = await pollRecords(o.url)
  assert.deepEqual([...first.refs], [[RECORD_REFS.magnet, magnet], [RECORD_REFS.torrent, torrent], [RECORD_REFS.push, push]])
  assert.equal(first.state, await lsRemoteState(o), 'the same as git ls-remote')
  // protocol v2: GET info/refs, then POST ls-refs (v1 would stop after the GET, with every ref of the origin)
  assert.deepEqual(o.server.requests.slice(0, 2).map(r => `${r.method} ${r.path} ${r.status}`), ['GET /o.git/info/refs 200', 'POST /o.git/git-upload-pack 200'])

  assert.equal((await pollRecords(o.url)).state, first.state, 'nothing changed: the same state')
  assert.equal((await pollRecords(`${o.url}/`)).state, first.state, 'a trailing slash, as git takes it')
  const torrent2 = await pushRecord(o, RECORD_REFS.torrent, 'd4:infod4:name1:yee')
  const second = await pollRecords(o.url)
  assert.notEqual(second.state, first.state)
  assert.equal(second.refs.get(RECORD_REFS.torrent), torrent2)
  assert.deepEqual([...second.refs].filter(([ref, oid]) => first.refs.get(ref) !== oid).map(([ref]) => ref), [RECORD_REFS.torrent], 'only the torrent changed')
  assert.equal(second.state, await lsRemoteState(o))
})

test('pollRecords: an origin without records: an empty listing', { timeout: 60_000 }, async t => {
  const o = await origin(t)
  const none = await pollRecords(o.url)
  assert.equal(none.refs.size, 0)
  assert.equal(none.state, '')
})

test('pollRecords: what the remote may not send: more refs, or more bytes, than allowed (BAD_RECORD)', { timeout: 60_000 }, async t => {
  const o = await origin(t)
  for (const name of ['a', 'b', 'c']) await pushRecord(o, `refs/mirrors/x/${name}`, name)
  await assert.rejects(pollRecords(o.url, { maxRefs: 2 }), (err: unknown) => {
    assert.ok(isMirrorError(err, 'BAD_RECORD'), String(err))
    assert.equal(err.message, `the listing of refs/mirrors/ on ${o.url} holds 3 refs, over the limit of 2; not reading it`)
    return true
  })
  await assert.rejects(pollRecords(o.url, { maxBytes: 100 }), (err: unknown) => {
    assert.ok(isMirrorError(err, 'BAD_RECORD'), String(err))
    assert.equal(err.message, `the listing of refs/mirrors/ on ${o.url} is over 100 B; not reading it`)
    return true
  })
})

test('pollRecords: a 404, a refused connection, credentials asked for: one line naming the URL', { timeout: 60_000 }, async t => {
  const o = await origin(t)
  const missing = o.server.url('missing.git')
  await assert.rejects(pollRecords(missing), (err: unknown) => {
    assert.ok(isMirrorError(err, 'REMOTE_UNREACHABLE'), String(err))
    assert.equal(err.message, `cannot list the records of ${missing}: HTTP 404 Not Found`)
    return true
  })
  const nobody = `http://127.0.0.1:${await freePort()}/o.git`
  await assert.rejects(pollRecords(nobody), { code: 'REMOTE_UNREACHABLE', message: `cannot list the records of ${nobody}: ECONNREFUSED` })

  const closed = await startGitServer({ root: path.join(o.sb.dir, 'srv'), env: o.sb.env, auth: { user: 'u', password: 'p' } })
  t.after(async () => { await closed.close() })
  await assert.rejects(pollRecords(closed.url('o.git')), { code: 'AUTH_REQUIRED', message: `${closed.url('o.git')} asks for credentials; polling is anonymous` })
  assert.ok(closed.requests.length > 0 && closed.requests.every(r => r.status === 401 && r.path === '/o.git/info/refs'), 'one anonymous request, no retry with credentials')

  for (const [url, ok] of [[o.url, true], ['https://example.com/o.git', true], ['http://u:p@127.0.0.1/o.git', false], ['http://u@127.0.0.1/o.git', false], ['ssh://h/o.git', false], ['git@h:o.git', false], ['/srv/o.git', false], ['x', false]] as const) {
    assert.equal(canPollRecords(url), ok, url)
  }
  await assert.rejects(pollRecords('http://u:secret@127.0.0.1:1/o.git'), (err: unknown) => err instanceof RangeError && !err.message.includes('secret'))
})

test('pollRecords: a server that accepts and never answers is given up at the deadline; the caller\'s abort stops it at once', { timeout: 60_000 }, async t => {
  const silent = await startSilentServer()
  t.after(async () => { await silent.close() })
  const url = silent.url('o.git')
  let started = performance.now()
  await assert.rejects(pollRecords(url, { timeoutMs: 500 }), { code: 'REMOTE_UNREACHABLE', message: `${url} did not list its records within 0.5 s` })
  const waited = performance.now() - started
  assert.ok(waited >= 450 && waited < 3000, `gave up after ${Math.round(waited)} ms`)
  assert.ok(silent.connections >= 1)

  const stop = new AbortController()
  setTimeout(() => stop.abort(), 200)
  started = performance.now()
  await assert.rejects(pollRecords(url, { signal: stop.signal }), { code: 'ABORTED' })
  assert.ok(performance.now() - started < 3000)
})

/** One pkt-line of ASCII text. */
const pkt = (s: string): string => `${(s.length + 4).toString(16).padStart(4, '0')}${s}`

/** A server of our own that answers info/refs as git does (v2) and ls-refs with `lsRefs`, optionally without ending the body (a trickle). */
async function fakeServer (t: TestContext, lsRefs: Buffer, o: { hold?: boolean } = {}): Promise<string> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'application/x-git-upload-pack-advertisement' })
      res.end(`${pkt('version 2\n')}${pkt('agent=git/2.39.5\n')}${pkt('ls-refs=unborn\n')}${pkt('object-format=sha1\n')}0000`)   // as git http-backend 2.39 answers
      return
    }
    req.resume()
    res.writeHead(200, { 'Content-Type': 'application/x-git-upload-pack-result' })
    if (o.hold === true) res.write(lsRefs)   // and never ends
    else res.end(lsRefs)
  })
  const port = await listenLoopback(server)
  t.after(async () => { await closeServer(server) })
  return `http://127.0.0.1:${port}/o.git`
}

test('pollRecords: an answer that breaks off, an ERR packet, a body that trickles past the deadline', { timeout: 60_000 }, async t => {
  const line = pkt(`${'a'.repeat(40)} refs/mirrors/push\n`)
  const whole = await fakeServer(t, Buffer.from(`${line}0000`))
  assert.deepEqual([...(await pollRecords(whole)).refs], [['refs/mirrors/push', 'a'.repeat(40)]], 'the fake answers as git does')

  const cut = await fakeServer(t, Buffer.from(line))   // no flush: isomorphic-git alone would return the one ref
  await assert.rejects(pollRecords(cut), { code: 'REMOTE_UNREACHABLE', message: `the answer of ${cut} broke off or is not in git's framing (truncated)` })
  const err = await fakeServer(t, Buffer.from(`${pkt('ERR repository gone\n')}0000`))
  await assert.rejects(pollRecords(err), { code: 'REMOTE_UNREACHABLE', message: `${err} refused to list its refs: repository gone` })
  const trickle = await fakeServer(t, Buffer.from(line), { hold: true })
  const started = performance.now()
  await assert.rejects(pollRecords(trickle, { timeoutMs: 500 }), { code: 'REMOTE_UNREACHABLE', message: `${trickle} did not list its records within 0.5 s` })
  assert.ok(performance.now() - started < 3000)
})

test('pollRecords: one poll against one git ls-remote process, 50 each on loopback (figures in the diagnostics)', { timeout: 120_000 }, async t => {
  const o = await origin(t)
  for (const [ref, text] of [[RECORD_REFS.torrent, 't'], [RECORD_REFS.magnet, 'm'], [RECORD_REFS.http, 'h'], [RECORD_REFS.push, 'p']] as const) await pushRecord(o, ref, text)
  const N = 50
  const run = promisify(execFile)
  const time = async (f: () => Promise<unknown>): Promise<number> => {
    await f()   // warm: the first poll imports isomorphic-git
    const started = performance.now()
    for (let i = 0; i < N; i++) await f()
    return (performance.now() - started) / N
  }
  const poll = await time(async () => await pollRecords(o.url))
  const lsRemote = await time(async () => await run('git', ['ls-remote', o.url, 'refs/mirrors/*'], { env: o.sb.env }))
  t.diagnostic(`git http-backend (a CGI per request, on the same 2 cores), per call, mean of ${N}: pollRecords ${poll.toFixed(1)} ms, git ls-remote ${lsRemote.toFixed(1)} ms`)
  assert.equal((await pollRecords(o.url)).state, await lsRemoteState(o))

  // the client's own cost: a server that answers at once, from memory
  const state = await pollRecords(o.url)
  const fake = await fakeServer(t, Buffer.from(`${[...state.refs].map(([ref, oid]) => pkt(`${oid} ${ref}\n`)).join('')}0000`))
  const pollFake = await time(async () => await pollRecords(fake))
  const lsRemoteFake = await time(async () => await run('git', ['ls-remote', fake, 'refs/mirrors/*'], { env: o.sb.env }))
  t.diagnostic(`a server answering from memory, per call, mean of ${N}: pollRecords ${pollFake.toFixed(2)} ms, git ls-remote ${lsRemoteFake.toFixed(1)} ms`)
  assert.equal((await pollRecords(fake)).state, state.state)
})

test('pollRecords: a server that takes longer than node\'s 5 s socket idle timeout to answer is waited for, up to the poll\'s own bound', { timeout: 60_000 }, async t => {
  // node 20's global agent cuts a socket idle for 5 s ("Request timed out"); a poll is bounded by its timeoutMs alone
  const server = http.createServer((_req, res) => { setTimeout(() => res.writeHead(404).end(), 6500).unref() })
  const port = await listenLoopback(server)
  t.after(async () => await closeServer(server))
  const url = `http://127.0.0.1:${port}/slow.git`
  await assert.rejects(pollRecords(url, { timeoutMs: 20_000 }), { code: 'REMOTE_UNREACHABLE', message: `cannot list the records of ${url}: HTTP 404 Not Found` })
})
