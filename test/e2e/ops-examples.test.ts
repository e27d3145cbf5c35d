// The operations recipes users copy: examples/systemd/mirror-daemon.service
// and examples/container/Containerfile. The unit is parsed as systemd reads
// it (sections, key=value, continuations, lists reset by an empty value) and
// checked by systemd-analyze itself when it is installed (verify, with the
// man page the Documentation= line names, and the exposure score of its
// hardening); the Containerfile's instructions are parsed and every file,
// executable, option and path they name is checked against this checkout.
// Neither is run here: that needs a systemd as PID 1 and a container
// engine, which the test machines do not have.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { programCommand } from '../../src/cli/main.js'
import { writeManPages } from '../../scripts/man-pages.js'
import { binPath, repoRoot } from '../helpers/processes.js'

const UNIT = path.join(repoRoot(), 'examples', 'systemd', 'mirror-daemon.service')
const CONTAINERFILE = path.join(repoRoot(), 'examples', 'container', 'Containerfile')

interface Pkg { name: string, version: string, bin: Record<string, string>, scripts: Record<string, string>, engines: { node: string } }

async function pkg (): Promise<Pkg> {
  return JSON.parse(await readFile(path.join(repoRoot(), 'package.json'), 'utf8')) as Pkg
}

/**
 * A unit file as systemd reads it: `[Section]` headers, `Key=Value` lines,
 * `#` and `;` comments, a trailing backslash continuing a line. A key set
 * again adds to its list; set to nothing, it empties the list.
 */
