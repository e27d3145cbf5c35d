// A deterministic benchmark repository, generated once and cached:
//
//   node dist/bench/generate-repo.js --size small|large [--cache-dir DIR] [--force]
//
// prints the stats (BenchRepo) as JSON on stdout and progress on stderr.
//
// Shape: a C project as a server holds it. A few thousand files (src/<module>/*.c,
// include/<module>/*.h, tests/<module>/t*.sh, docs/<module>/*.md) and binary
// assets (incompressible, 16 KiB - 4 MiB) replaced at an even pace until the
// size's byte budget is spent. A commit edits 1-6 files, mostly neighbours in one
// directory, a little (lines tweaked, functions inserted, rewritten, moved,
// deleted: good deltas); some add, delete or rename a file; 1% sweep 8-30 files.
// main takes direct commits and merges of short topics (refs gone once merged);
// dev/* branches merge main in and are merged back; maint is reset to each
// release and merges fixes back. Annotated tags for releases, rcs and maint point
// releases, lightweight ci/build-* ones. One ident, raw dates that only go up:
// the same ids on every run and machine. A merge takes the merged side's version
// of what that side changed (no 3-way merge). Blobs go to fast-import by mark, so
// merges re-use them; one repack then makes a single deltified pack (with the
// bitmap git writes for bare repositories).
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { fastImport } from '../fixtures/make-repo.js'
import { git, pinnedEnv } from '../test/helpers/env.js'
import { prng, randomChunks, SourceText } from '../test/helpers/fake-source.js'
import { isMain, repoRoot } from '../test/helpers/processes.js'

/** Bump whenever the generated history changes: the cache is keyed on it. */
export const GENERATOR_VERSION = 2   // 2: no './' paths at the top level (version 1 made a tree entry named '.', which checkout refuses)

export type BenchSize = 'small' | 'large'

export interface BenchRepo {
  dir: string // a bare repository
  size: BenchSize
  commits: number
  objects: number
  tags: number
  branches: number
  packBytes: number
  files: number // in HEAD's tree
  generateSeconds: number
  version: number
}

/** binaryBytes: all versions of all binary files together */
interface Spec { commits: number; modules: number; binaries: number; binaryBytes: number }
const SPECS: Record<BenchSize, Spec> = {
  small: { commits: 3000, modules: 48, binaries: 12, binaryBytes: 24 << 20 },
  large: { commits: 32000, modules: 64, binaries: 40, binaryBytes: 190 << 20 }
}
const RELEASE_EVERY = 300 // commits on main per release; rc1 and rc2 at 60% and 80%
const SNAPSHOT_EVERY = 100 // commits on main per lightweight ci/build-* tag
const POINT_EVERY = 12 // maint commits per point release
const DEV_BRANCHES = ['dev/storage', 'dev/network', 'dev/ui', 'dev/perf']
const IDENT = 'Bench Author <bench@example.com>'
const BASE_TIME = 1577836800 // 2020-01-01T00:00:00Z
const ADJ = ['stale', 'empty', 'shared', 'cached', 'partial', 'sorted', 'locked', 'pending', 'large', 'invalid']
const TAILS = ['on error', 'in place', 'only once', 'before locking', 'after a reset', 'for empty input', 'without copying']
const TYPES = ['int', 'size_t', 'uint32_t', 'long', 'unsigned']

type Kind = 'c' | 'h' | 'sh' | 'md' | 'bin'
/** One version of a file; immutable, so branch trees share them. */
interface Blob { mark: number; kind: Kind; head: string; parts: string[] }
type Changes = Map<string, Blob | null> // null: deleted
interface Branch {
  ref: string
  tip: number // mark of its last commit, 0 before the first
  tree: Map<string, Blob>
  dirty?: Changes // changes not yet merged to where it merges (main has none)
  paths?: string[] // tree's keys, dropped when a file comes or goes
  commits: number
}
type Write = (chunk: string | Buffer) => Promise<void>

