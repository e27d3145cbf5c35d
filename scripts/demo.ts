// npm run demo [-- --size 64M] [-- --signed]: the whole job end to end on 127.0.0.1,
// nothing public. A generated repository behind a real smart-HTTP git server,
// an embedded tracker, mirror-publish and mirror-seed; a contributor's
// mirror-clone, checked against a plain git clone; a second machine
// (mirror-seed <origin-url> into another store) and, when installed, aria2c
// download the bundle from the swarm. It prints what the origin sent for each.
// --signed: the maintainer signs (mirror-keygen) and puts a DHT pointer on a
// private DHT, anyone clones by the key alone with the origin gone; the contributor and the
// second machine trust the key and verify the push object.
import { mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { formatBytes, parseSize } from '../src/core/format.js'
import { makeRepo } from '../fixtures/make-repo.js'
import { aria2Download, hasAria2 } from '../test/helpers/aria2.js'
import { git, makeTestEnv } from '../test/helpers/env.js'
import { startGitServer } from '../test/helpers/git-server.js'
import { killAll, runBin, startBin } from '../test/helpers/processes.js'
import { startTracker } from '../test/helpers/tracker.js'
import { startDht } from '../test/helpers/dht.js'

const say = (s: string): void => { process.stdout.write(`${s}\n`) }
const step = (s: string): void => say(`\n== ${s}`)

/** --size N: the generated repository's incompressible content (default 12M). */
function sizeArgument (): number {
  const i = process.argv.indexOf('--size')
  const size = i === -1 ? 12 * 2 ** 20 : parseSize(process.argv[i + 1] ?? '')
  if (size === null || size < 2 ** 20) throw new Error('--size takes a size of at least 1M, e.g. 64M')
  return size
}

async function main (): Promise<void> {
  const size = sizeArgument()
  const signed = process.argv.includes('--signed')
  const binaryFiles = Math.max(1, Math.ceil(size / (8 * 2 ** 20)))
  const te = await makeTestEnv('gtm-demo-')
  const { env, dir } = te
  const root = path.join(dir, 'srv')
  const servers: Array<{ close: () => Promise<void> }> = []
  try {
    step('a repository on a local origin (git http-backend on 127.0.0.1)')
    await makeRepo(path.join(root, 'project.git'), { commits: 40, binaryFiles, binaryBytes: Math.floor(size / binaryFiles) }, { env, bare: true })
    const server = await startGitServer({ root, env })
    servers.push(server)
    const tracker = await startTracker()
    servers.push(tracker)
    const originUrl = server.url('project.git')
    // signed: a private DHT on 127.0.0.1 carries the publisher's pointer (never the public one)
    const dht = signed ? await startDht({ nodes: 4 }) : null
    if (dht !== null) servers.push(dht)
    const net = ['--tracker', tracker.announceUrl, ...(dht === null ? ['--no-dht'] : ['--dht-bootstrap', dht.bootstrap]), '--no-lsd', '--no-upnp']
    say(`origin:  ${originUrl}\ntracker: ${tracker.announceUrl}${dht === null ? '' : `\nDHT:     ${dht.bootstrap} (private, ${dht.nodes.length} nodes)`}`)

    const plain = path.join(dir, 'plain-clone')
    server.resetStats()
    await git(['clone', '--quiet', originUrl, plain], { cwd: dir, env })
    const plainClone = server.bytesSent
    const work = path.join(dir, 'maintainer')
    await git(['clone', '--quiet', originUrl, work], { cwd: dir, env })
    say(`a plain git clone made the origin send ${formatBytes(plainClone)}`)

    if (signed) {
      step('maintainer: mirror-keygen')
      const kg = await runBin('mirror-keygen', [], { cwd: work, env, timeoutMs: 30_000 })
      if (kg.code !== 0) throw new Error(`mirror-keygen failed:\n${kg.stderr}`)
      process.stderr.write(kg.stderr)
      const key = kg.stdout.trim()
      say(key)
      step('contributors: trust that key for this origin')
      say(`$ git config --global --add mirror.${originUrl}.trustedKey "${key}"`)
      await git(['config', '--global', '--add', `mirror.${originUrl}.trustedKey`, key], { cwd: dir, env })
    }

    step('maintainer: mirror-publish')
    const pub = await runBin('mirror-publish', [...net], { cwd: work, env, timeoutMs: 120_000 })
    process.stdout.write(pub.stdout)
    if (pub.code !== 0) throw new Error(`mirror-publish failed:\n${pub.stderr}`)

    step('maintainer: mirror-seed')
    const seeder = startBin('mirror-seed', [...net, '--status-interval', '2'], { cwd: work, env })
    await seeder.waitFor(/^seeding \d+ bundle/, { stream: 'stderr' })
    say('seeding')

    step('a contributor: mirror-clone <origin-url>')
    server.resetStats()
    // a clone as a newcomer makes one: in a directory of its own, with a cache of its own
    const mirrorClone = async (where: string, url: string): Promise<string> => {
      const cwd = path.join(dir, where)
      await mkdir(cwd)
      const args = [...net, '--cache', path.join(cwd, 'cache'), url, 'project']
      say(`$ mirror-clone ${args.join(' ')}`)
      const r = await runBin('mirror-clone', args, { cwd, env, timeoutMs: 300_000 })
      process.stderr.write(r.stderr)
      process.stdout.write(r.stdout)
      if (r.code !== 0) throw new Error(`mirror-clone ${url} failed:\n${r.stderr}`)
      return cwd
    }
    const contributor = await mirrorClone('contributor', originUrl)
    const cloneOriginSent = server.bytesSent
    const state = async (repo: string): Promise<string> => {
      const r = async (args: string[]): Promise<string> => await git(args, { cwd: repo, env })
      return [await r(['for-each-ref']), await r(['symbolic-ref', 'HEAD']), await r(['config', '--local', '--list']), await r(['status', '--porcelain'])].join('\n')
    }
    const same = await state(path.join(contributor, 'project')) === await state(plain)
    say(`the origin sent ${formatBytes(cloneOriginSent)} for it (${(100 * cloneOriginSent / plainClone).toFixed(2)}% of a plain clone)`)
    say(`refs, HEAD, remote config and work tree ${same ? 'equal' : 'DIFFER FROM'} those of a plain git clone`)
    if (!same) throw new Error('mirror-clone differs from git clone')

    step('a second machine: mirror-seed <origin-url> into its own store, from the swarm')
    server.resetStats()
    const ci = await runBin('mirror-seed', [originUrl, '--store', path.join(dir, 'second-machine'), '--duration', '10', '--json', '--quiet', ...net],
      { cwd: dir, env, timeoutMs: 120_000 })
    if (ci.code !== 0) throw new Error(`mirror-seed <url> failed:\n${ci.stderr}`)
    const ready = ci.stdout.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l)).find(e => e.event === 'ready')
    const originSent = server.bytesSent
    say(`bundle ${ready.file.split('/').pop()} (${formatBytes(ready.size)})${ready.pushObject === null ? '' : `, push object ${(ready.pushObject as string).slice(0, 16)}... verified`}`)
    say(`  from peers:     ${formatBytes(ready.downloaded.fromPeers)}`)
    say(`  from web seeds: ${formatBytes(ready.downloaded.fromWebSeeds)}`)
    say(`  from the origin: ${formatBytes(originSent)} (the refs/mirrors/* records only)`)

    if (hasAria2()) {
      step('an independent client: aria2c downloads the bundle from the swarm')
      const got = await aria2Download(ready.torrent, path.join(dir, 'aria2'), { env, timeoutMs: 120_000 })
      const gotBundle = ready.pushObject === null ? got.file : path.join(got.file, path.basename(ready.file))   // signed: a folder
      const same = Buffer.compare(await readFile(gotBundle), await readFile(ready.file)) === 0
      say(`aria2c got ${formatBytes(ready.size)}, ${same ? 'byte-identical to' : 'DIFFERENT from'} the published bundle`)
      if (!same) throw new Error('aria2c downloaded different bytes')
    } else {
      say('\n(aria2c is not installed: apt-get install -y aria2 adds an independent client to this demo)')
    }

    const magnet = /^pointer: +(magnet:\S+)/m.exec(pub.stdout)?.[1]
    if (signed) {
      if (magnet === undefined) throw new Error('a signed publish printed no pointer')
      step('anyone with the key: mirror-clone <BEP 46 magnet>, with the origin gone')
      await server.close()
      const byKey = await mirrorClone('by-key', magnet)
      const refs = async (repo: string): Promise<string> => await git(['for-each-ref', '--format=%(objectname) %(refname)'], { cwd: repo, env })
      const sameRefs = await refs(path.join(byKey, 'project')) === await refs(plain)
      say(`with the origin gone, refs ${sameRefs ? 'equal' : 'DIFFER FROM'} those of the plain git clone; verified by the push object's signature`)
      if (!sameRefs) throw new Error('mirror-clone <magnet> differs from git clone')
    }

    await seeder.stop('SIGTERM')
    step('summary')
    say(`plain git clone:          origin sent ${formatBytes(plainClone)}`)
    say(`mirror-clone:             origin sent ${formatBytes(cloneOriginSent)}`)
    say(`bundle through the swarm: origin sent ${formatBytes(originSent)}, peers sent ${formatBytes(ready.downloaded.fromPeers)}`)
    say(seeder.stdout().trim())
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