export function parseUnit (text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>()
  let current: Map<string, string[]> | null = null
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`
    const header = /^\[([^\]]+)\]$/.exec(line)
    if (header !== null) {
      current = sections.get(header[1]!) ?? new Map()
      sections.set(header[1]!, current)
      continue
    }
    const eq = line.indexOf('=')
    if (eq <= 0) throw new Error(`line ${i + 1}: neither a section nor key=value: ${line}`)
    if (current === null) throw new Error(`line ${i + 1}: ${line} before any section`)
    const key = line.slice(0, eq).trim()
    const value = line.slice(eq + 1).trim()
    current.set(key, value === '' ? [] : [...(current.get(key) ?? []), value])
  }
  return sections
}

test('parseUnit reads sections, lists, resets, comments and continuations as systemd does', () => {
  const u = parseUnit('# c\n[Unit]\nA=1\n; c\n[Service]\nB=x\nB=y\nC=z\nC=\nD=one \\\n  two\n[Unit]\nE=2\n')
  assert.deepEqual([...u.keys()], ['Unit', 'Service'])
  assert.deepEqual(Object.fromEntries(u.get('Unit')!), { A: ['1'], E: ['2'] })
  assert.deepEqual(Object.fromEntries(u.get('Service')!), { B: ['x', 'y'], C: [], D: ['one  two'] })
  assert.throws(() => parseUnit('A=1\n'), /before any section/)
  assert.throws(() => parseUnit('[Unit]\nnonsense\n'), /neither a section nor key=value/)
})

/** Whether commander accepts `args` as mirror-daemon's options: none unknown, no operand. */
function assertDaemonOptions (args: string[], where: string): void {
  const { operands, unknown } = programCommand('mirror-daemon').parseOptions(args)
  assert.deepEqual({ operands, unknown }, { operands: [], unknown: [] }, `${where}: ${args.join(' ')} are mirror-daemon options`)
}

/** The repository paths a file's comments point to (docs/..., examples/...): each must exist. */
function assertNamedPathsExist (text: string, where: string): void {
  const named = [...text.matchAll(/\b((?:docs|examples)\/[\w./-]*\w)/g)].map(m => m[1]!)
  assert.ok(named.length > 0, `${where} points to its documentation`)
  for (const p of named) assert.ok(existsSync(path.join(repoRoot(), p)), `${where} names ${p}, which does not exist`)
}

/** systemd's time span (30s, 1min 30s, 2min, a bare number of seconds), in seconds. */
function seconds (span: string): number {
  const units: Record<string, number> = { '': 1, s: 1, sec: 1, m: 60, min: 60, h: 3600 }
  let total = 0
  for (const m of span.matchAll(/(\d+)\s*([a-z]*)/g)) {
    const unit = units[m[2]!]
    assert.ok(unit !== undefined, `a time span: ${span}`)
    total += Number(m[1]) * unit
  }
  return total
}

test('examples/systemd/mirror-daemon.service runs mirror-daemon in the repository as a dedicated user, restarts on failure, stops with SIGTERM, and its hardening leaves the repository writable', async () => {
  const text = await readFile(UNIT, 'utf8')
  const unit = parseUnit(text)
  assert.deepEqual([...unit.keys()], ['Unit', 'Service', 'Install'])
  const s = unit.get('Service')!
  const one = (key: string): string => {
    const v = s.get(key)
    assert.equal(v?.length, 1, `[Service] ${key}= set once: ${JSON.stringify(v)}`)
    return v![0]!
  }
  // ExecStart: the package's mirror-daemon, by absolute path, with options it knows
  const [exe, ...args] = one('ExecStart').replace(/^[-@:+!]+/, '').split(/\s+/)
  assert.ok(path.isAbsolute(exe!), `ExecStart= takes an absolute path: ${exe}`)
  assert.equal(path.basename(exe!), 'mirror-daemon')
  assert.ok(Object.hasOwn((await pkg()).bin, 'mirror-daemon'), 'package.json installs mirror-daemon')
  assertDaemonOptions(args, 'ExecStart')
  // in the repository, as someone else than root
  const dir = one('WorkingDirectory')
  assert.ok(path.isAbsolute(dir), dir)
  const user = one('User')
  assert.ok(!['root', '0'].includes(user), `User=${user}`)
  // restarted when it fails, stopped by SIGTERM with time to spare
  assert.equal(one('Restart'), 'on-failure')
  assert.equal(one('KillSignal'), 'SIGTERM')
  assert.ok(seconds(one('TimeoutStopSec')) >= 10, `TimeoutStopSec=${one('TimeoutStopSec')}: at least the 10 s e2e/daemon-ops allows a stop`)
  // hardened, with the repository (its store inside) still writable
  assert.equal(one('NoNewPrivileges'), 'yes')
  assert.equal(one('ProtectSystem'), 'strict')
  assert.equal(one('PrivateTmp'), 'yes')
  assert.ok(s.get('ReadWritePaths')!.flatMap(v => v.split(/\s+/)).includes(dir), `ReadWritePaths= holds the repository ${dir}`)
  assert.ok(!(s.get('MemoryDenyWriteExecute') ?? []).includes('yes'), 'node\'s JIT needs writable, executable memory')
  if (['yes', 'true', 'read-only', 'tmpfs'].includes(s.get('ProtectHome')?.[0] ?? 'no')) assert.ok(!/^\/(home|root|run\/user)(\/|$)/.test(dir), `ProtectHome hides ${dir}`)
  assertNamedPathsExist(text, 'the unit')
})

test('systemd-analyze verifies the unit (its command pointed at this checkout\'s mirror-daemon) and rates its exposure OK', async t => {
  if (spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status !== 0) {
    t.skip('systemd-analyze is not installed here (Debian: the systemd package): the unit was parsed and checked above, not verified by systemd')
    return
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gtm-unit-'))
  t.after(async () => await rm(dir, { recursive: true, force: true }))
  // verify checks that ExecStart= can be run: the one line changed is its path, to this checkout's executable
  const text = await readFile(UNIT, 'utf8')
  const copy = path.join(dir, 'mirror-daemon.service')
  const exec = /^ExecStart=(\S+)/m.exec(text)![1]!
  await writeFile(copy, text.replace(`ExecStart=${exec}`, `ExecStart=${binPath('mirror-daemon')}`))
  // and that the Documentation= man page opens: the package's own pages, as it installs them
  const hasMan = spawnSync('man', ['--version'], { stdio: 'ignore' }).status === 0
  if (hasMan) await writeManPages(path.join(dir, 'man'))
  else t.diagnostic('man is not installed (Debian: man-db): the Documentation= man page was not checked')
  const env = { ...process.env, MANPATH: path.join(dir, 'man'), SYSTEMD_LOG_COLOR: '0' }
  const verify = spawnSync('systemd-analyze', ['verify', `--man=${hasMan ? 'yes' : 'no'}`, copy], { env, encoding: 'utf8', timeout: 60_000 })
  assert.equal(verify.status, 0, `systemd-analyze verify:\n${verify.stdout}${verify.stderr}`)
  assert.equal(verify.stderr.trim(), '', 'no warning either')
  const security = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', copy], { env, encoding: 'utf8', timeout: 60_000 })
  const level = /Overall exposure level for mirror-daemon\.service: (\d+(?:\.\d+)?)/.exec(security.stdout)
  assert.ok(level !== null, `systemd-analyze security --offline=true:\n${security.stdout}${security.stderr}`)
  t.diagnostic(`exposure level ${level[1]!} (0 safest, 10 unprotected)`)
  assert.ok(Number(level[1]) <= 2.0, `exposure ${level[1]!}: the hardening is in place`)
})

interface Instruction { line: number, op: string, args: string, json: string[] | null }

/** A Containerfile's instructions: `#` comment lines dropped, backslash continuations joined, the exec (JSON) form parsed. */
export function parseContainerfile (text: string): Instruction[] {
  const out: Instruction[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1
    let line = lines[i]!.trim()
    if (line === '' || line.startsWith('#')) continue
    while (line.endsWith('\\') && i + 1 < lines.length) {
      const next = lines[++i]!.trim()
      if (!next.startsWith('#')) line = `${line.slice(0, -1).trimEnd()} ${next}`
    }
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(line)
    if (m === null) throw new Error(`line ${start}: not an instruction: ${line}`)
    const args = m[2]!.trim()
    out.push({ line: start, op: m[1]!.toUpperCase(), args, json: args.startsWith('[') ? JSON.parse(args) as string[] : null })
  }
  return out
}

/**
 * What each Debian package the Containerfile installs puts on PATH that the
 * file runs. A package missing here fails the test: a new one is looked at.
 */
const APT_PROVIDES: Record<string, string[]> = { git: ['git'], 'ca-certificates': [], tini: ['tini'] }

function globToRegExp (glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map(s => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`)
}

test('examples/container/Containerfile installs the tarball npm run package makes and runs mirror-daemon in /repo, a volume, as a non-root user', async () => {
  const text = await readFile(CONTAINERFILE, 'utf8')
  const steps = parseContainerfile(text)
  const p = await pkg()
  const all = (op: string): Instruction[] => steps.filter(s => s.op === op)
  const only = (op: string): Instruction => {
    const found = all(op)
    assert.equal(found.length, 1, `one ${op}`)
    return found[0]!
  }
  assert.equal(steps[0]!.op, 'FROM')
  assert.match(steps[0]!.args, /^node:(\d+)-bookworm-slim$/)
  assert.ok(Number(/^node:(\d+)/.exec(steps[0]!.args)![1]) >= Number(/\d+/.exec(p.engines.node)![0]), `the image's node satisfies engines.node ${p.engines.node}`)

  // apt packages: each known, with what it puts on PATH
  const runs = all('RUN').map(s => s.args)
  const apt = runs.flatMap(r => [...r.matchAll(/apt-get install ([^&]*)/g)]).flatMap(m => m[1]!.split(/\s+/)).filter(w => w !== '' && !w.startsWith('-'))
  assert.ok(apt.includes('git'), 'git is installed: the daemon runs it')
  for (const name of apt) assert.ok(Object.hasOwn(APT_PROVIDES, name), `apt package ${name} is in APT_PROVIDES`)
  const onPath = new Set([...apt.flatMap(n => APT_PROVIDES[n]!), ...Object.keys(p.bin)])

  // the tarball: the file npm pack names <name>-<version>.tgz, copied and installed globally
  const copy = only('COPY').args.split(/\s+/)
  assert.equal(copy.length, 2, 'COPY <tarball> <dir>')
  const tarball = `${p.name}-${p.version}.tgz`
  assert.match(tarball, globToRegExp(copy[0]!), `COPY ${copy[0]!} takes ${tarball}`)
  assert.ok(Object.hasOwn(p.scripts, 'package'), 'npm run package exists')
  const install = runs.map(r => /npm install -g (\S+)/.exec(r)).find(m => m !== null)
  assert.ok(install != null, 'npm install -g <tarball>')
  assert.equal(install[1], path.posix.join(copy[1]!, copy[0]!), 'it installs the tarball COPY put there')

  // the user: made in a RUN, not root, owning /repo
  const user = only('USER').args
  assert.ok(!['root', '0'].includes(user), `USER ${user}`)
  assert.ok(runs.some(r => new RegExp(`useradd .*\\b${user}$|useradd .*\\b${user} `).test(r)), `a RUN makes the user ${user}`)
  const workdir = only('WORKDIR').args
  const volumes = all('VOLUME').flatMap(v => v.json ?? v.args.split(/\s+/))
  assert.ok(volumes.includes(workdir), `the repository ${workdir} is a volume`)
  assert.ok(runs.some(r => r.includes(`chown ${user}:${user} ${workdir}`)), `${workdir} belongs to ${user}: a fresh volume there is writable`)

  // what runs: exec form, tini then the package's mirror-daemon, with options it knows
  assert.equal(only('STOPSIGNAL').args, 'SIGTERM')
  const entry = only('ENTRYPOINT').json
  const cmd = only('CMD').json
  assert.ok(entry !== null && cmd !== null, 'ENTRYPOINT and CMD in exec form: the signal goes to the process, not a shell')
  for (const word of entry.filter(w => !w.startsWith('-'))) assert.ok(onPath.has(word), `${word} is installed by the image`)
  assert.equal(entry.at(-1), 'mirror-daemon')
  assertDaemonOptions(cmd, 'CMD')
  const port = cmd[cmd.indexOf('--port') + 1]
  assert.ok(all('EXPOSE').some(e => e.args.split(/\s+/).includes(`${port!}/tcp`)), `the peer port ${port!} is exposed`)

  // the commands in its comments: the build names this file, the docs it points to exist
  assert.match(text, /podman build -f examples\/container\/Containerfile /)
  assertNamedPathsExist(text, 'the Containerfile')
})

test('parseContainerfile joins continuations, drops comments inside them, and parses the exec form', () => {
  const steps = parseContainerfile('# x\nFROM a:b\nRUN one \\\n# inside\n two\nCMD ["--x", "1"]\n')
  assert.deepEqual(steps.map(s => [s.op, s.args, s.json]), [['FROM', 'a:b', null], ['RUN', 'one two', null], ['CMD', '["--x", "1"]', ['--x', '1']]])
})