export async function ensureBenchRepo (
  size: BenchSize,
  o: { cacheDir?: string, log?: (line: string) => void, force?: boolean } = {}
): Promise<BenchRepo> {
  const spec = SPECS[size]
  if (spec === undefined) throw new RangeError(`unknown bench size: ${String(size)}`)
  const log = o.log ?? (() => {})
  const cacheDir = path.resolve(o.cacheDir ?? path.join(repoRoot(), 'bench', '.cache'))
  const dir = path.join(cacheDir, `repo-${size}-v${GENERATOR_VERSION}.git`)
  const cached = async (): Promise<BenchRepo | undefined> => existsSync(path.join(dir, 'bench-repo.json'))
    ? { ...(JSON.parse(await readFile(path.join(dir, 'bench-repo.json'), 'utf8')) as BenchRepo), dir }
    : undefined
  if (o.force !== true) { const repo = await cached(); if (repo !== undefined) return repo }
  await mkdir(cacheDir, { recursive: true })
  await removeAbandoned(cacheDir, path.basename(dir))
  const tmp = `${dir}.tmp-${process.pid}` // renamed into place only when complete
  const env = pinnedEnv(cacheDir) // HOME and global config: cacheDir/home, never created
  const started = performance.now()
  try {
    await git(['init', '-q', '--bare', '-b', 'main', tmp], { cwd: cacheDir, env })
    log(`generating ${size}: ${spec.commits} commits into ${tmp}`)
    await fastImport(tmp, env, async write => await new History(spec, write, log).run())
    log('fast-import done; repack start')
    const t = performance.now()
    await git(['repack', '-a', '-d', '-f', '-q', '--window=10', '--depth=50'], { cwd: tmp, env })
    await git(['pack-refs', '--all'], { cwd: tmp, env })
    log(`repack done in ${((performance.now() - t) / 1000).toFixed(1)} s`)
    const seconds = Math.round((performance.now() - started) / 100) / 10
    const repo: BenchRepo = { dir, size, ...await repoStats(tmp, env), generateSeconds: seconds, version: GENERATOR_VERSION }
    const other = o.force === true ? undefined : await cached() // a concurrent run finished first
    if (other !== undefined) { await rm(tmp, { recursive: true, force: true }); return other }
    return await installCached(tmp, repo)
  } catch (err) {
    await rm(tmp, { recursive: true, force: true })
    throw err
  }
}

/** Temp dirs left by runs whose process is gone. */
async function removeAbandoned (cacheDir: string, base: string): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    const m = /^(.*)\.tmp-(\d+)$/.exec(name)
    if (m === null || m[1] !== base) continue
    try { process.kill(Number(m[2]), 0); continue } catch (err) { if ((err as NodeJS.ErrnoException).code !== 'ESRCH') continue }
    await rm(path.join(cacheDir, name), { recursive: true, force: true })
  }
}

/** The figures RESULTS.md shows of a bare benchmark repository (bench/repo.ts measures its 1 GB one with this too). */
/**
 * Puts a repository made under the temporary name `tmp` in place as
 * `repo.dir`, with its stats beside it (bench-repo.json): a cache entry
 * appears whole or not at all.
 */
export async function installCached (tmp: string, repo: BenchRepo): Promise<BenchRepo> {
  await writeFile(path.join(tmp, 'bench-repo.json'), JSON.stringify(repo, null, 2) + '\n')
  await rm(repo.dir, { recursive: true, force: true })
  await rename(tmp, repo.dir)
  return repo
}

