// The package as users get it: `npm run package` makes the tarball,
// `npm install -g --prefix` installs it from a cold npm cache, and
// `git mirror clone`, found on PATH in that prefix, clones from the loopback
// swarm; its man pages open with `git help` and `man`. Needs the npm registry
// (npm fetches node-datachannel's binary for this machine) and man (man-db).
import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { VERSION } from '../../src/core/version.js'
import { repoRoot, runProcess, type RunResult } from '../helpers/processes.js'
import { assertSameAsGitClone, plainClone, publish, startSeeder } from './clone-support.js'
import { makeWorld } from './world.js'

const NPM_TIMEOUT_MS = 240_000

test('the packed package installs with npm install -g and npx; git mirror clone from it comes from the swarm; its man pages open', { timeout: 900_000 }, async t => {
  const w = await makeWorld(t, { spec: { binaryFiles: 2, binaryBytes: 512 << 10, branches: 1, tags: 1 } })
  // npm with the caller's registry and proxy settings, a cold cache of its own, bounded waits
  const npmEnv = {
    ...process.env,
    npm_config_cache: path.join(w.dir, 'npm-cache'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_fetch_retries: '1',
    npm_config_fetch_timeout: '30000'
  }
  const npm = async (args: string[], env: NodeJS.ProcessEnv = npmEnv): Promise<RunResult> => await runProcess('npm', args, { cwd: w.dir, env, timeoutMs: NPM_TIMEOUT_MS })
  const ping = await runProcess('npm', ['ping'], { cwd: w.dir, env: npmEnv, timeoutMs: 60_000 })
  assert.equal(ping.code, 0, `the npm registry is unreachable (npm ping: ${ping.stderr.trim()}): this test installs the packed package, which fetches its platform binary from the registry`)

  let started = Date.now()
  const packed = await runProcess(process.execPath, [path.join(repoRoot(), 'dist', 'scripts', 'pack.js'), '--out', path.join(w.dir, 'pack')], { cwd: repoRoot(), env: process.env, timeoutMs: NPM_TIMEOUT_MS })
  assert.equal(packed.code, 0, packed.stderr)
  const tarball = packed.stdout.trim()
  const packSeconds = (Date.now() - started) / 1000
  const listing = await runProcess('tar', ['tzf', tarball], { cwd: w.dir, env: w.env })
  const files = listing.stdout.split('\n').filter(f => f !== '')
  assert.ok(files.includes('package/man/man1/git-mirror-clone.1') && files.includes('package/dist/src/cli/main.js'), files.slice(0, 20).join('\n'))
  assert.deepEqual(files.filter(f => /^package\/dist\/(test|bench|scripts|fixtures)\/|^package\/dist\/src\/.*\.map$|^package\/(src|test|bench|fixtures)\//.test(f)), [], 'no tests, benches, sources or source maps of ours')
  assert.deepEqual(files.filter(f => /\.node$|\/(utp-native|bufferutil|utf-8-validate|@node-datachannel)\//.test(f)), [], 'no native binary: npm picks the platform one')

  const prefix = path.join(w.dir, 'prefix')
  started = Date.now()
  const installed = await npm(['install', '-g', '--prefix', prefix, tarball])
  const installSeconds = (Date.now() - started) / 1000
  assert.equal(installed.code, 0, installed.stderr)
  assert.doesNotMatch(installed.stderr, /install scripts|allowScripts/, 'nothing installed runs an install script')
  t.diagnostic(`${path.basename(tarball)}: ${files.length} files; packed in ${packSeconds} s, installed in ${installSeconds} s`)

  const env = { ...w.env, PATH: `${path.join(prefix, 'bin')}${path.delimiter}${w.env.PATH ?? ''}`, MANPATH: path.join(prefix, 'share', 'man'), MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '80' }
  const run = async (cmd: string, args: string[], cwd = w.dir): Promise<RunResult> => await runProcess(cmd, args, { cwd, env, timeoutMs: 120_000 })
  const version = await run('git', ['mirror', '--version'])
  assert.equal(version.stdout.trim(), VERSION, version.stderr)

  await publish(w)
  const seeder = await startSeeder(w)
  const cloned = await run('git', ['mirror', 'clone', '--json', '--cache', path.join(w.dir, 'cache'), ...w.net, w.originUrl, 'mine'])
  assert.equal(cloned.code, 0, cloned.stderr)
  const report = JSON.parse(cloned.stdout)
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.doesNotMatch(cloned.stderr, /uTP not supported|node-datachannel/)
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')
  await seeder.stop('SIGINT')

  const hasMan = await run('man', ['--version']).catch(() => null)
  assert.ok(hasMan?.code === 0, 'man is needed to read the man pages (Debian: apt-get install -y man-db)')
  const clonePage = await run('git', ['help', '-m', 'mirror-clone'])
  assert.equal(clonePage.code, 0, clonePage.stderr)
  assert.match(clonePage.stdout, /GIT-MIRROR-CLONE\(1\)/)
  assert.match(clonePage.stdout, /--sources <list>/)
  assert.match(clonePage.stdout, /git mirror clone --seed URL/)
  const mirrorPage = await run('git', ['mirror', '--help'])   // git turns it into `git help mirror`: the page git-mirror(1)
  assert.equal(mirrorPage.code, 0, mirrorPage.stderr)
  assert.match(mirrorPage.stdout, /GIT-MIRROR\(1\)[\s\S]*clone \[options\] <url> \[directory\]/)
  const ownPage = await run('man', ['mirror-clone'])
  assert.match(ownPage.stdout, /MIRROR-CLONE\(1\)[\s\S]*mirror-clone \[options\] <url>/)

  // npx runs the bin named after the package, git-mirror's alias; an absolute tarball path would be taken for a command
  const npx = await runProcess('npx', ['--yes', `./${path.relative(w.dir, tarball)}`, '--version'], { cwd: w.dir, env: npmEnv, timeoutMs: NPM_TIMEOUT_MS })
  assert.equal(npx.stdout.trim(), VERSION, npx.stderr)
})
