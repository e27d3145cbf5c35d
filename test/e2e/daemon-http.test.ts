// mirror-daemon --http on loopback: the status page in headless Chromium
// (Debian's chromium, driven by playwright-core, JavaScript off) after a
// client downloaded a bundle from the daemon alone, with a screenshot;
// /metrics read as Prometheus text and its counters moving; web seeds with
// Range and stock git clone --bundle-uri from the daemon; the embedded
// tracker refusing an infohash the daemon does not seed, over HTTP and
// WebSocket, and listing the daemon for one it does: a client whose only
// tracker it is downloads from the daemon.
// DAEMON_STATUS_SCREENSHOT=/path.png keeps a copy of the screenshot.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { copyFile, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import bencode from 'bencode'
import { chromium, type Browser } from 'playwright-core'
import { peerPieceCount, torrentFacts } from '../helpers/bt-probe.js'
import { httpRequest, type HttpResponse } from '../helpers/http-request.js'
import { startBin, type Running } from '../helpers/processes.js'
import { familyOf, parseExposition, valueOf, type Exposition } from '../helpers/prometheus-text.js'
import { waitUntil } from '../helpers/wait.js'
import { fetchRecord, mirrorClone, publish, startSeeder, T } from './clone-support.js'
import { makeWorld, QUIET_NET, type World } from './world.js'

const CHROMIUM = '/usr/bin/chromium'

/** A daemon watching the world's origin, its HTTP side on a free loopback port; resolves once it seeds the published bundle. */
async function startDaemon (w: World): Promise<{ d: Running, base: string }> {
  const d = startBin('mirror-daemon', ['--foreground', '--interval', '600', '--timeout', '20', '--store', path.join(w.dir, 'daemon-store'), '--http', '127.0.0.1:0', ...w.net], { cwd: w.work, env: w.env, interactive: true })
  const base = (await d.waitFor(/^STATUS - http (http:\/\/127\.0\.0\.1:\d+)$/, { stream: 'stdout', timeoutMs: 30_000 }))[1]!
  await d.waitFor(/^STATUS origin seeding 1 bundle\(s\)/, { stream: 'stdout', timeoutMs: 60_000 })
  return { d, base }
}

/** Publishes, lets the daemon download from the maintainer's seeder, then stops that seeder: the daemon is the only peer left. */
async function daemonAlone (t: Parameters<typeof makeWorld>[0], w: World): Promise<{ published: any, d: Running, base: string }> {
  const published = await publish(w)
  const seeder = await startSeeder(w)
  t.after(async () => await seeder.stop('SIGINT'))
  const { d, base } = await startDaemon(w)
  t.after(async () => await d.stop('SIGINT'))
  await seeder.stop('SIGINT')
  return { published, d, base }
}

async function get (url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpResponse> {
  return await httpRequest(url, { method, headers, timeoutMs: 10_000 })
}

async function metrics (base: string): Promise<Exposition> {
  const r = await get(`${base}/metrics`)
  assert.equal(r.status, 200)
  assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4; charset=utf-8$/)
  const e = parseExposition(r.body.toString('utf8'))
  for (const s of e.samples) assert.ok(e.types.has(familyOf(s.name, e.types)), `${s.name} has a TYPE line`)
  return e
}

