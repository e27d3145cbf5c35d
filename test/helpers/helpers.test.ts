// Smoke tests for the test helpers themselves, against the real things.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import WebTorrent, { type Torrent } from 'webtorrent'
import { makeRepo } from '../../fixtures/make-repo.js'
import { makeTorrent } from '../../src/io/torrent/torrent-file.js'
import { aria2Download, aria2Seed, hasAria2 } from './aria2.js'
import { peerPieceCount, torrentFacts } from './bt-probe.js'
import { destroyDhtNode, dhtNode, startDht, type DhtNode } from './dht.js'
import { git, makeTestEnv, type TestEnv } from './env.js'
import { startGitDaemon } from './git-daemon.js'
import { startGitServer } from './git-server.js'
import { httpRequest } from './http-request.js'
import { killAll, repoRoot, runProcess, startProcess } from './processes.js'
import { startStaticServer } from './static-server.js'
import { living, startSshd } from './sshd.js'
import { startTracker } from './tracker.js'
import { freePort, waitUntil, withDeadline } from './wait.js'

async function testEnv (t: { after(fn: () => Promise<void>): void }): Promise<TestEnv> {
  const te = await makeTestEnv()
  t.after(async () => await te.cleanup())
  return te
}

test('makeTestEnv pins HOME, git config, identity and dates', { timeout: 30000 }, async (t) => {
  const te = await makeTestEnv()
  const { dir, env } = te
  try {
    assert.equal(env.HOME, path.join(dir, 'home'))
    assert.equal(env.GIT_DIR, undefined)
    assert.equal(env.GIT_WORK_TREE, undefined)
    assert.equal(env.DEBUG, undefined)
    assert.equal(env.TZ, 'UTC')
    assert.equal(await git(['config', '--global', 'user.name'], { cwd: dir, env }), 'Test User')
    assert.equal(await git(['config', 'init.defaultBranch'], { cwd: dir, env }), 'main')
    assert.equal(await git(['config', 'protocol.version'], { cwd: dir, env }), '2')
    const repo = path.join(dir, 'r')
    await git(['init', '-q', repo], { cwd: dir, env })
    assert.equal(await git(['symbolic-ref', 'HEAD'], { cwd: repo, env }), 'refs/heads/main')
    await git(['commit', '-q', '--allow-empty', '-m', 'x'], { cwd: repo, env })
    assert.equal(await git(['log', '-1', '--format=%an <%ae> %at %ct'], { cwd: repo, env }), 'Test User <test@example.com> 1704067200 1704067200')
    assert.equal(await git(['hash-object', '--stdin'], { cwd: repo, env, input: 'hello\n' }), 'ce013625030ba8dba906f756967f9e9ca394464a')
    await assert.rejects(git(['rev-parse', '--verify', 'refs/heads/nope'], { cwd: repo, env }),
      (err: Error) => err.message.includes('rev-parse --verify refs/heads/nope') && /fatal|Needed a single revision/.test(err.message))
  } finally {
    await te.cleanup()
    await te.cleanup()
  }
  assert.equal(existsSync(dir), false)
  t.diagnostic(`cleaned ${dir}`)
})

test('makeRepo gives identical refs in two directories', { timeout: 60000 }, async (t) => {
  const { dir, env } = await testEnv(t)
  const a = await makeRepo(path.join(dir, 'a'), {}, { env })
  const b = await makeRepo(path.join(dir, 'b'), {}, { env: { ...env, GIT_COMMITTER_DATE: '2030-05-05T05:05:05Z', TZ: 'Asia/Tokyo' } })
  const c = await makeRepo(path.join(dir, 'c.git'), {}, { env, bare: true })
  assert.deepEqual(a.refs, b.refs)
  assert.deepEqual(a.refs, c.refs)
  assert.equal(a.head, b.head)
  assert.equal(a.refs['refs/heads/main'], a.head)
  const d = await makeRepo(path.join(dir, 'd'), { seed: 2 }, { env })
  assert.notEqual(d.head, a.head, 'another seed gives another history')
})