export async function repoStats (dir: string, env: NodeJS.ProcessEnv): Promise<Omit<BenchRepo, 'dir' | 'size' | 'generateSeconds' | 'version'>> {
  const run = async (args: string[]): Promise<string> => await git(args, { cwd: dir, env })
  const lines = async (args: string[]): Promise<number> => { const out = await run(args); return out === '' ? 0 : out.split('\n').length }
  const packDir = path.join(dir, 'objects', 'pack')
  let packBytes = 0
  for (const name of await readdir(packDir)) if (name.endsWith('.pack')) packBytes += (await stat(path.join(packDir, name))).size
  return {
    commits: Number(await run(['rev-list', '--all', '--count'])),
    objects: countObjects(await run(['count-objects', '-v'])),
    tags: await lines(['for-each-ref', '--format=%(refname)', 'refs/tags']),
    branches: await lines(['for-each-ref', '--format=%(refname)', 'refs/heads']),
    packBytes,
    files: await lines(['ls-tree', '-r', '--name-only', 'HEAD'])
  }
}

/** Loose and packed objects, from `git count-objects -v`. */
function countObjects (out: string): number {
  const n = (key: string): number => Number(new RegExp(`^${key}: (\\d+)$`, 'm').exec(out)?.[1] ?? 0)
  return n('count') + n('in-pack')
}

const data = (body: string): string => `data ${Buffer.byteLength(body)}\n${body}\n`
const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1)
const render = (b: Blob): string => [b.head, ...b.parts].join('\n\n') + (b.kind === 'h' ? '\n\n#endif\n' : '\n')

const wrap = (words: string): string => words.replace(/(.{1,72})(?: |$)/g, '$1\n').trimEnd() // at 72 columns

/** Writes the whole history into fast-import from one seeded random stream. */
class History {
  private readonly rnd = prng(0x5eed)
  private readonly t = new SourceText(this.rnd)
  private mark = 0
  private time = BASE_TIME
  private commits = 0
  private mainCommits = 0
  private releases = 0
  private points = 0
  private binWritten = 0
  private readonly binPaths: string[] = []
  private pending: string[] = []
  private pendingBytes = 0
  private readonly started = performance.now()

  constructor (private readonly s: Spec, private readonly write: Write, private readonly log: (line: string) => void) {}

  async run (): Promise<void> {
    this.out('option git active-branches=16\n') // main, maint, dev/*, a topic: keep their trees loaded
    const main: Branch = { ref: 'refs/heads/main', tip: 0, tree: new Map(), commits: 0 }
    await this.commit(main, 'Initial import\n', await this.initialTree(main))
    const devs = DEV_BRANCHES.map(name => this.fork(main, `refs/heads/${name}`))
    const maint = this.fork(main, 'refs/heads/maint')
    let topic: Branch | undefined
    let topicLength = 0
    while (this.commits < this.s.commits) {
      const r = this.rnd() % 100
      if (r < 45) {
        await this.work(main, r < 2)
        await this.onMain(main, maint)
      } else if (r < 75) {
        topic ??= this.fork(main, `refs/heads/topic/${this.t.verb()}-${this.t.noun()}-${this.commits}`)
        if (topic.commits === 0) topicLength = this.t.int(1, 6)
        await this.work(topic)
        if (topic.commits < topicLength) continue
        await this.merge(main, topic)
        this.out(`reset ${topic.ref}\n\n`) // no from: the ref is never written
        topic = undefined
        await this.onMain(main, maint)
      } else if (r < 90) {
        const dev = this.t.pick(devs)
        await this.work(dev)
        if (dev.commits % 25 === 0) await this.syncFromMain(dev, main)
        if (dev.commits % 60 === 0) { await this.merge(main, dev); await this.onMain(main, maint) }
      } else {
        await this.work(maint)
        if (maint.commits % 6 === 0) { await this.merge(main, maint); await this.onMain(main, maint) }
        if (maint.commits % POINT_EVERY === 0 && this.releases > 0) this.annotated(`v${version(this.releases)}.${++this.points}`, maint.tip)
      }
    }
    this.out('done\n')
    await this.flush()
    this.log(`${this.commits} commits written in ${this.elapsed()} s, binaries ${(this.binWritten / 2 ** 20).toFixed(0)} MiB`)
  }

