// The browser clone (issue 18) in headless Chromium (Debian's chromium,
// driven by playwright-core) on loopback: mirror-daemon --http --webrtc
// serves the page at /clone/ and seeds the published bundle to WebRTC
// peers through its own WebSocket tracker. The page clones from WebRTC
// alone and from the daemon's web seed alone, and shows the origin's refs,
// log and files; a screenshot is taken and what it shows asserted. A wrong
// key and a tampered bundle are refused in the page with the very messages
// mirror-clone gives. mirror-seed --webrtc seeds to the page as well. A
// BEP 46 magnet is found through the daemon's DHT node (a private DHT).
// BROWSER_CLONE_SCREENSHOTS=/dir keeps copies of the screenshots.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { copyFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { test, type TestContext } from 'node:test'
import { chromium, type Browser, type Page } from 'playwright-core'
import { startBin, type Running } from '../helpers/processes.js'
import { CLONE_ENDED, clonePageShows, type ClonePageShows } from '../helpers/clone-page.js'
import { startDht } from '../helpers/dht.js'
import { publish, startSeeder, T } from './clone-support.js'
import { dropRecord, forgePublish, genuineOf, keyedWorld, NEEDS_ARIA2, tamperPack, trustedClone } from './signed-support.js'
import { makeWorld, type World } from './world.js'

const CHROMIUM = '/usr/bin/chromium'

async function launch (t: TestContext): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is needed for the browser clone test (apt-get install -y --no-install-recommends chromium)`)
  const browser = await chromium.launch({ executablePath: CHROMIUM, timeout: 30_000 })
  t.after(async () => await browser.close())
  return browser
}

/** mirror-daemon --http watching the world's origin; resolves once it seeds what the origin publishes. */
async function startDaemon (t: TestContext, w: World, extra: string[], net = w.net): Promise<{ d: Running, base: string }> {
  const d = startBin('mirror-daemon', ['--foreground', '--interval', '600', '--timeout', '20', '--store', path.join(w.dir, 'daemon-store'), '--http', '127.0.0.1:0', ...extra, ...net], { cwd: w.work, env: w.env, interactive: true })
  t.after(async () => await d.stop('SIGINT'))
  const base = (await d.waitFor(/^STATUS - http (http:\/\/127\.0\.0\.1:\d+)$/, { stream: 'stdout', timeoutMs: 30_000 }))[1]!
  await d.waitFor(/^STATUS origin seeding 1 bundle\(s\)/, { stream: 'stdout', timeoutMs: 60_000 })
  return { d, base }
}

/** The origin's refs as git ls-remote lists them, HEAD included, its records and peeled tags left out: what the page must show. */
async function originRefs (w: World): Promise<string[][]> {
  return (await w.git(['ls-remote', w.originUrl])).trim().split('\n').map(l => l.split('\t').reverse()).filter(([name]) => !name!.startsWith('refs/mirrors/') && !name!.endsWith('^{}')).sort()
}

/** Opens the page in a fresh context (its own IndexedDB), clicks Clone and waits for the end; returns what the page shows. */
async function cloneInPage (browser: Browser, url: string): Promise<{ page: Page, shown: ClonePageShows }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', e => errors.push(e.message))
  await page.goto(url)
  await page.click('#clone')
  await page.waitForSelector(CLONE_ENDED, { timeout: 90_000 })
  const shown = await clonePageShows(page)
  assert.deepEqual(errors, [], 'no uncaught error in the page')
  return { page, shown }
}

async function screenshot (page: Page, w: World, name: string): Promise<string> {
  const file = path.join(w.dir, `${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  assert.ok((await stat(file)).size > 20_000, 'the screenshot has content')
  const keep = process.env.BROWSER_CLONE_SCREENSHOTS
  if (keep !== undefined) await copyFile(file, path.join(keep, `${name}.png`))
  return file
}

/** What the page shows after a clone equals the origin: its refs (HEAD included), the log of HEAD, the files of HEAD. */
async function assertShowsOrigin (w: World, page: Page, shown: ClonePageShows): Promise<void> {
  assert.equal(shown.state, 'done', shown.text)
  assert.deepEqual([...shown.refs].sort(), await originRefs(w))
  const log = (await w.git(['log', '--format=%s', '-50', 'HEAD'], w.origin)).trim().split('\n')
  assert.deepEqual(shown.log.map(l => l.split(': ').slice(1).join(': ')), log)
  const files = (await w.git(['ls-tree', '-r', '--name-only', 'HEAD'], w.origin)).trim().split('\n').map(f => path.basename(f)).sort()
  assert.deepEqual([...shown.files].sort(), files)
  // what a person sees: the result is on screen, with the table's first ref and a log line
  assert.ok(await page.locator('#result').isVisible())
  assert.ok(await page.getByRole('cell', { name: 'refs/heads/main', exact: true }).isVisible())
  assert.ok(await page.locator('#log li').first().isVisible())
}