test('makeRepo makes branches, a merge, annotated and lightweight tags, a clean work tree', { timeout: 60000 }, async (t) => {
  const { dir, env } = await testEnv(t)
  const repo = await makeRepo(path.join(dir, 'r'), {}, { env })
  const run = async (args: string[]): Promise<string> => await git(args, { cwd: repo.dir, env })
  const heads = Object.keys(repo.refs).filter(r => r.startsWith('refs/heads/'))
  assert.ok(heads.length >= 3, `branches: ${heads.join(' ')}`)
  assert.ok(heads.includes('refs/heads/main'))
  assert.equal(await run(['symbolic-ref', 'HEAD']), 'refs/heads/main')
  const merges = (await run(['rev-list', '--merges', 'main'])).split('\n').filter(Boolean)
  assert.ok(merges.length >= 1, 'main has a merge commit')
  const tagTypes = await Promise.all(Object.keys(repo.refs).filter(r => r.startsWith('refs/tags/')).map(async r => await run(['cat-file', '-t', r])))
  assert.ok(tagTypes.includes('tag'), 'an annotated tag')
  assert.ok(tagTypes.includes('commit'), 'a lightweight tag')
  assert.equal(Number(await run(['rev-list', '--count', 'main'])) >= 12, true)
  // branches fork off main at different points
  const bases = new Set(await Promise.all(heads.filter(h => h !== 'refs/heads/main').map(async h => await run(['merge-base', 'main', h]))))
  assert.ok(bases.size >= 2, 'branches fork at different commits')
  assert.equal(await run(['status', '--porcelain']), '')
  assert.equal((await readFile(path.join(repo.dir, 'assets', 'blob-0.bin'))).length, 64 * 1024)
  await run(['fsck', '--strict', '--no-progress'])
})

test('makeRepo pack size scales with binary bytes (incompressible)', { timeout: 60000 }, async (t) => {
  const { dir, env } = await testEnv(t)
  const repo = await makeRepo(path.join(dir, 'big.git'), { binaryFiles: 3, binaryBytes: 1024 * 1024 }, { env, bare: true })
  const counts = Object.fromEntries((await git(['count-objects', '-v'], { cwd: repo.dir, env })).split('\n').map(l => l.split(': ')))
  const kib = Number(counts['size-pack']) + Number(counts.size)
  assert.ok(kib >= 3 * 1024 && kib < 3 * 1024 + 512, `pack is ${kib} KiB`)
})