async function launch (t: Parameters<typeof makeWorld>[0]): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is needed for the status page test (apt-get install -y --no-install-recommends chromium)`)
  const browser = await chromium.launch({ executablePath: CHROMIUM, timeout: 30_000 })
  t.after(async () => await browser.close())
  return browser
}

test('mirror-daemon --http: the status page in Chromium shows the remote and the upload after a client downloaded from the daemon; /metrics counters move', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 256 << 10, branches: 1, tags: 1 } })
  const { published, d, base } = await daemonAlone(t, w)
  const infoHash = published.infoHash as string

  const before = await metrics(base)
  const checks = valueOf(before, 'mirror_daemon_checks_total', { remote: 'origin' })
  assert.ok(checks >= 1, `checks ${checks}`)
  assert.equal(valueOf(before, 'mirror_daemon_bundles'), 1)
  assert.equal(valueOf(before, 'mirror_daemon_remotes'), 1)
  assert.equal(valueOf(before, 'mirror_daemon_paused'), 0)
  assert.equal(before.types.get('mirror_daemon_uploaded_bytes_total'), 'counter')
  assert.ok(valueOf(before, 'process_resident_memory_bytes') > 0, 'prom-client\'s process metrics are there')

  // a client that can only get the bundle from the daemon
  const { report } = await mirrorClone(w, [...w.net, '--sources', 'torrent', w.originUrl, 'client'])
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.equal(report.infoHash, infoHash)
  assert.ok(report.bytes.swarm > 0 && report.bytes.webSeed === 0, JSON.stringify(report.bytes))
  let status: any
  await waitUntil(async () => {
    status = JSON.parse((await get(`${base}/status.json`)).body.toString())
    return status.bundles.some((b: any) => b.infoHash === infoHash && b.uploaded > 0)
  }, { timeoutMs: 20_000, what: 'status.json to show the upload' })
  assert.equal(status.paused, false)
  assert.deepEqual(status.remotes.map((r: any) => [r.name, r.url, r.bundles]), [['origin', w.originUrl, [infoHash]]])
  assert.match(status.remotes[0].lastCheck, /^\d{4}-\d\d-\d\dT/)

  // the page, rendered without JavaScript
  const browser = await launch(t)
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 720 } })
  const page = await context.newPage()
  const response = await page.goto(`${base}/`, { timeout: 15_000 })
  assert.equal(response?.status(), 200)
  assert.equal(await page.title(), 'mirror-daemon')
  const shot = path.join(w.dir, 'daemon-status.png')
  await page.screenshot({ path: shot, fullPage: true, timeout: 15_000 })
  const png = await readFile(shot)
  assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'a PNG')
  assert.ok((await stat(shot)).size > 20_000, `a screenshot of a page, not of nothing: ${(await stat(shot)).size} bytes`)
  if (process.env.DAEMON_STATUS_SCREENSHOT !== undefined) await copyFile(shot, process.env.DAEMON_STATUS_SCREENSHOT)
  const text = await page.innerText('body')
  assert.match(text, /Running/)
  assert.match(await page.innerText('#remotes tr[data-remote="origin"]'), new RegExp(`origin\\s+${w.originUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
  const row = page.locator(`#bundles tr[data-infohash="${infoHash}"]`)
  assert.match(await row.innerText(), new RegExp(`^${infoHash}\\s`))
  const uploaded = await row.locator('td.uploaded').innerText()
  assert.ok(Number.parseFloat(uploaded) > 0 && /^[\d.]+ (B|KiB|MiB|GiB)$/.test(uploaded), `uploaded shown as ${uploaded}`)
  assert.ok(Number(await row.locator('td.uploaded').getAttribute('data-bytes')) > 0)

  // counters move: a PUSH is one more look; PAUSE shows; an unknown remote is the daemon's own error
  const mark = d.lineCount()
  d.send('PUSH origin\n')
  await waitUntil(async () => valueOf(await metrics(base), 'mirror_daemon_checks_total', { remote: 'origin' }) > checks, { timeoutMs: 30_000, what: 'mirror_daemon_checks_total to grow after PUSH' })
  d.send('PAUSE\n')
  await d.waitFor(/^STATUS - paused/, { stream: 'stdout', after: mark })
  d.send('PUSH nosuch\n')
  await d.waitFor(/^ERROR nosuch /, { stream: 'stdout', after: mark })
  const after = await metrics(base)
  assert.equal(valueOf(after, 'mirror_daemon_paused'), 1)
  assert.equal(valueOf(after, 'mirror_daemon_errors_total', { remote: '-' }), 1)
  assert.ok(valueOf(after, 'mirror_daemon_uploaded_bytes_total') >= status.bundles[0].uploaded, 'what status.json showed is counted')
  assert.ok(valueOf(after, 'mirror_daemon_last_check_timestamp_seconds', { remote: 'origin' }) > Date.now() / 1000 - 60)
  await page.reload({ timeout: 15_000 })
  assert.match(await page.innerText('.summary'), /^Paused/)
})

