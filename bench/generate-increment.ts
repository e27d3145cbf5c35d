// One realistic increment on top of a benchmark repository (bench/generate-repo.ts),
// for the fetch benchmark: what a few weeks of a project's work adds between
// two publishes. Deterministic: the same base gives the same commits, ids and
// bytes on every run and machine (one seeded random stream, raw dates after
// the base's newest commit, one ident).
//
// Shape, as the generator's: main takes direct commits and merges of short
// topics (their refs never written); maint takes fixes, merged into main every
// sixth, and a point release; one dev/* branch moves on. A commit edits 1-6 text
// files, mostly neighbours in one directory (functions inserted, rewritten,
// moved, deleted, lines tweaked); some add a new source file; a few binary
// assets get new, incompressible versions. At the end, an rc tag on main and
// a ci/build-* tag.
import { execFile } from 'node:child_process'
import path from 'node:path'
import { fastImport } from '../fixtures/make-repo.js'
import { git } from '../test/helpers/env.js'
import { prng, randomChunks, SourceText } from '../test/helpers/fake-source.js'
import type { BenchSize } from './generate-repo.js'

export interface IncrementSpec {
  /** commits, merges included */
  commits: number
  /** bytes of each new binary asset version (incompressible) */
  binaries: number[]
}

export const INCREMENT_SPECS: Record<BenchSize, IncrementSpec> = {
  small: { commits: 100, binaries: [192 << 10] },
  large: { commits: 300, binaries: [640 << 10, 1 << 20] }
}

export interface IncrementStats {
  commits: number
  merges: number
  /** distinct paths that differ between a branch's old and new tip (main, maint, the dev branch) */
  filesChanged: number
  filesAdded: number
  binaryBytes: number
  /** objects reachable from the new refs and not from the old ones, and their size uncompressed */
  objects: number
  objectBytes: number
  /** refs created or moved */
  refs: string[]
}

const IDENT = 'Bench Author <bench@example.com>'
const BINARY = /\.(png|woff2|webm|bin)$/
const TAILS = ['on error', 'in place', 'only once', 'before locking', 'after a reset', 'for empty input', 'without copying']
const TYPES = ['int', 'size_t', 'uint32_t', 'long', 'unsigned']

interface Entry { mode: string, oid: string | null, mark: number | null, text: string | null }
interface Branch { ref: string, from: string, tip: string | null, tree: Map<string, Entry>, paths: string[], dirty: Map<string, Entry | null> }