test('git server: clone over protocol v2, push, ls-remote, byte counts', { timeout: 90000 }, async (t) => {
  const { dir, env } = await testEnv(t)
  const root = path.join(dir, 'srv')
  // enough refs that the fetch request exceeds 1 KiB and git gzips it
  const origin = await makeRepo(path.join(root, 'origin.git'), { commits: 30, branches: 24 }, { env, bare: true })
  const curlLog = path.join(dir, 'curl.log')
  const traced = { ...env, GIT_TRACE_CURL: curlLog, GIT_TRACE_CURL_NO_DATA: '1' }
  const server = await startGitServer({ root, env })
  t.after(async () => await server.close())
  const url = server.url('origin.git')
  assert.equal(url, `http://127.0.0.1:${server.port}/origin.git`)

  const adv = await httpRequest(`${url}/info/refs?service=git-upload-pack`, { headers: { 'Git-Protocol': 'version=2' } })
  assert.equal(adv.status, 200)
  assert.equal(adv.headers['content-type'], 'application/x-git-upload-pack-advertisement')
  assert.match(adv.body.toString('latin1'), /version 2/)
  server.resetStats()
  assert.equal(server.bytesSent, 0)

  const clone = path.join(dir, 'clone')
  await git(['clone', '-q', url, clone], { cwd: dir, env: traced })
  assert.equal(await git(['rev-parse', 'HEAD'], { cwd: clone, env }), origin.head)
  const uploads = server.requests.filter(r => r.method === 'POST' && r.path === '/origin.git/git-upload-pack')
  assert.ok(uploads.length >= 2, 'protocol v2: ls-refs and fetch are separate POSTs')
  assert.ok(uploads.every(r => r.status === 200))
  assert.ok(server.bytesSent > 64 * 1024 * 3, `bytesSent ${server.bytesSent}`)
  assert.equal(server.bytesSent, server.requests.reduce((n, r) => n + r.bytes, 0))

  // a push larger than http.postBuffer (1 MiB) arrives chunked, without Content-Length
  await writeFile(path.join(clone, 'big.bin'), randomBytes(3 * 1024 * 1024))
  await git(['checkout', '-q', '-b', 'pushed'], { cwd: clone, env })
  await git(['add', 'big.bin'], { cwd: clone, env })
  await git(['commit', '-q', '-m', 'pushed over http'], { cwd: clone, env })
  const pushed = await git(['rev-parse', 'HEAD'], { cwd: clone, env })
  await git(['push', '-q', 'origin', 'pushed'], { cwd: clone, env: traced })
  const sent = await readFile(curlLog, 'utf8')
  assert.match(sent, /Send header: Content-Encoding: gzip/, 'a gzipped upload-pack request was served')
  assert.match(sent, /Send header: Transfer-Encoding: chunked/, 'a chunked receive-pack request was served')
  const remote = await git(['ls-remote', url], { cwd: dir, env })
  assert.ok(remote.split('\n').includes(`${pushed}\trefs/heads/pushed`), remote)
  assert.ok(server.requests.some(r => r.method === 'POST' && r.path === '/origin.git/git-receive-pack' && r.status === 200))
  assert.equal(await git(['rev-parse', 'refs/heads/pushed'], { cwd: origin.dir, env }), pushed)

  const missing = await httpRequest(server.url('nope.git') + '/info/refs?service=git-upload-pack')
  assert.equal(missing.status, 404)

  await server.close()
  await server.close()
  await assert.rejects(httpRequest(`${url}/info/refs`, { timeoutMs: 2000 }), /ECONNREFUSED/)
})

test('static server: ranges, HEAD, 416, 404 and no escape from root', { timeout: 30000 }, async (t) => {
  const { dir } = await testEnv(t)
  const root = path.join(dir, 'www')
  await mkdir(path.join(root, 'sub dir'), { recursive: true })
  const data = randomBytes(1000)
  await writeFile(path.join(root, 'sub dir', 'f.bin'), data)
  await writeFile(path.join(dir, 'secret'), 'secret')
  const server = await startStaticServer(root)
  t.after(async () => await server.close())
  const url = server.url('sub dir/f.bin')
  assert.equal(url, `http://127.0.0.1:${server.port}/sub%20dir/f.bin`)

  const part = await httpRequest(url, { headers: { Range: 'bytes=100-199' } })
  assert.equal(part.status, 206)
  assert.equal(part.headers['content-range'], 'bytes 100-199/1000')
  assert.equal(part.headers['content-length'], '100')
  assert.deepEqual(part.body, data.subarray(100, 200))

  const tail = await httpRequest(url, { headers: { Range: 'bytes=-10' } })
  assert.equal(tail.status, 206)
  assert.deepEqual(tail.body, data.subarray(990))
  const open = await httpRequest(url, { headers: { Range: 'bytes=990-5000' } })
  assert.equal(open.headers['content-range'], 'bytes 990-999/1000')
  assert.deepEqual(open.body, data.subarray(990))

  const whole = await httpRequest(url)
  assert.equal(whole.status, 200)
  assert.equal(whole.headers['accept-ranges'], 'bytes')
  assert.deepEqual(whole.body, data)

  const bad = await httpRequest(url, { headers: { Range: 'bytes=1000-' } })
  assert.equal(bad.status, 416)
  assert.equal(bad.headers['content-range'], 'bytes */1000')

  const head = await httpRequest(url, { method: 'HEAD' })
  assert.equal(head.status, 200)
  assert.equal(head.headers['content-length'], '1000')
  assert.equal(head.body.length, 0)

  assert.equal((await httpRequest(server.url('nope'))).status, 404)
  assert.equal((await rawGet(server.port, '/%2e%2e/secret')).split(' ')[1], '403') // fetch/URL would normalise these
  assert.equal((await rawGet(server.port, '/../secret')).split(' ')[1], '403')

  assert.equal(server.bytesSent, 100 + 10 + 10 + 1000)
  assert.deepEqual(server.requests.slice(0, 2).map(r => [r.method, r.path, r.status, r.bytes]),
    [['GET', '/sub%20dir/f.bin', 206, 100], ['GET', '/sub%20dir/f.bin', 206, 10]])
})

