// npm run demo: the publisher side end to end on 127.0.0.1, nothing public.
// A generated repository behind a real smart-HTTP git server, an embedded
// tracker, mirror-publish and mirror-seed, then a second machine (mirror-seed
// <origin-url> into another store) and, when installed, aria2c download the
// bundle from the swarm. It prints what the origin sent and what came from peers.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { formatBytes } from '../src/core/format.js'
import { makeRepo } from '../fixtures/make-repo.js'
import { aria2Download, hasAria2 } from '../test/helpers/aria2.js'
import { git, makeTestEnv } from '../test/helpers/env.js'
import { startGitServer } from '../test/helpers/git-server.js'
import { killAll, runBin, startBin } from '../test/helpers/processes.js'
import { startTracker } from '../test/helpers/tracker.js'

const say = (s: string): void => { process.stdout.write(`${s}\n`) }
const step = (s: string): void => say(`\n== ${s}`)

async function main (): Promise<void> {
  const te = await makeTestEnv('gtm-demo-')
  const { env, dir } = te
  const root = path.join(dir, 'srv')
  const servers: Array<{ close: () => Promise<void> }> = []
  try {
    step('a repository on a local origin (git http-backend on 127.0.0.1)')
    await makeRepo(path.join(root, 'project.git'), { commits: 40, binaryFiles: 6, binaryBytes: 2 << 20 }, { env, bare: true })
    const server = await startGitServer({ root, env })
    servers.push(server)
    const tracker = await startTracker()
    servers.push(tracker)
    const originUrl = server.url('project.git')
    const net = ['--tracker', tracker.announceUrl, '--no-dht', '--no-lsd', '--no-upnp']
    say(`origin:  ${originUrl}\ntracker: ${tracker.announceUrl}`)

    const work = path.join(dir, 'maintainer')
    server.resetStats()
    await git(['clone', '--quiet', originUrl, work], { cwd: dir, env })
    const plainClone = server.bytesSent
    say(`a plain git clone made the origin send ${formatBytes(plainClone)}`)

    step('maintainer: mirror-publish')
    const pub = await runBin('mirror-publish', [...net], { cwd: work, env, timeoutMs: 120_000 })
    process.stdout.write(pub.stdout)
    if (pub.code !== 0) throw new Error(`mirror-publish failed:\n${pub.stderr}`)

    step('maintainer: mirror-seed')
    const seeder = startBin('mirror-seed', [...net, '--status-interval', '2'], { cwd: work, env })
    await seeder.waitFor(/^seeding \d+ bundle/, { stream: 'stderr' })
    say('seeding')

    step('a second machine: mirror-seed <origin-url> into its own store, from the swarm')
    server.resetStats()
    const ci = await runBin('mirror-seed', [originUrl, '--store', path.join(dir, 'second-machine'), '--duration', '3', '--json', '--quiet', ...net],
      { cwd: dir, env, timeoutMs: 120_000 })
    if (ci.code !== 0) throw new Error(`mirror-seed <url> failed:\n${ci.stderr}`)
    const ready = ci.stdout.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l)).find(e => e.event === 'ready')
    const originSent = server.bytesSent
    say(`bundle ${ready.file.split('/').pop()} (${formatBytes(ready.size)})`)
    say(`  from peers:     ${formatBytes(ready.downloaded.fromPeers)}`)
    say(`  from web seeds: ${formatBytes(ready.downloaded.fromWebSeeds)}`)
    say(`  from the origin: ${formatBytes(originSent)} (the refs/mirrors/bundle/* records only)`)

    if (hasAria2()) {
      step('an independent client: aria2c downloads the bundle from the swarm')
      const got = await aria2Download(`${ready.file}.torrent`, path.join(dir, 'aria2'), { env, timeoutMs: 120_000 })
      const same = Buffer.compare(await readFile(got.file), await readFile(ready.file)) === 0
      say(`aria2c got ${formatBytes(ready.size)}, ${same ? 'byte-identical to' : 'DIFFERENT from'} the published bundle`)
      if (!same) throw new Error('aria2c downloaded different bytes')
    } else {
      say('\n(aria2c is not installed: apt-get install -y aria2 adds an independent client to this demo)')
    }

    await seeder.stop('SIGTERM')
    step('summary')
    say(`plain git clone:          origin sent ${formatBytes(plainClone)}`)
    say(`bundle through the swarm: origin sent ${formatBytes(originSent)}, peers sent ${formatBytes(ready.downloaded.fromPeers)}`)
    say(seeder.stdout().trim())
    say('\n(the clone side, mirror-clone, completes from the origin after the swarm: next release)')
  } finally {
    await killAll()
    for (const s of servers.reverse()) await s.close()
    await te.cleanup()
  }
}

main().catch(err => {
  process.stderr.write(`demo failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exitCode = 1
})