/** Writes the increment into the bare repository `dir` (a new pack, refs moved by fast-import) and describes it. */
export async function generateIncrement (dir: string, spec: IncrementSpec, env: NodeJS.ProcessEnv): Promise<IncrementStats> {
  const run = async (args: string[]): Promise<string> => await git(args, { cwd: dir, env })
  const before = await run(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads', 'refs/tags'])
  const heads = before.split('\n').filter(l => l.includes(' refs/heads/')).map(l => l.split(' ')[1]!)
  const dev = heads.filter(h => h.startsWith('refs/heads/dev/')).sort()[0]
  if (!heads.includes('refs/heads/main') || !heads.includes('refs/heads/maint') || dev === undefined) {
    throw new Error(`${dir} is not a benchmark repository (main, maint and a dev/* branch): ${heads.join(' ')}`)
  }
  const newest = Math.max(...(await run(['for-each-ref', '--format=%(committerdate:unix)', 'refs/heads'])).split('\n').map(Number))
  const branches = await Promise.all(['refs/heads/main', 'refs/heads/maint', dev].map(async ref => await readBranch(dir, env, ref)))
  const tags = (await run(['for-each-ref', '--format=%(refname)', 'refs/tags'])).split('\n')
  const gen = new Increment(spec, branches, tags, newest)
  await fastImport(dir, env, async write => await gen.run(write))

  const after = await run(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads', 'refs/tags'])
  const old = new Set(before.split('\n'))
  const moved = after.split('\n').filter(l => !old.has(l)).map(l => l.split(' ')[1]!)
  const oldTips = before.split('\n').map(l => `^${l.split(' ')[0]!}`)
  const objects = await git(['rev-list', '--objects', '--no-object-names', '--stdin'], { cwd: dir, env, input: [...moved, ...oldTips].join('\n') + '\n' })
  const sizes = await git(['cat-file', '--batch-check=%(objectsize)'], { cwd: dir, env, input: objects + '\n' })
  const changed = new Set<string>()
  for (const b of branches) for (const file of (await run(['diff', '--name-only', b.from, b.ref])).split('\n')) if (file !== '') changed.add(file)
  return {
    commits: Number(await git(['rev-list', '--count', '--stdin'], { cwd: dir, env, input: [...moved, ...oldTips].join('\n') + '\n' })),
    merges: gen.merges,
    filesChanged: changed.size,
    filesAdded: gen.added,
    binaryBytes: spec.binaries.reduce((a, b) => a + b, 0),
    objects: objects === '' ? 0 : objects.split('\n').length,
    objectBytes: sizes.split('\n').reduce((n, s) => n + Number(s), 0),
    refs: moved
  }
}

/** A branch's tree, with the text of every text file (one `git cat-file --batch` for all of them). */
async function readBranch (dir: string, env: NodeJS.ProcessEnv, ref: string): Promise<Branch> {
  const from = await git(['rev-parse', ref], { cwd: dir, env })
  const tree = new Map<string, Entry>()
  for (const line of (await git(['ls-tree', '-r', '-z', from], { cwd: dir, env })).split('\0')) {
    if (line === '') continue
    const [meta, file] = [line.slice(0, line.indexOf('\t')), line.slice(line.indexOf('\t') + 1)]
    const [mode, type, oid] = meta.split(' ')
    if (type === 'blob') tree.set(file, { mode: mode!, oid: oid!, mark: null, text: null })
  }
  const texts = [...tree].filter(([file]) => !BINARY.test(file))
  const out = await new Promise<Buffer>((resolve, reject) => {
    const child = execFile('git', ['cat-file', '--batch'], { cwd: dir, env, encoding: 'buffer', maxBuffer: 1 << 30 }, (err, stdout) => err === null ? resolve(stdout) : reject(err))
    child.stdin!.end(texts.map(([, e]) => `${e.oid!}\n`).join(''))
  })
  let at = 0
  for (const [, entry] of texts) {
    const nl = out.indexOf(10, at)
    const size = Number(out.subarray(at, nl).toString('latin1').split(' ')[2])
    entry.text = out.subarray(nl + 1, nl + 1 + size).toString('utf8')
    at = nl + 1 + size + 1
  }
  return { ref, from, tip: null, tree, paths: [...tree.keys()].sort(), dirty: new Map() }
}

type Write = (chunk: string | Buffer) => Promise<void>

class Increment {
  private readonly rnd = prng(0x1c4e)
  private readonly t = new SourceText(this.rnd)
  private mark = 0
  private commits = 0
  private binariesLeft: number[]
  private pending: string[] = []
  merges = 0
  added = 0

  constructor (private readonly spec: IncrementSpec, private readonly branches: Branch[], private readonly tags: string[], private time: number) {
    this.binariesLeft = [...spec.binaries]
  }

  async run (write: Write): Promise<void> {
    const [main, maint, dev] = this.branches as [Branch, Branch, Branch]
    let maintCommits = 0
    while (this.commits < this.spec.commits) {
      const r = this.rnd() % 100
      if (r < 45) {
        await this.work(main, write)
      } else if (r < 75) {
        const topic: Branch = { ...main, ref: `refs/heads/topic/increment-${this.commits}`, tree: new Map(main.tree), paths: [...main.paths], dirty: new Map() }
        for (let n = this.t.int(1, 5); n > 0; n--) await this.work(topic, write)
        this.merge(main, topic)
        this.out(`reset ${topic.ref}\n\n`)   // no from: the topic's ref is never written
      } else if (r < 90) {
        await this.work(dev, write)
      } else {
        await this.work(maint, write)
        if (++maintCommits % 6 === 0) this.merge(main, maint)
      }
      if (this.pending.length > 256) await this.flush(write)
    }
    const next = this.nextNames()
    this.annotated(next.rc, this.at(main))
    this.annotated(next.point, maint.tip ?? maint.from)
    this.out(`reset ${next.build}\nfrom ${this.at(main)}\n\n`)
    this.out('done\n')
    await this.flush(write)
  }

  /** One ordinary commit on b: small edits, sometimes a new file, a new binary version at an even pace. */
  private async work (b: Branch, write: Write): Promise<void> {
    const changes = new Map<string, Entry | null>()
    const anchor = this.t.int(0, b.paths.length - 1)
    for (let k = this.t.pick([1, 2, 2, 3, 3, 4, 5, 6]); k > 0; k--) {
      const near = this.t.int(0, 9) < 6 ? anchor + this.t.int(-3, 3) : this.t.int(0, b.paths.length - 1)
      const file = b.paths[Math.min(b.paths.length - 1, Math.max(0, near))]!
      const entry = b.tree.get(file)!
      if (entry.text !== null && !changes.has(file)) this.set(b, changes, file, this.blob(entry.mode, edited(this.t, this.rnd, entry.text, kindOf(file))))
    }
    const first = b.paths[anchor]!
    if (this.rnd() % 100 < 4 && /\.c$/.test(first)) {
      const file = path.posix.join(path.posix.dirname(first), `${this.t.verb()}-${this.t.noun()}-${this.commits}.c`)
      const parts = Array.from({ length: this.t.int(2, 8) }, () => newPart(this.t, this.rnd, 'c'))
      this.set(b, changes, file, this.blob('100644', [this.t.header(file), ...parts].join('\n\n') + '\n'))
      this.added++
    }
    const due = this.spec.binaries.length - this.binariesLeft.length + 1
    if (this.binariesLeft.length > 0 && this.commits >= due * this.spec.commits / (this.spec.binaries.length + 1)) {
      const file = this.t.pick(b.paths.filter(p => BINARY.test(p)))
      const bytes = this.binariesLeft.shift()!
      this.out(`blob\nmark :${++this.mark}\ndata ${bytes}\n`)
      await this.flush(write)
      for (const chunk of randomChunks(0x1c4e + this.mark, bytes)) await write(chunk)
      this.out('\n')
      this.set(b, changes, file, { mode: '100644', oid: null, mark: this.mark, text: null })
    }
    this.commit(b, this.message(changes.keys().next().value ?? first), changes)
  }

  /** Merge src into target: target takes src's version of all src changed since its last merge. */
  private merge (target: Branch, src: Branch): void {
    const changes = new Map<string, Entry | null>()
    for (const [file, entry] of src.dirty) if ((target.tree.get(file) ?? null) !== entry) this.set(target, changes, file, entry)
    src.dirty.clear()
    this.merges++
    this.commit(target, `Merge branch '${src.ref.slice('refs/heads/'.length)}'\n`, changes, this.at(src))
  }

  private set (b: Branch, changes: Map<string, Entry | null>, file: string, entry: Entry | null): void {
    if (entry === null || !b.tree.has(file)) {
      if (entry === null) b.tree.delete(file); else b.tree.set(file, entry)
      b.paths = [...b.tree.keys()].sort()
    } else b.tree.set(file, entry)
    b.dirty.set(file, entry)
    changes.set(file, entry)
  }

  private blob (mode: string, text: string): Entry {
    this.out(`blob\nmark :${++this.mark}\n${data(text)}`)
    return { mode, oid: null, mark: this.mark, text }
  }

  private commit (b: Branch, msg: string, changes: Map<string, Entry | null>, merge?: string): void {
    this.time += 300 + (this.rnd() % 7200)
    const when = `${this.time} +0000`
    let s = `commit ${b.ref}\nmark :${++this.mark}\nauthor ${IDENT} ${when}\ncommitter ${IDENT} ${when}\n${data(msg)}from ${this.at(b)}\n`
    if (merge !== undefined) s += `merge ${merge}\n`
    for (const [file, e] of changes) s += e === null ? `D ${file}\n` : `M ${e.mode} ${e.mark === null ? e.oid! : `:${e.mark}`} ${file}\n`
    this.out(s + '\n')
    b.tip = `:${this.mark}`
    this.commits++
  }

  /** What fast-import calls b's tip: its newest mark, or the commit it started from. */
  private at (b: Branch): string { return b.tip ?? b.from }

  private annotated (ref: string, target: string): void {
    const name = ref.slice('refs/tags/'.length)
    this.time += 600
    this.out(`tag ${name}\nfrom ${target}\ntagger ${IDENT} ${this.time} +0000\n${data(`Bench ${name}\n\n * ${this.t.verb()} the ${this.t.noun()} ${this.t.pick(TAILS)}\n`)}`)
  }

  /** The next rc of main's next release, maint's next point release, and the next ci/build-* tag, after the base's. */
  private nextNames (): { rc: string, point: string, build: string } {
    const num = (re: RegExp): number[] => this.tags.flatMap(t => { const m = re.exec(t); return m === null ? [] : [Number(m[1])] })
    const release = Math.max(0, ...num(/^refs\/tags\/v(\d+\.\d)\.0$/).map(v => Math.round(v * 10)))
    const version = (r: number): string => `${Math.floor(r / 10)}.${r % 10}`
    const point = Math.max(0, ...num(new RegExp(`^refs/tags/v${version(release).replace('.', '\\.')}\\.(\\d+)$`)))
    const build = Math.max(0, ...num(/^refs\/tags\/ci\/build-(\d+)$/))
    return { rc: `refs/tags/v${version(release + 1)}.0-rc1`, point: `refs/tags/v${version(release)}.${point + 1}`, build: `refs/tags/ci/build-${build + 100}` }
  }

  private message (file: string): string {
    const parts = file.split('/')
    const scope = parts.length > 2 ? parts[1]! : parts[0]!.replace(/\..*$/, '')
    const body = Array.from({ length: this.t.int(1, 3) }, () => prose(this.t, this.t.int(2, 5)))
    return [`${scope}: ${this.t.verb()} the ${this.t.noun()} ${this.t.noun()} ${this.t.pick(TAILS)}`, ...body, `Signed-off-by: ${IDENT}`].join('\n\n') + '\n'
  }

  private out (s: string): void { this.pending.push(s) }

  private async flush (write: Write): Promise<void> {
    if (this.pending.length === 0) return
    const s = this.pending.join('')
    this.pending = []
    await write(s)
  }
}

type Kind = 'c' | 'h' | 'sh' | 'md'

function kindOf (file: string): Kind {
  const ext = path.posix.extname(file).slice(1)
  return ext === 'c' || ext === 'h' || ext === 'sh' ? ext : 'md'
}

const data = (body: string): string => `data ${Buffer.byteLength(body)}\n${body}\n`

/** A new version of a text file: one to four of its parts (blank-line separated) inserted, rewritten, moved, deleted or tweaked; the first and last stay. */
function edited (t: SourceText, rnd: () => number, text: string, kind: Kind): string {
  const parts = text.replace(/\n$/, '').split('\n\n')
  const head = parts.shift()!
  const tail = parts.length > 1 ? parts.pop()! : null
  for (let ops = t.int(1, 4); ops > 0; ops--) {
    const i = t.int(0, Math.max(0, parts.length - 1))
    const r = rnd() % 100
    if (parts.length > 2 && r < 10) parts.splice(i, 1)
    else if (r < 38 || parts.length === 0) parts.splice(i, 0, newPart(t, rnd, kind))
    else if (r < 53) parts[i] = newPart(t, rnd, kind)
    else if (r < 58) parts.splice(t.int(0, parts.length - 1), 0, ...parts.splice(i, 1))
    else parts[i] = tweak(t, parts[i]!, newPart(t, rnd, kind))
  }
  return [head, ...parts, ...(tail === null ? [] : [tail])].join('\n\n') + '\n'
}

/** Insert, replace or delete a line or three of `part`, taken from `donor`. */
function tweak (t: SourceText, part: string, donor: string): string {
  const lines = part.split('\n')
  const from = donor.split('\n')
  const at = t.int(1, Math.max(1, lines.length - 1))
  const start = t.int(0, from.length - 1)
  const op = t.int(0, 2)
  if (op === 2 && lines.length > 4) lines.splice(at, 1); else lines.splice(at, op, ...from.slice(start, start + t.int(1, 3)))
  return lines.join('\n')
}

function newPart (t: SourceText, rnd: () => number, kind: Kind): string {
  switch (kind) {
    case 'c': return t.func()
    case 'h': return `struct ${t.noun()}_${t.noun()} {\n${Array.from({ length: t.int(2, 7) }, () => `\t${t.pick(TYPES)} ${t.noun()}_${t.verb()};`).join('\n')}\n};`
    case 'sh': return `test_expect_success '${t.verb()} ${t.noun()} after ${t.verb()}' '\n\tgit ${t.verb()} --${t.noun()}=${t.int(1, 999)} >actual &&\n\ttest_cmp expect actual\n'`
    default: return prose(t, 2 + (rnd() % 5))
  }
}

function prose (t: SourceText, sentences: number): string {
  const one = (): string => `${t.verb().replace(/^./, c => c.toUpperCase())} the ${t.noun()} before the ${t.noun()} is ${t.pick(['stale', 'empty', 'shared', 'cached', 'locked'])}.`
  return Array.from({ length: sentences }, one).join(' ').replace(/(.{1,72})(?: |$)/g, '$1\n').trimEnd()
}