test('tracker: announce over http, /stats.json counts it', { timeout: 30000 }, async (t) => {
  const tracker = await startTracker()
  t.after(async () => await tracker.close())
  assert.equal(tracker.announceUrl, `http://127.0.0.1:${tracker.port}/announce`)
  assert.equal((await tracker.stats()).torrents, 0)
  const bin = (s: string): string => [...Buffer.from(s)].map(b => '%' + b.toString(16).padStart(2, '0')).join('')
  const q = `info_hash=${bin('aaaaaaaaaaaaaaaaaaaa')}&peer_id=${bin('-TS0001-bbbbbbbbbbbb')}&port=6881&left=0&compact=1&event=started`
  const res = await httpRequest(`${tracker.announceUrl}?${q}`)
  assert.equal(res.status, 200)
  assert.match(res.body.toString('latin1'), /^d.*8:intervali/)
  const stats = await tracker.stats()
  assert.equal(stats.torrents, 1)
  assert.equal(stats.peersSeederOnly, 1)
  await tracker.close()
  await tracker.close()
})

test('processes: waitFor past and future lines, stop, exit rejection, killAll', { timeout: 30000 }, async (t) => {
  t.after(killAll)
  const opts = { cwd: repoRoot(), env: process.env }
  const script = `
    console.log('ready port=' + 1234)
    process.stderr.write('partial ')
    process.stderr.write('line on stderr\\n')
    process.stdin.resume()
    process.stdin.on('data', d => console.log('got ' + d.toString().trim()))
    process.on('SIGTERM', () => { console.log('bye'); process.exit(3) })
    setInterval(() => {}, 1000)
  `
  const p = startProcess(process.execPath, ['-e', script], { ...opts, input: 'hello\n' })
  assert.equal((await p.waitFor(/^got (\w+)$/))[1], 'hello')
  assert.equal((await p.waitFor(/port=(\d+)/, { stream: 'stdout' }))[1], '1234')
  assert.ok(await p.waitFor(/^partial line on stderr$/, { stream: 'stderr' }))
  await assert.rejects(p.waitFor(/never/, { timeoutMs: 100 }), /timed out after 100 ms.*\n--- stdout/s)
  const never = p.waitFor(/never/)
  assert.deepEqual(await p.stop(), { code: 3, signal: null })
  await assert.rejects(never, /exited \(code 3/)
  assert.match(p.stdout(), /bye/)
  await assert.rejects(p.waitFor(/never/), /already exited/)

  const stubborn = startProcess(process.execPath, ['-e', `process.on('SIGTERM', () => console.log('ignored')); console.log('up'); setInterval(() => {}, 1000)`], opts)
  await stubborn.waitFor(/^up$/)
  const st = await stubborn.stop('SIGTERM', 300)
  assert.equal(st.signal, 'SIGKILL')

  const sleeper = startProcess(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], opts)
  await killAll()
  assert.equal((await sleeper.exited).signal, 'SIGTERM')
})