test('browser clone: Chromium clones a signed publish from the daemon over WebRTC alone, then from its web seed alone; a wrong key and a tampered bundle are refused as mirror-clone refuses them', NEEDS_ARIA2, async t => {
  const { w, key } = await keyedWorld(t)
  const pub = await publish(w)
  const genuine = await genuineOf(pub)
  const seeder = await startSeeder(w)
  t.after(async () => await seeder.stop('SIGINT'))
  const { d, base } = await startDaemon(t, w, ['--webrtc'])
  await seeder.stop('SIGINT')   // the daemon is the only peer and the only web seed left
  const browser = await launch(t)
  const q = (o: Record<string, string>): string => `${base}/clone/?${new URLSearchParams({ remote: 'origin', ...o }).toString()}`

  const rtc = await cloneInPage(browser, q({ key: key.publicKey, webseeds: '0' }))
  await assertShowsOrigin(w, rtc.page, rtc.shown)
  assert.equal(rtc.shown.summary['From web seeds'], '0.0 KiB')
  assert.match(rtc.shown.summary['From WebRTC peers']!, /^\d+\.\d (KiB|MiB) \([1-9]\d* peers?\)$/)
  assert.match(rtc.shown.summary.Signed!, /^push object 1 \(/)
  await screenshot(rtc.page, w, 'browser-clone-webrtc')

  const web = await cloneInPage(browser, q({ key: key.publicKey, peers: '0' }))
  await assertShowsOrigin(w, web.page, web.shown)
  assert.match(web.shown.summary['From WebRTC peers']!, /^0\.0 KiB \(0 peers\)$/)
  assert.notEqual(web.shown.summary['From web seeds'], '0.0 KiB')
  await screenshot(web.page, w, 'browser-clone-webseed')

  // a key that did not sign it: refused in the page as mirror-clone refuses it
  const keygen = await w.run('mirror-keygen', ['--json', '--file', path.join(w.dir, 'stranger')])
  assert.equal(keygen.code, 0, keygen.stderr)
  const stranger = JSON.parse(keygen.stdout).publicKey as string
  const wrong = await cloneInPage(browser, q({ key: stranger }))
  const cliWrong = await trustedClone({ w, key: { publicKey: stranger } }, 'wrong-key')
  assert.equal(wrong.shown.state, 'failed')
  assert.equal(wrong.shown.code, 'VERIFY_FAILED')
  assert.match(wrong.shown.text, /^push object refused \(untrusted-key\): /)
  assert.equal(wrong.shown.text, cliWrong.report.fallbackReason, 'the same reason as mirror-clone')
  await screenshot(wrong.page, w, 'browser-clone-wrong-key')

  // the genuine push object over a tampered bundle, which the daemon (trusting no key) downloads and seeds
  const tampered = tamperPack(genuine.bundle)
  const forged = await forgePublish(t, w, 'project-tampered', { bundle: tampered, push: genuine.push, pushRecord: true })
  await dropRecord(w, 'refs/mirrors/bundle/list')
  d.send('PUSH origin\n')
  await d.waitFor(new RegExp(`^STATUS origin seeding 1 bundle\\(s\\): ${forged.infoHash}$`), { stream: 'stdout', timeoutMs: 60_000 })
  const bad = await cloneInPage(browser, q({ key: key.publicKey }))
  const cliBad = await trustedClone({ w, key }, 'tampered')
  assert.equal(bad.shown.state, 'failed')
  assert.equal(bad.shown.code, 'VERIFY_FAILED')
  assert.match(bad.shown.text, /^push object refused \(bundle-digest\): /)
  assert.equal(bad.shown.text, cliBad.report.fallbackReason, 'the same reason as mirror-clone')
  assert.equal(await bad.page.locator('#result').isVisible(), false, 'nothing is shown as cloned')
})

test('browser clone: mirror-seed --webrtc seeds to the page through a WebSocket tracker; without a trusted key an unsigned publish is taken as it is', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 128 << 10, branches: 2, tags: 2 } })
  await publish(w)
  const seeder = await startSeeder(w)
  t.after(async () => await seeder.stop('SIGINT'))
  const { base } = await startDaemon(t, w, [])   // no --webrtc: the daemon serves the page and the tracker, and no WebRTC peer
  await seeder.stop('SIGINT')
  const webrtcSeeder = await startSeeder(w, [...w.net.filter((_, i, a) => a[i - 1] !== '--tracker' && _ !== '--tracker'), '--tracker', `${base.replace(/^http/, 'ws')}/announce`, '--webrtc'])
  t.after(async () => await webrtcSeeder.stop('SIGINT'))
  const browser = await launch(t)
  const { page, shown } = await cloneInPage(browser, `${base}/clone/?remote=origin&webseeds=0`)
  await assertShowsOrigin(w, page, shown)
  assert.equal(shown.summary.Signed, 'not checked (no trusted key given)')
  assert.match(shown.summary['From WebRTC peers']!, /\(1 peer\)$/)
  await screenshot(page, w, 'browser-clone-mirror-seed')
})

test('browser clone: a BEP 46 magnet, its pointer got by the daemon\'s DHT node and its signature checked in the page, the magnet\'s key the one trusted', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 128 << 10 } })
  const dht = await startDht({ nodes: 4 })
  t.after(async () => await dht.close())
  const net = ['--tracker', w.tracker.announceUrl, '--dht-bootstrap', dht.bootstrap, '--no-lsd', '--no-upnp']
  assert.equal((await w.run('mirror-keygen', ['--json'])).code, 0)
  const published = await w.run('mirror-publish', ['--json', ...net])   // not publish(): w.net has --no-dht, and the pointer is put on the DHT
  assert.equal(published.code, 0, published.stderr)
  const magnet = JSON.parse(published.stdout).pointer.magnet as string
  assert.match(magnet, /^magnet:\?xs=urn:btpk:/)
  const seeder = await startSeeder(w, net)
  t.after(async () => await seeder.stop('SIGINT'))
  const { base } = await startDaemon(t, w, ['--webrtc'], net)
  await seeder.stop('SIGINT')
  const browser = await launch(t)
  const { page, shown } = await cloneInPage(browser, `${base}/clone/?${new URLSearchParams({ remote: magnet, webseeds: '0' }).toString()}`)
  await assertShowsOrigin(w, page, shown)
  assert.match(shown.summary.Signed!, /^push object 1 \(/)
  assert.match(shown.summary['From WebRTC peers']!, /\(1 peer\)$/)
  await screenshot(page, w, 'browser-clone-magnet')
})
