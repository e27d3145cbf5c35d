// Independent BitTorrent clients against ours, both ways (issue 13, item 8):
// qbittorrent-nox (libtorrent-rasterbar 2.0) and transmission-cli 3.00
// download a published bundle from mirror-seed byte for byte, and
// mirror-clone clones from each of them seeding it. Everything on 127.0.0.1
// with the world's tracker; DHT, LSD and PeX off everywhere.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { copyFile, mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { hasQbittorrent, startQbittorrent } from '../helpers/qbittorrent.js'
import { startTracker } from '../helpers/tracker.js'
import { hasTransmission, startTransmission } from '../helpers/transmission.js'
import { assertSameAsGitClone, mirrorClone, plainClone, publish, startSeeder } from './clone-support.js'
import { makeWorld, QUIET_NET, type World } from './world.js'

const SMALL = { binaryFiles: 3, binaryBytes: 512 << 10 }
const BOUND = { timeout: 180_000 }
const QBT = { ...BOUND, skip: hasQbittorrent() ? false : 'qbittorrent-nox is not installed (apt-get install -y qbittorrent-nox)' }
const TRANSMISSION = { ...BOUND, skip: hasTransmission() ? false : 'transmission-cli is not installed (apt-get install -y transmission-cli)' }

async function sha256 (file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex')
}

/** The published bundle copied into a fresh directory, where another client seeds it from. */
async function bundleIn (w: World, out: any, name: string): Promise<string> {
  const dir = path.join(w.dir, name)
  await mkdir(dir, { recursive: true })
  await copyFile(out.bundle.path, path.join(dir, out.bundle.file))
  return dir
}

async function cloneFromTheirSeed (w: World, t: { diagnostic: (s: string) => void }): Promise<void> {
  const { report, stderr } = await mirrorClone(w, [...w.net, '--sources', 'torrent', '--timeout', '30', w.originUrl, 'mine'])
  t.diagnostic(JSON.stringify(report.bytes))
  assert.equal(report.method, 'torrent', stderr)
  assert.ok(report.bytes.swarm > 0)
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')
}

test('qBittorrent downloads a bundle from mirror-seed, byte for byte', QBT, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const out = await publish(w)
  const seeder = await startSeeder(w)
  t.after(async () => await seeder.stop())
  const qbt = await startQbittorrent(path.join(w.dir, 'qbt'), { env: w.env })
  t.after(async () => await qbt.stop())
  const into = path.join(w.dir, 'qbt-downloads')
  await qbt.add(out.torrent, into)
  t.diagnostic(await qbt.waitComplete(out.infoHash, 60_000))
  assert.equal(await sha256(path.join(into, out.bundle.file)), await sha256(out.bundle.path))
})

test('mirror-clone clones from qBittorrent seeding the bundle', QBT, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const out = await publish(w)
  const qbt = await startQbittorrent(path.join(w.dir, 'qbt'), { env: w.env })
  t.after(async () => await qbt.stop())
  await qbt.add(out.torrent, await bundleIn(w, out, 'qbt-seed'))
  await qbt.waitComplete(out.infoHash, 30_000)   // checked, seeding
  await cloneFromTheirSeed(w, t)
})

test('transmission downloads a bundle from mirror-seed, byte for byte', TRANSMISSION, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  // transmission never dials 127.0.0.0/8 (a "martian" address to it), so on one machine the seeder connects to it,
  // once its next announce brings transmission's address: a tracker that asks for announces every 2 s
  const fast = await startTracker({ intervalMs: 2000 })
  t.after(async () => await fast.close())
  const net = ['--tracker', fast.announceUrl, ...QUIET_NET]
  const out = await publish(w, ['--tracker', fast.announceUrl])
  const seeder = await startSeeder(w, net)
  t.after(async () => await seeder.stop())
  const into = path.join(w.dir, 'tr-downloads')
  const tr = await startTransmission(out.torrent, into, { env: w.env, configDir: path.join(w.dir, 'tr-config') })
  t.after(async () => await tr.stop())
  await tr.waitSeeding(60_000)
  assert.equal(await sha256(path.join(into, out.bundle.file)), await sha256(out.bundle.path))
})

test('mirror-clone clones from transmission seeding the bundle', TRANSMISSION, async t => {
  const w = await makeWorld(t, { spec: SMALL })
  const out = await publish(w)
  const tr = await startTransmission(out.torrent, await bundleIn(w, out, 'tr-seed'), { env: w.env, configDir: path.join(w.dir, 'tr-config') })
  t.after(async () => await tr.stop())
  await tr.waitSeeding(30_000)
  await cloneFromTheirSeed(w, t)
})