test('runProcess: exit codes resolve, timeouts kill and reject with stderr', { timeout: 30000 }, async () => {
  const opts = { cwd: repoRoot(), env: process.env }
  const r = await runProcess(process.execPath, ['-e', 'console.log("out"); console.error("err"); process.exit(4)'], opts)
  assert.deepEqual(r, { code: 4, signal: null, stdout: 'out\n', stderr: 'err\n' })
  await assert.rejects(
    runProcess(process.execPath, ['-e', 'console.error("stuck here"); setInterval(() => {}, 1000)'], { ...opts, timeoutMs: 500 }),
    /timed out after 500 ms[^]*stuck here/)
  await assert.rejects(runProcess('/nonexistent/binary', [], opts), /ENOENT/)
})

test('repoRoot, waitUntil, freePort', { timeout: 10000 }, async () => {
  const pkg = JSON.parse(await readFile(path.join(repoRoot(), 'package.json'), 'utf8')) as { name: string }
  assert.equal(pkg.name, 'git-torrent-mirror')
  let n = 0
  await waitUntil(() => ++n >= 3, { timeoutMs: 2000, intervalMs: 1, what: 'three polls' })
  assert.equal(n, 3)
  await assert.rejects(waitUntil(async () => false, { timeoutMs: 50, what: 'the impossible' }), /the impossible/)
  const port = await freePort()
  assert.ok(port > 0 && port < 65536)
  const srv = net.createServer()
  await new Promise<void>(resolve => srv.listen(port, '127.0.0.1', resolve))
  await new Promise<void>(resolve => srv.close(() => resolve()))
})

async function rawGet (port: number, rawPath: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.end(`GET ${rawPath} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`))
    let out = ''
    sock.setEncoding('latin1').on('data', (d: string) => { out += d })
    sock.on('end', () => resolve(out))
    sock.on('error', reject)
    sock.setTimeout(5000, () => sock.destroy(new Error('raw GET timed out')))
  })
}

/** The bootstrap list a bittorrent-dht node (or webtorrent's) was given, as k-rpc keeps it. */
function bootstrapOf (node: unknown): string[] {
  const list = (node as { _rpc: { bootstrap: Array<{ host: string; port: number }> } })._rpc.bootstrap
  return list.map(b => `${b.host}:${b.port}`)
}

