// mirror-daemon --foreground: git-remote-daemon's line protocol through
// pipes. A republish noticed on PUSH (CHANGED with the new refs, then the
// new bundles seeded); PAUSE keeps every request off the origin until
// RESUME; RELOAD picks up added and removed remotes; garbage, a 10 MB line
// and unknown commands get ERROR lines and change nothing; end of input
// stops it. And a remote whose server hangs does not delay another.
import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { parseMessage } from '../../src/core/daemon-protocol.js'
import { startBin, type Running } from '../helpers/processes.js'
import { startSilentServer } from '../helpers/silent-server.js'
import { advance, publish, startSeeder, T } from './clone-support.js'
import { makeWorld, type World } from './world.js'

function startDaemon (w: World, extra: string[] = []): Running {
  return startBin('mirror-daemon', ['--foreground', '--interval', '600', '--timeout', '20', '--store', path.join(w.dir, 'daemon-store'), ...w.net, ...extra], { cwd: w.work, env: w.env, interactive: true })
}

/** Sends a line and waits for the first stdout line after it that matches. */
async function ask (d: Running, line: string, answer: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  const mark = d.lineCount()
  d.send(line)
  return await d.waitFor(answer, { stream: 'stdout', after: mark, timeoutMs })
}

/** A republish the maintainer's restarted seeder serves (it reads its store when it starts). */
async function republish (w: World, seeder: Running, name: string): Promise<{ published: any, seeder: Running }> {
  await advance(w, name, 32 << 10)
  const published = await publish(w)
  await seeder.stop('SIGINT')
  return { published, seeder: await startSeeder(w) }
}

test('mirror-daemon --foreground: CHANGED on PUSH after a republish, PAUSE and RESUME, RELOAD, ERROR lines for bad input, end of input stops it', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 128 << 10, branches: 1, tags: 1 } })
  await publish(w)
  let seeder = await startSeeder(w)
  t.after(async () => await seeder.stop('SIGINT'))
  const d = startDaemon(w)
  t.after(async () => await d.stop('SIGINT'))
  await d.waitFor(/^STATUS origin seeding 1 bundle\(s\)/, { stream: 'stdout', timeoutMs: 60_000 })

  // a republish, noticed when asked
  ;({ seeder } = await republish(w, seeder, 'one'))
  const changed = await ask(d, 'PUSH origin\n', /^CHANGED origin (.*)$/)
  assert.ok(changed[1]!.split(' ').includes('refs/mirrors/bundle/list'), changed[0])
  await d.waitFor(/^STATUS origin seeding 2 bundle\(s\)/, { stream: 'stdout', timeoutMs: 60_000 })

  // PAUSE: a republish and a PUSH meanwhile reach nothing; RESUME looks at once
  await ask(d, 'PAUSE\n', /^STATUS - paused/)
  ;({ seeder } = await republish(w, seeder, 'two'))
  w.server.resetStats()
  await ask(d, 'PUSH origin\n', /^STATUS origin checked once RESUMEd$/)
  await ask(d, 'BARRIER\n', /^ERROR - unknown command "BARRIER"$/)   // every line before it was handled
  assert.deepEqual(w.server.requests, [], 'no request reached the origin while paused')
  await ask(d, 'RESUME\n', /^CHANGED origin .*refs\/mirrors\/bundle\/list/)
  assert.ok(w.server.requests.length > 0)

  // bad input: an ERROR line each, and the daemon goes on
  const bad: Array<[string, RegExp]> = [
    ['hello world\n', /^ERROR - unknown command "hello"$/],
    ['PUSH\n', /^ERROR - PUSH takes one remote name$/],
    ['PUSH a b\n', /^ERROR - PUSH takes one remote name$/],
    ['pause\n', /^ERROR - unknown command "pause"$/],
    [`${'x'.repeat(10 << 20)}\n`, /^ERROR - a line over 4096 bytes$/],
    ['\n', /^ERROR - an empty line$/],
    ['PUSH nosuch\n', /^ERROR nosuch not a watched remote \(watching: origin\)$/]
  ]
  for (const [line, answer] of bad) await ask(d, line, answer)

  // RELOAD: a remote added, then removed
  await w.git(['remote', 'add', 'second', w.originUrl])
  await ask(d, 'RELOAD\n', /^STATUS - reloaded: watching origin, second$/)
  await d.waitFor(/^STATUS second seeding 3 bundle\(s\)/, { stream: 'stdout', timeoutMs: 60_000 })
  await w.git(['remote', 'remove', 'second'])
  await ask(d, 'RELOAD\n', /^STATUS second no longer watched$/)
  await d.waitFor(/^STATUS - reloaded: watching origin$/, { stream: 'stdout' })

  // stdout is the protocol alone
  for (const line of d.stdout().split('\n').filter(l => l !== '')) assert.notEqual(parseMessage(line), null, `a protocol line: ${line.slice(0, 100)}`)

  // end of input stops it
  d.endInput()
  const exit = await Promise.race([d.exited, new Promise<null>(resolve => setTimeout(() => resolve(null), 20_000).unref())])
  assert.deepEqual(exit === null ? null : exit.code, 0, 'it stopped with status 0 within 20 s of the end of input')
})