  /** Tags and the maint reset that follow the k-th commit on main. */
  private async onMain (main: Branch, maint: Branch): Promise<void> {
    const k = ++this.mainCommits
    const phase = k % RELEASE_EVERY
    if (phase === 0) {
      if (maint.dirty!.size > 0) await this.merge(main, maint)
      this.annotated(`v${version(++this.releases)}.0`, main.tip)
      this.points = 0
      this.out(`reset ${maint.ref}\nfrom :${main.tip}\n\n`)
      Object.assign(maint, { tip: main.tip, tree: new Map(main.tree), paths: undefined, dirty: new Map() })
    } else if (phase === RELEASE_EVERY * 0.6 || phase === RELEASE_EVERY * 0.8) {
      this.annotated(`v${version(this.releases + 1)}.0-rc${phase === RELEASE_EVERY * 0.6 ? 1 : 2}`, main.tip)
    }
    if (k % SNAPSHOT_EVERY === 0) this.out(`reset refs/tags/ci/build-${k}\nfrom :${main.tip}\n\n`)
  }

  private annotated (name: string, target: number): void {
    const notes = Array.from({ length: this.t.int(3, 8) }, () => ` * ${this.t.verb()} ${this.t.pick(ADJ)} ${this.t.noun()}s ${this.t.pick(TAILS)}`)
    this.out(`tag ${name}\nfrom :${target}\ntagger ${IDENT} ${this.when()}\n` + data(`Bench ${name}\n\n${notes.join('\n')}\n`))
  }

  private fork (from: Branch, ref: string): Branch {
    return { ref, tip: from.tip, tree: new Map(from.tree), dirty: new Map(), commits: 0 }
  }

  private async initialTree (main: Branch): Promise<Changes> {
    const changes: Changes = new Map()
    const add = (dir: string, kind: Kind, parts: number): void => { this.addFile(main, changes, dir, kind, parts) }
    const modules = new Set<string>()
    while (modules.size < this.s.modules) modules.add(this.t.int(0, 2) === 0 ? this.t.noun() : `${this.t.noun()}-${this.t.verb()}`)
    for (const mod of modules) {
      const sources = this.t.int(10, 40)
      for (let i = 0; i < sources; i++) add(`src/${mod}`, 'c', this.t.int(2, 12))
      for (let i = 0; i < sources / 3; i++) add(`include/${mod}`, 'h', this.t.int(2, 8))
      for (let i = this.t.int(3, 10); i > 0; i--) add(`tests/${mod}`, 'sh', this.t.int(2, 8))
      for (let i = this.t.int(1, 5); i > 0; i--) add(`docs/${mod}`, 'md', this.t.int(2, 6))
    }
    for (const file of ['README.md', 'CONTRIBUTING.md', 'docs/index.md']) this.addFile(main, changes, '.', 'md', 3, file)
    for (let i = 0; i < this.s.binaries; i++) {
      const [dir, ext] = this.t.pick([['assets/images', 'png'], ['assets/fonts', 'woff2'], ['assets/media', 'webm'], ['tests/data', 'bin']])
      this.binPaths.push(`${dir}/${this.t.noun()}-${i}.${ext}`)
      this.set(main, changes, this.binPaths[i]!, await this.binaryBlob())
    }
    return changes
  }