test('mirror-daemon --http: web seeds with Range, git clone --bundle-uri, and a tracker for its own infohashes only (HTTP and WebSocket)', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 256 << 10, branches: 1, tags: 2 } })
  const { published, base } = await daemonAlone(t, w)
  const infoHash = published.infoHash as string
  const file = published.bundle.file as string
  const bundle = await readFile(published.bundle.path as string)

  // the store's paths, as mirror-seed --http serves them
  const whole = await get(`${base}/bundles/${file}`)
  assert.equal(whole.status, 200)
  assert.ok(whole.body.equals(bundle), 'the daemon serves the very bundle published')
  const part = await get(`${base}/bundles/${file}`, { Range: 'bytes=1000-4999' })
  assert.equal(part.status, 206)
  assert.equal(part.headers['content-range'], `bytes 1000-4999/${bundle.length}`)
  assert.ok(part.body.equals(bundle.subarray(1000, 5000)))
  const tail = await get(`${base}/bundles/${file}`, { Range: 'bytes=-100' })
  assert.equal(tail.status, 206)
  assert.ok(tail.body.equals(bundle.subarray(-100)))
  await w.git(['clone', '-q', `--bundle-uri=${base}/project/bundle-list`, w.originUrl, 'by-bundle-uri'], w.dir)
  const refs = (await w.git(['for-each-ref', '--format=%(refname)'], path.join(w.dir, 'by-bundle-uri'))).split('\n')
  assert.ok(refs.some(r => r.startsWith('refs/bundles/')), `git unbundled the daemon's bundle: ${refs.join(' ')}`)

  // anything else
  for (const p of ['/nope', '/status', '/bundles/nope.bundle', '/nope/bundle-list', '/metrics/x']) assert.equal((await get(`${base}${p}`)).status, 404, p)
  for (const m of ['POST', 'PUT', 'DELETE']) assert.equal((await get(`${base}/`, {}, m)).status, 405, m)
  const head = await get(`${base}/status.json`, {}, 'HEAD')
  assert.equal(head.status, 200)
  assert.equal(head.body.length, 0)
  const page = await get(`${base}/`)
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'/)

  // the tracker over HTTP: a stranger's infohash is refused, the daemon's own is tracked and lists the daemon
  const announce = async (ih: Buffer, port: number): Promise<any> => {
    const q = `info_hash=${escapeBytes(ih)}&peer_id=${escapeBytes(randomBytes(20))}&port=${port}&uploaded=0&downloaded=0&left=1000&compact=1&event=started`
    const r = await get(`${base}/announce?${q}`)
    assert.equal(r.status, 200)
    return bencode.decode(r.body)
  }
  const refused = await announce(randomBytes(20), 6881)
  assert.match(Buffer.from(refused['failure reason']).toString(), /not tracked here/)
  const accepted = await announce(Buffer.from(infoHash, 'hex'), 6882)
  assert.equal(accepted['failure reason'], undefined, JSON.stringify(accepted))
  const peers = compactPeers(Buffer.from(accepted.peers)).filter(p => p.port !== 6882)   // an HTTP tracker lists the announcer too
  assert.equal(peers.length, 1, `the daemon alone: ${JSON.stringify(peers)}`)
  assert.equal(peers[0]!.host, '127.0.0.1')
  const facts = torrentFacts(await fetchRecord(w, 'refs/mirrors/bundle/torrent'))
  assert.equal(await peerPieceCount(peers[0]!.port, facts, 5000), facts.pieces, 'the peer the tracker lists is the daemon, with every piece')
  const scrape = bencode.decode((await get(`${base}/scrape?info_hash=${escapeBytes(Buffer.from(infoHash, 'hex'))}`)).body) as any
  const files = scrape.files as Record<string, { complete: number, incomplete: number }>
  assert.deepEqual(Object.values(files).map(f => [f.complete, f.incomplete]), [[1, 1]], 'the daemon seeds, the announcer leeches')

  // the tracker over WebSocket, from a browser (where browser peers will announce from)
  const browser = await launch(t)
  const tab = await (await browser.newContext()).newPage()
  const wsAnswers = await tab.evaluate(async ({ url, stranger, own }) => {
    const ws = new WebSocket(url)
    const answers: string[] = []
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject })
    const binary = (hex: string): string => String.fromCharCode(...(hex.match(/../g) ?? []).map(h => parseInt(h, 16)))
    const peerId = binary('2d5757303030312d' + '0123456789abcdef01234567')
    for (const ih of [stranger, own]) {
      const answered = new Promise<string>(resolve => { ws.onmessage = e => resolve(String(e.data)) })
      ws.send(JSON.stringify({ action: 'announce', info_hash: binary(ih), peer_id: peerId, numwant: 0, uploaded: 0, downloaded: 0, left: 0, event: 'started', offers: [] }))
      answers.push(await answered)
    }
    ws.close()
    return answers
  }, { url: `${base.replace(/^http/, 'ws')}/announce`, stranger: randomBytes(20).toString('hex'), own: infoHash })
  assert.match(JSON.parse(wsAnswers[0]!)['failure reason'], /not tracked here/)
  assert.equal(JSON.parse(wsAnswers[1]!).action, 'announce')
  assert.equal(JSON.parse(wsAnswers[1]!)['failure reason'], undefined, wsAnswers[1])

  const m = await metrics(base)
  assert.equal(valueOf(m, 'mirror_daemon_tracker_announces_total', { result: 'refused' }), 2)
  assert.equal(valueOf(m, 'mirror_daemon_tracker_announces_total', { result: 'accepted' }), 2)

  // a client whose only tracker is the daemon's finds the daemon through it
  const { report } = await mirrorClone(w, ['--tracker', `${base}/announce`, ...QUIET_NET, '--sources', 'torrent', w.originUrl, 'via-daemon-tracker'])
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.ok(report.bytes.swarm > 0, JSON.stringify(report.bytes))
})

/** Bytes as a query string value, every byte %-escaped. */
function escapeBytes (b: Buffer): string {
  return [...b].map(x => `%${x.toString(16).padStart(2, '0')}`).join('')
}

/** BEP 23 compact peers: 4 bytes of IPv4 address, 2 of port, each. */
function compactPeers (b: Buffer): Array<{ host: string, port: number }> {
  const peers = []
  for (let i = 0; i + 6 <= b.length; i += 6) peers.push({ host: [...b.subarray(i, i + 4)].join('.'), port: b.readUInt16BE(i + 4) })
  return peers
}