test('mirror-daemon: a remote whose server hangs does not delay CHANGED for another', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 1, binaryBytes: 64 << 10, branches: 1, tags: 1 } })
  await publish(w)
  let seeder = await startSeeder(w)
  t.after(async () => await seeder.stop('SIGINT'))
  const silent = await startSilentServer()
  t.after(async () => await silent.close())
  await w.git(['remote', 'add', 'hung', silent.url('project.git')])
  const d = startDaemon(w, ['--timeout', '120'])
  t.after(async () => await d.stop('SIGINT'))
  await d.waitFor(/^STATUS origin seeding 1 bundle\(s\)/, { stream: 'stdout', timeoutMs: 60_000 })
  // the hung remote's first look ends when its HTTP client gives up: from then on it is idle until asked
  await d.waitFor(/^ERROR hung /, { stream: 'stdout', timeoutMs: 150_000 })
  ;({ seeder } = await republish(w, seeder, 'one'))
  const asked = silent.connections
  const mark = d.lineCount()
  const outMark = d.stdout().split('\n').length - 1   // stdout's own lines so far
  d.send('PUSH hung\n')   // a look that hangs again
  d.send('PUSH origin\n')
  await d.waitFor(/^CHANGED origin /, { stream: 'stdout', after: mark, timeoutMs: 60_000 })
  assert.ok(silent.connections > asked, 'the hung remote was being asked again')
  assert.doesNotMatch(d.stdout().split('\n').slice(outMark).join('\n'), /^(ERROR|STATUS) hung/m, 'and had not answered: its look still hangs')
  await seeder.stop('SIGINT')
})

test('mirror-daemon in the background with mirror.daemon.action fetch: a new publish is noticed on its timer, seeded, and fetched into the repository', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 1, binaryBytes: 64 << 10, branches: 1, tags: 1 } })
  await publish(w)
  let seeder = await startSeeder(w)
  t.after(async () => await seeder.stop('SIGINT'))
  const clone = path.join(w.dir, 'contributor')
  await w.git(['clone', '-q', w.originUrl, clone], w.dir)
  await w.git(['config', 'mirror.daemon.action', 'fetch'], clone)
  await w.git(['config', 'mirror.daemon.interval', '1'], clone)
  const d = startBin('mirror-daemon', ['--timeout', '20', ...w.net], { cwd: clone, env: w.env })
  t.after(async () => await d.stop('SIGINT'))
  await d.waitFor(/^STATUS origin seeding 1 bundle\(s\)/, { stream: 'stderr', timeoutMs: 60_000 })
  assert.equal(d.stdout(), '', 'without --foreground stdout carries nothing')

  ;({ seeder } = await republish(w, seeder, 'one'))
  await d.waitFor(/^CHANGED origin .*refs\/mirrors\/bundle\/list/, { stream: 'stderr', timeoutMs: 60_000 })
  await d.waitFor(/^STATUS origin fetched: 1 increment\(s\) from the swarm$/, { stream: 'stderr', timeoutMs: 60_000 })
  assert.equal(await w.git(['rev-parse', 'refs/remotes/origin/main'], clone), await w.git(['rev-parse', 'HEAD']), 'the repository has the new commit')
  const exit = await d.stop('SIGTERM')
  assert.equal(exit.code, 0)
})

test('mirror-daemon: after a new base (a collapse), the bundles that left the list are seeded --grace longer, then dropped', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 1, binaryBytes: 64 << 10, branches: 1, tags: 1 } })
  const first = await publish(w)
  let seeder = await startSeeder(w)
  t.after(async () => await seeder.stop('SIGINT'))
  const d = startDaemon(w, ['--grace', '1'])
  t.after(async () => await d.stop('SIGINT'))
  await d.waitFor(/^STATUS origin seeding 1 bundle\(s\)/, { stream: 'stdout', timeoutMs: 60_000 })
  await advance(w, 'one', 32 << 10)
  const base = await publish(w, ['--max-increments', '0'])
  assert.notEqual(base.infoHash, first.infoHash)
  await seeder.stop('SIGINT')
  seeder = await startSeeder(w)
  await ask(d, 'PUSH origin\n', new RegExp(`^STATUS origin seeding 1 bundle\\(s\\): ${base.infoHash as string}$`))
  await d.waitFor(new RegExp(`^STATUS - no longer seeding ${(first.bundle.file as string).replace(/\./g, '\\.')}: it left every watched list$`), { stream: 'stdout', timeoutMs: 30_000 })
})

test('mirror-daemon: a download that failed is tried again at the next look; a restart seeds the store\'s bundles before any remote answers', T, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 1, binaryBytes: 64 << 10, branches: 1, tags: 1 } })
  await publish(w)
  // no seeder yet: the first download stalls and fails
  const d = startDaemon(w, ['--timeout', '3', '--interval', '2'])
  t.after(async () => await d.stop('SIGINT'))
  await d.waitFor(/^ERROR origin /, { stream: 'stdout', timeoutMs: 60_000 })
  const seeder = await startSeeder(w)
  t.after(async () => await seeder.stop('SIGINT'))
  await d.waitFor(/^STATUS origin seeding 1 bundle\(s\)/, { stream: 'stdout', timeoutMs: 60_000 })
  d.endInput()
  assert.equal((await d.exited).code, 0)
  await seeder.stop('SIGINT')

  // the origin gone: a restart still seeds what the store holds
  await w.server.close()
  const again = startDaemon(w)
  t.after(async () => await again.stop('SIGINT'))
  await again.waitFor(/^STATUS - seeding 1 bundle\(s\) from the store$/, { stream: 'stdout', timeoutMs: 30_000 })
  await again.waitFor(/^ERROR origin /, { stream: 'stdout', timeoutMs: 60_000 })
  assert.doesNotMatch(again.stdout(), /changed on disk/, 'nothing re-hashed')
})