  /** One ordinary commit on b: small edits, sometimes an add, delete or rename, and binaries at their pace. */
  private async work (b: Branch, sweeping = false): Promise<void> {
    const changes: Changes = new Map()
    const paths = b.paths ??= [...b.tree.keys()]
    const anchor = this.t.int(0, paths.length - 1)
    const n = sweeping ? this.t.int(8, 30) : this.t.pick([1, 2, 2, 3, 3, 4, 5, 6])
    for (let k = 0; k < n; k++) {
      const near = sweeping ? anchor + k : this.t.int(0, 9) < 6 ? anchor + this.t.int(-3, 3) : this.t.int(0, paths.length - 1)
      const file = paths[Math.min(paths.length - 1, Math.max(0, near))]!
      const blob = b.tree.get(file)!
      if (blob.kind !== 'bin' && !changes.has(file)) this.set(b, changes, file, this.edited(blob))
    }
    const [first, other] = [paths[anchor]!, paths[this.t.int(0, paths.length - 1)]!]
    const [firstKind, otherBlob] = [b.tree.get(first)!.kind, b.tree.get(other)!]
    const r = this.rnd() % 100
    const movable = otherBlob.kind !== 'bin' && !changes.has(other)
    if (r < 5 && firstKind !== 'bin') this.addFile(b, changes, path.posix.dirname(first), firstKind, this.t.int(2, 8))
    if ((r >= 5 && r < 10) && movable) this.set(b, changes, other, null)
    if ((r >= 7 && r < 10) && movable) this.set(b, changes, this.newPath(b, path.posix.dirname(other), otherBlob.kind), otherBlob)
    if (this.binWritten < this.s.binaryBytes * this.commits / this.s.commits) {
      this.set(b, changes, this.t.pick(this.binPaths), await this.binaryBlob())
    }
    b.commits++
    await this.commit(b, this.message(changes.keys().next().value ?? first), changes)
  }

  /** Merge src into target: target takes src's version of everything src changed since its last merge. */
  private async merge (target: Branch, src: Branch): Promise<void> {
    const changes: Changes = new Map()
    for (const [file, blob] of src.dirty!) if ((target.tree.get(file) ?? null) !== blob) this.set(target, changes, file, blob)
    src.dirty!.clear()
    await this.commit(target, `Merge branch '${src.ref.slice('refs/heads/'.length)}'\n`, changes, src.tip)
  }

  /** Merge main into a dev branch: main's tree with the branch's unmerged changes on top. */
  private async syncFromMain (b: Branch, main: Branch): Promise<void> {
    const next = new Map(main.tree)
    for (const [file, blob] of b.dirty!) if (blob === null) next.delete(file); else next.set(file, blob)
    const changes: Changes = new Map()
    for (const [file, blob] of next) if (b.tree.get(file) !== blob) changes.set(file, blob)
    for (const file of b.tree.keys()) if (!next.has(file)) changes.set(file, null)
    Object.assign(b, { tree: next, paths: undefined })
    await this.commit(b, `Merge branch 'main' into ${b.ref.slice('refs/heads/'.length)}\n`, changes, main.tip)
  }

  private set (b: Branch, changes: Changes, file: string, blob: Blob | null): void {
    if (file.split('/').some(c => c === '' || c === '.' || c === '..')) throw new Error(`generator bug: bad path ${file}`)   // git would store it, and checkout refuse it
    if (blob === null || !b.tree.has(file)) b.paths = undefined
    if (blob === null) b.tree.delete(file); else b.tree.set(file, blob)
    b.dirty?.set(file, blob)
    changes.set(file, blob)
  }

  private async commit (b: Branch, msg: string, changes: Changes, merge?: number): Promise<void> {
    const when = this.when()
    let s = `commit ${b.ref}\nmark :${++this.mark}\nauthor ${IDENT} ${when}\ncommitter ${IDENT} ${when}\n` + data(msg)
    if (b.tip > 0) s += `from :${b.tip}\n`
    if (merge !== undefined) s += `merge :${merge}\n`
    for (const [file, blob] of changes) {
      s += blob === null ? `D ${file}\n` : `M ${blob.kind === 'sh' ? '100755' : '100644'} :${blob.mark} ${file}\n`
    }
    this.out(s + '\n')
    b.tip = this.mark
    if (++this.commits % 1000 === 0) this.log(`commits ${this.commits}/${this.s.commits} (${this.elapsed()} s)`)
    if (this.pendingBytes > 1 << 20) await this.flush()
  }

  private when (): string {
    this.time += 300 + (this.rnd() % 7200)
    return `${this.time} +0000`
  }