test('dht: a private loopback DHT finds a peer announced by another node; never the public routers', { timeout: 30000 }, async (t) => {
  const dht = await startDht()
  t.after(async () => await dht.close())
  assert.equal(dht.ports.length, 3)
  assert.equal(dht.bootstrap, `127.0.0.1:${dht.ports[0]}`)
  for (const n of dht.nodes) assert.equal(n.address().address, '127.0.0.1')
  assert.deepEqual(dht.nodes.map(bootstrapOf), [[], [dht.bootstrap], [dht.bootstrap]])

  const announcer: DhtNode = await dhtNode([dht.bootstrap])
  t.after(async () => await destroyDhtNode(announcer))
  assert.deepEqual(bootstrapOf(announcer), [dht.bootstrap])
  const infoHash = randomBytes(20).toString('hex')
  await new Promise<void>((resolve, reject) => announcer.announce(infoHash, 51413, err => err ? reject(err) : resolve()))
  assert.deepEqual(await dht.waitForPeer(infoHash, { timeoutMs: 10000 }), [{ host: '127.0.0.1', port: 51413 }])

  const started = Date.now()
  await assert.rejects(dht.waitForPeer(randomBytes(20).toString('hex'), { timeoutMs: 800 }), /no DHT peer for [0-9a-f]{40} after 800 ms \(\d+ lookups/)
  assert.ok(Date.now() - started < 5000, 'the deadline bounds a lookup in progress')
  await assert.rejects(dht.waitForPeer('xyz'), /not a hex v1 infohash/)

  await dht.close()
  await dht.close()
  assert.ok(dht.nodes.every(n => n.destroyed))
})

// What the e2e test "clone with a private DHT only" relies on: see the comment at the top of dht.ts.
test('dht: a webtorrent seeder given only the private DHT is found there, and a webtorrent leecher through it', { timeout: 40000 }, async (t) => {
  const { dir } = await testEnv(t)
  const dht = await startDht()
  t.after(async () => await dht.close())
  const errors: Error[] = []
  const newClient = (): WebTorrent => {
    const c = new WebTorrent({ dht: { bootstrap: [dht.bootstrap] }, tracker: false, lsd: false, natUpnp: false, natPmp: false, utp: false })
    c.on('error', (err: Error) => errors.push(err))
    t.after(async () => await withDeadline(new Promise<void>(resolve => {
      if (c.destroyed) resolve()
      else c.destroy(() => resolve())
    }), 5000, 'webtorrent did not close'))
    return c
  }
  const client = newClient()
  assert.deepEqual(bootstrapOf((client as unknown as { dht: unknown }).dht), [dht.bootstrap])

  // seed() is not in src/types/vendor.d.ts (the product seeds with add()); announceList: [] keeps
  // create-torrent's public trackers out of the torrent.
  const seeding = client as unknown as { seed(input: Buffer, opts: Record<string, unknown>, cb: (t: Torrent) => void): Torrent }
  const started = Date.now()
  const data = randomBytes(100 * 1024)
  const torrent = await withDeadline(new Promise<Torrent>((resolve, reject) => {
    const tor = seeding.seed(data, { name: 'small.bin', announceList: [], path: path.join(dir, 'wt') }, resolve)
    tor.on('error', reject)
  }), 20000, 'webtorrent did not start seeding (seed() waits for its first DHT announce)')
  const peers = await dht.waitForPeer(torrent.infoHash, { timeoutMs: 20000 })
  t.diagnostic(`seeding after ${Date.now() - started} ms; found via the DHT: ${JSON.stringify(peers)}; torrentPort ${client.torrentPort}`)
  assert.deepEqual(peers, [{ host: '127.0.0.1', port: client.torrentPort }])

  // and a leecher with nothing but the .torrent (no trackers, no web seeds) finds it there
  const leecher = newClient()
  const fetched = leecher.add(torrent.torrentFile, { path: path.join(dir, 'leech') })
  await withDeadline(new Promise<void>((resolve, reject) => {
    fetched.once('done', resolve)
    fetched.once('error', reject)
  }), 20000, 'the leecher did not download through the private DHT')
  assert.ok((await readFile(path.join(dir, 'leech', 'small.bin'))).equals(data))
  assert.deepEqual(errors, [])
})

test('aria2Seed: aria2c seeds a makeTorrent torrent that aria2Download fetches byte for byte', { timeout: 90000 }, async (t) => {
  if (!hasAria2()) { t.skip('aria2c is not installed'); return }
  t.after(killAll)
  const { dir, env } = await testEnv(t)
  const tracker = await startTracker()
  t.after(async () => await tracker.close())
  const seedDir = path.join(dir, 'seed')
  await mkdir(seedDir)
  const data = randomBytes(1024 * 1024)
  const file = path.join(seedDir, 'payload.bin')
  await writeFile(file, data)
  const torrentFile = path.join(dir, 'payload.torrent')
  const torrent = await makeTorrent(file, { name: 'payload.bin', pieceLength: 16 * 1024, trackers: [tracker.announceUrl], webSeeds: [] })
  await writeFile(torrentFile, torrent)
  const facts = torrentFacts(torrent)
  assert.equal(facts.pieces, 64)

  const seeder = await aria2Seed(torrentFile, seedDir, { env, tracker, timeoutMs: 60000 })
  t.after(async () => await seeder.stop())
  assert.equal(await peerPieceCount(seeder.port, facts), 64)
  assert.ok(tracker.announces.some(a => a.infoHash === facts.infoHash && a.port === seeder.port && a.left === 0))
  assert.equal((await tracker.stats()).peersSeederOnly, 1)

  const { file: got } = await aria2Download(torrentFile, path.join(dir, 'out'), { env, timeoutMs: 60000 })
  assert.ok((await readFile(got)).equals(data), 'downloaded bytes equal the seeded file')
  assert.ok((await readFile(file)).equals(data), 'seeding left the file alone')
  await seeder.stop()
  await seeder.stop()

  // A damaged copy is never reported as seeding.
  const badDir = path.join(dir, 'bad')
  await mkdir(badDir)
  const bad = Buffer.from(data)
  bad[500000] ^= 0xff
  await writeFile(path.join(badDir, 'payload.bin'), bad)
  await assert.rejects(aria2Seed(torrentFile, badDir, { env, timeoutMs: 4000 }), /to have all 64 pieces[^]*it had 63/)
  await assert.rejects(aria2Seed(torrentFile, path.join(dir, 'empty'), { env }), /nothing to seed/)
})

test('static server: bytesPerSecond paces a whole GET', { timeout: 30000 }, async (t) => {
  const { dir } = await testEnv(t)
  const data = randomBytes(256 * 1024)
  await writeFile(path.join(dir, 'slow.bin'), data)
  const server = await startStaticServer(dir, { bytesPerSecond: 128 * 1024 })
  t.after(async () => await server.close())
  const started = Date.now()
  const res = await httpRequest(server.url('slow.bin'), { timeoutMs: 20000 })
  const ms = Date.now() - started
  t.diagnostic(`256 KiB at 128 KiB/s took ${ms} ms`)
  assert.equal(res.status, 200)
  assert.ok(res.body.equals(data), 'bytes intact')
  assert.ok(ms >= 1500, `took only ${ms} ms`)
  const part = await httpRequest(server.url('slow.bin'), { headers: { Range: 'bytes=1000-1999' } })
  assert.equal(part.status, 206)
  assert.ok(part.body.equals(data.subarray(1000, 2000)))
  assert.equal(server.bytesSent, 256 * 1024 + 1000)
  await assert.rejects(startStaticServer(dir, { bytesPerSecond: 0 }), /positive/)
})

test('git daemon: git:// ls-remote, clone and push on loopback', { timeout: 60000 }, async (t) => {
  t.after(killAll)
  const { dir, env } = await testEnv(t)
  const root = path.join(dir, 'srv')
  const origin = await makeRepo(path.join(root, 'origin.git'), {}, { env, bare: true })
  const daemon = await startGitDaemon(root, env)
  t.after(async () => await daemon.close())
  const url = daemon.url('origin.git')
  assert.equal(url, `git://127.0.0.1:${daemon.port}/origin.git`)

  const listed = await git(['ls-remote', url], { cwd: dir, env })
  const refs = Object.fromEntries(listed.split('\n').map(l => l.split('\t').reverse()))
  for (const [ref, oid] of Object.entries(origin.refs)) assert.equal(refs[ref], oid, ref)
  assert.equal(refs.HEAD, origin.head)

  const clone = path.join(dir, 'clone')
  await git(['clone', '-q', url, clone], { cwd: dir, env })
  assert.equal(await git(['rev-parse', 'HEAD'], { cwd: clone, env }), origin.head)
  await git(['commit', '-q', '--allow-empty', '-m', 'pushed over git://'], { cwd: clone, env })
  await git(['push', '-q', 'origin', 'HEAD:refs/heads/pushed'], { cwd: clone, env })
  assert.equal(await git(['rev-parse', 'refs/heads/pushed'], { cwd: origin.dir, env }), await git(['rev-parse', 'HEAD'], { cwd: clone, env }))
  await assert.rejects(git(['ls-remote', daemon.url('nope.git')], { cwd: dir, env }), /no such repository|not exported|does not appear/)

  await daemon.close()
  await daemon.close()
  await assert.rejects(git(['ls-remote', url], { cwd: dir, env }), /unable to connect|Connection refused/)
})

test('sshd: ssh:// and scp-like ls-remote, clone and push, protocol v2, a refused key, close kills open sessions', { timeout: 60000 }, async (t) => {
  t.after(killAll)
  const { dir, env } = await testEnv(t)
  const origin = await makeRepo(path.join(dir, 'srv', 'origin.git'), {}, { env, bare: true })
  const sshd = await startSshd({ env })
  t.after(async () => await sshd.close())
  const sshEnv = { ...env, GIT_SSH_COMMAND: sshd.sshCommand() }
  const url = sshd.url(origin.dir)
  assert.equal(url, `ssh://${sshd.user}@127.0.0.1:${sshd.port}${origin.dir}`)

  for (const u of [url, sshd.scpUrl(origin.dir)]) {
    const traced = await runProcess('git', ['ls-remote', u], { cwd: dir, env: { ...sshEnv, GIT_TRACE_PACKET: '1' }, timeoutMs: 20000 })
    assert.equal(traced.code, 0, traced.stderr)
    const refs = Object.fromEntries(traced.stdout.trim().split('\n').map(l => l.split('\t').reverse()))
    for (const [ref, oid] of Object.entries(origin.refs)) assert.equal(refs[ref], oid, `${u} ${ref}`)
    assert.match(traced.stderr, /packet: +ls-remote< version 2/, `${u}: protocol v2 over ssh (AcceptEnv GIT_PROTOCOL)`)
  }

  const clone = path.join(dir, 'clone')
  await git(['clone', '-q', sshd.scpUrl(origin.dir), clone], { cwd: dir, env: sshEnv })
  assert.equal(await git(['rev-parse', 'HEAD'], { cwd: clone, env }), origin.head)
  await git(['commit', '-q', '--allow-empty', '-m', 'pushed over ssh'], { cwd: clone, env })
  await git(['push', '-q', url, 'HEAD:refs/heads/pushed'], { cwd: clone, env: sshEnv })
  assert.equal(await git(['rev-parse', 'refs/heads/pushed'], { cwd: origin.dir, env }), await git(['rev-parse', 'HEAD'], { cwd: clone, env }))

  const refused = await runProcess('git', ['ls-remote', url], { cwd: dir, env: { ...env, GIT_SSH_COMMAND: sshd.sshCommand('refused') }, timeoutMs: 20000 })
  assert.equal(refused.code, 128)
  assert.match(refused.stderr, /Permission denied \(publickey\)/)

  // a session still running when the server closes is killed with it
  const marker = path.join(dir, 'session-pid')
  const session = startProcess('sh', ['-c', `${sshd.sshCommand()} -p ${sshd.port} ${sshd.user}@127.0.0.1 'echo $$ > ${marker}; exec sleep 600'`], { cwd: dir, env })
  await waitUntil(() => existsSync(marker) && readFileSync(marker, 'utf8').endsWith('\n'), { timeoutMs: 10000, what: 'the ssh session to start' })
  const sleeper = Number(readFileSync(marker, 'utf8'))
  assert.ok(await living(sleeper))
  // a test's killAll() stops the ssh client and the listener first: the session's command outlives both
  await killAll()
  assert.ok(await living(sleeper))
  await withDeadline(sshd.close(), 10000, 'sshd closed')
  await sshd.close()
  assert.ok(!await living(sleeper), 'the session\'s command was killed')
  assert.ok(!existsSync(sshd.dir), 'the temp directory is gone')
  assert.equal((await session.exited).signal, 'SIGTERM')
  await assert.rejects(git(['ls-remote', url], { cwd: dir, env: sshEnv }), /Connection refused|Could not read from remote/)
})