  private message (file: string): string {
    const parts = file.split('/')
    const scope = parts.length > 2 ? parts[1]! : parts[0]!.replace(/\..*$/, '')
    const subject = `${scope}: ${this.t.verb()} the ${this.t.noun()} ${this.t.noun()} ${this.t.pick(TAILS)}`
    const body = Array.from({ length: this.t.int(1, 4) }, () => this.prose(this.t.int(2, 5)))
    return [subject, ...body, `Signed-off-by: ${IDENT}`].join('\n\n') + '\n'
  }

  private addFile (b: Branch, changes: Changes, dir: string, kind: Kind, parts: number, file = this.newPath(b, dir, kind)): void {
    this.set(b, changes, file, this.blob(kind, this.head(kind, file), Array.from({ length: parts }, () => this.part(kind))))
  }

  private newPath (b: Branch, dir: string, kind: Kind): string {
    for (let k = 0; ; k++) {
      const base = kind === 'sh' ? `t${this.t.int(1000, 9999)}-${this.t.noun()}` : `${this.t.verb()}-${this.t.noun()}`
      const file = path.posix.join(dir, `${base}${k > 3 ? `-${k}` : ''}.${kind}`)
      if (!b.tree.has(file)) return file
    }
  }

  private blob (kind: Kind, head: string, parts: string[]): Blob {
    const blob: Blob = { mark: ++this.mark, kind, head, parts }
    this.out(`blob\nmark :${blob.mark}\n` + data(render(blob)))
    return blob
  }

  private async binaryBlob (): Promise<Blob> {
    const blob: Blob = { mark: ++this.mark, kind: 'bin', head: '', parts: [] }
    const bytes = Math.round(16384 * 256 ** (this.rnd() / 2 ** 32)) // 16 KiB - 4 MiB, log-uniform
    this.out(`blob\nmark :${blob.mark}\ndata ${bytes}\n`)
    await this.flush()
    for (const chunk of randomChunks(blob.mark, bytes)) await this.write(chunk)
    this.out('\n')
    this.binWritten += bytes
    return blob
  }

  /** A new version of a text file: one to four parts inserted, rewritten, moved, deleted or tweaked. */
  private edited (b: Blob): Blob {
    const parts = [...b.parts]
    for (let ops = this.t.int(1, 4); ops > 0; ops--) {
      const i = this.t.int(0, parts.length - 1)
      const r = this.rnd() % 100
      if (parts.length > 2 && (r < 10 || parts.length > 16)) parts.splice(i, 1)
      else if (r < 38) parts.splice(i, 0, this.part(b.kind))
      else if (r < 53) parts[i] = this.part(b.kind)
      else if (r < 58) parts.splice(this.t.int(0, parts.length - 1), 0, ...parts.splice(i, 1))
      else parts[i] = this.tweak(parts[i]!, b.kind)
    }
    return this.blob(b.kind, b.head, parts)
  }

  /** Insert, replace or delete a line or three inside a part. */
  private tweak (part: string, kind: Kind): string {
    const lines = part.split('\n')
    const donor = this.part(kind).split('\n')
    const from = this.t.int(0, donor.length - 1)
    const take = donor.slice(from, from + this.t.int(1, 3))
    const at = this.t.int(1, Math.max(1, lines.length - 1))
    const op = this.t.int(0, 2) // lines removed at `at`
    if (op === 2 && lines.length > 4) lines.splice(at, 1); else lines.splice(at, op, ...take)
    return lines.join('\n')
  }

  private head (kind: Kind, file: string): string {
    const t = this.t
    const guard = file.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()
    switch (kind) {
      case 'c': return t.header(file)
      case 'h': return `/* ${file}: the ${t.noun()} ${t.noun()} API. */\n#ifndef ${guard}\n#define ${guard}\n\n#include "${t.noun()}.h"`
      case 'sh': return `#!/bin/sh\n\ntest_description='${t.verb()} ${t.pick(ADJ)} ${t.noun()}s'\n\n. ./test-lib.sh`
      default: return `# ${cap(t.verb())} ${t.noun()}s`
    }
  }

  private part (kind: Kind): string {
    const t = this.t
    const n = (lo: number, hi: number, line: () => string): string => Array.from({ length: t.int(lo, hi) }, line).join('\n')
    switch (kind) {
      case 'c': return t.int(0, 4) > 0 ? t.func() : this.table()
      case 'h': return t.int(0, 1) === 0
        ? `struct ${t.noun()}_${t.noun()} {\n${n(2, 7, () => `\t${t.pick(TYPES)} ${t.noun()}_${t.verb()};`)}\n};`
        : n(1, 5, () => `${t.pick(TYPES)} ${t.verb()}_${t.noun()}_${t.int(1, 99)}(struct ${t.noun()} *, size_t);`)
      case 'sh': return `test_expect_success '${t.verb()} ${t.noun()} after ${t.verb()}' '\n` +
        `\tgit ${t.verb()} --${t.noun()}=${t.int(1, 999)} >actual &&\n\t${t.verb()}_${t.noun()} ${t.int(0, 64)} >expect &&\n\ttest_cmp expect actual\n'`
      default: return (t.int(0, 3) === 0 ? `## ${cap(t.pick(ADJ))} ${t.noun()}s\n\n` : '') + this.prose(t.int(2, 6))
    }
  }

  /** A constant table (CRCs, test vectors): C with the entropy of real data. */
  private table (): string {
    const words = Array.from({ length: this.t.int(8, 48) }, () => `0x${this.rnd().toString(16).padStart(8, '0')}`)
    const rows = Array.from({ length: Math.ceil(words.length / 4) }, (_, i) => `\t${words.slice(i * 4, i * 4 + 4).join(', ')},`)
    return `static const uint32_t ${this.t.noun()}_${this.t.noun()}_table[] = {\n${rows.join('\n')}\n};`
  }

  private prose (sentences: number): string {
    const t = this.t
    const one = (): string => {
      const [v, n, n2] = [t.verb(), t.noun(), t.noun()]
      switch (t.int(0, 4)) {
        case 0: return `${cap(v)} the ${n} before the ${n2} is ${t.pick(ADJ)}.`
        case 1: return `Without this, ${v}_${n}() could ${t.verb()} a ${t.pick(ADJ)} ${n2} ${t.int(2, 64)} times.`
        case 2: return `The ${n} ${n2} now keeps its ${t.noun()}s in a ${t.pick(ADJ)} ${t.noun()}.`
        case 3: return `Callers that ${v} a ${n} must hold the ${n2} lock.`
        default: return `See ${v}_${n}_${t.int(1, 99)}() for how a ${t.pick(ADJ)} ${n2} is handled.`
      }
    }
    return wrap(Array.from({ length: sentences }, one).join(' '))
  }

  private out (s: string): void {
    this.pending.push(s)
    this.pendingBytes += s.length
  }

  private async flush (): Promise<void> {
    if (this.pending.length === 0) return
    const s = this.pending.join('')
    this.pending = []
    this.pendingBytes = 0
    await this.write(s)
  }

  private elapsed (): string { return ((performance.now() - this.started) / 1000).toFixed(1) }
}

function version (release: number): string { return `${Math.floor(release / 10)}.${release % 10}` }

async function cli (argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { size: { type: 'string' }, 'cache-dir': { type: 'string' }, force: { type: 'boolean' } } })
  const size = values.size
  if (size !== 'small' && size !== 'large') throw new Error('usage: generate-repo --size small|large [--cache-dir DIR] [--force]')
  const log = (line: string): void => { process.stderr.write(`generate-repo: ${line}\n`) }
  const repo = await ensureBenchRepo(size, { cacheDir: values['cache-dir'], force: values.force === true, log })
  process.stdout.write(JSON.stringify(repo, null, 2) + '\n')
}

if (isMain(import.meta.url)) {
  cli(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`generate-repo: ${(err as Error).message}\n`)
    process.exitCode = 1
  })
}
