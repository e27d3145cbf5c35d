import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { choosePieceLength, MIN_PIECE_LENGTH } from '../core/piece-length.js'
import { PieceHasher } from '../core/piece-hasher.js'
import { parseGitProgress, type OnProgress } from '../core/progress.js'
import { formatRefList, type RefState } from '../core/ref-list.js'
import { lastBytes } from '../io/fs/last-bytes.js'
import { packChecksumOf } from '../io/fs/pack-checksum.js'
import { readBundleHeader } from '../io/fs/read-bundle-header.js'
import { followFile } from '../io/fs/follow-file.js'
import type { Git, GitStream } from '../io/git/run-git.js'
import type { Repository } from '../io/git/repository.js'

export interface CreatedBundle {
  path: string
  size: number
  sha256: string
  mtimeMs: number
  /** The bundle's piece hashes at choosePieceLength(size), still open: a folder torrent continues them with more files. */
  pieces: PieceHasher
  /** The pack's index and reverse index (`index` asked), beside the bundle as <name>.idx and <name>.rev. */
  index: { idx: string, rev: string } | null
}

/**
 * The bundle of exactly `state` in `dir/fileName`, its SHA-256 and torrent
 * pieces hashed as it is written: no second read. The bundle is the v2
 * header `git bundle create` writes, naming the refs as the remote does
 * (refs/heads/*, refs/tags/*, HEAD) whatever this repository calls them,
 * followed by the pack `git pack-objects --revs` makes of everything they
 * reach, as `git bundle create` has it made.
 *
 * Without `index`, that pack streams through the hashers. With it, git
 * pack-objects writes the pack with its .idx and .rev (as a push to a
 * server would; nothing is indexed twice), and the pack is copied behind
 * the header in the same hashing pass: what a trusting client needs to use
 * the pack as it is.
 */
export async function createBundle (
  repo: Repository, state: RefState, dir: string, fileName: string, o: { index?: boolean, since?: string[], onProgress?: OnProgress } = {}
): Promise<CreatedBundle> {
  const file = path.join(dir, fileName)
  // an increment: the commits a receiver has already (the previous publish's tips) are its prerequisites, and the pack
  // leaves out all they reach; it is never thin, so that it indexes on its own (the signed fast path ships its .idx)
  const since = [...new Set(o.since ?? [])].sort()
  const prerequisites = since.length === 0 ? [] : await boundaryOf(repo.git, state, since)
  const header = bundleHeader(state, prerequisites)
  const tips = [...new Set(state.refs.map(r => r.oid))].map(oid => `${oid}\n`).join('') + since.map(oid => `^${oid}\n`).join('')
  const written = o.index === true
    ? await packWithIndex(repo.git, header, tips, dir, file, o.onProgress)
    : await streamBundle(repo.git, header, tips, await estimateSize(repo.git), file, o.onProgress)
  const fh = await open(file, 'r+')
  try { await fh.sync() } finally { await fh.close() }

  const made = await readBundleHeader(file)
  if (formatRefList(made.refs) !== formatRefList(state.refs) || [...made.prerequisites].sort().join() !== prerequisites.join()) {
    throw new Error(`the bundle's refs or prerequisites differ from the requested ones:\n${formatRefList(made.refs)}`)
  }
  const st = await stat(file)
  return { path: file, mtimeMs: st.mtimeMs, ...written }
}

type Written = Omit<CreatedBundle, 'path' | 'mtimeMs'>

/**
 * An increment's prerequisites, as `git bundle create` picks them: the
 * commits of the previous state that the new commits build on (rev-list's
 * boundary), not every previous tip (502 on the benchmark repository,
 * which git checks one by one before it takes the bundle). When no commit
 * is new (a ref deleted, a tag of an old commit), all of `since`: an
 * increment always names what it needs.
 */
async function boundaryOf (git: Git, state: RefState, since: string[]): Promise<string[]> {
  const input = [...new Set(state.refs.map(r => r.oid))].map(oid => `${oid}\n`).join('') + since.map(oid => `^${oid}\n`).join('')
  const r = await git.run(['rev-list', '--boundary', '--stdin'], { input, okCodes: [128] })
  if (r.code !== 0) return since   // a tag of a tree or blob among the tips: rev-list walks commits only
  const boundary = [...new Set(r.stdout.split('\n').filter(l => l.startsWith('-')).map(l => l.slice(1).trim()))].sort()
  return boundary.length > 0 ? boundary : since
}

/** The header `git bundle create --branches --tags HEAD` writes for `state`: the refs, then HEAD. */
function bundleHeader (state: RefState, since: string[]): Buffer {
  const refs = state.refs.filter(r => r.name !== 'HEAD')
  const head = state.refs.filter(r => r.name === 'HEAD')
  return Buffer.from(['# v2 git bundle', ...since.map(oid => `-${oid}`), ...[...refs, ...head].map(r => `${r.oid} ${r.name}`), ''].map(l => `${l}\n`).join(''))
}

/**
 * The header, then `git pack-objects --stdout` (git writes into the file
 * itself), and all of it through SHA-256 and piece hashers as it lands
 * (followFile). The piece length depends on the final size, unknown while
 * git writes: pieces are hashed at the lengths the estimate allows (it is
 * off by less than 2x on a packed repository), and read once more only
 * when none fits.
 */
async function streamBundle (git: Git, header: Buffer, tips: string, estimate: number, file: string, onProgress?: OnProgress): Promise<Written> {
  const likely = choosePieceLength(estimate)
  const hashers = [likely / 2, likely, likely * 2].filter(l => l >= MIN_PIECE_LENGTH).map(l => new PieceHasher(l))
  const sha = createHash('sha256')
  let size = 0
  await writeFile(file, header, { flag: 'wx' })
  const out = await open(file, 'a')
  let pack: GitStream
  try {
    pack = git.stream(['pack-objects', '--revs', '--stdout', '--delta-base-offset', '--all-progress-implied', '--progress'],
      { input: tips, stdout: out.fd, onStderr: text => reportGitProgress(text, size, onProgress) })
  } finally {
    await out.close()   // git has its own descriptor
  }
  try {
    for await (const chunk of followFile(file, 0, pack.done)) {
      sha.update(chunk)
      for (const h of hashers) h.update(chunk)
      size += chunk.length
      onProgress?.({ phase: 'bundle', loaded: size })
    }
  } catch (err) {
    pack.child.kill()   // the file could not be read back: git need not go on writing it
    await pack.done.catch(() => {})
    throw err
  }
  let pieces = hashers.find(h => h.pieceLength === choosePieceLength(size))
  if (pieces === undefined) {
    pieces = new PieceHasher(choosePieceLength(size))
    await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), hashingTap([pieces]), async function * (s) { for await (const _ of s) {} })
  }
  return { size, sha256: sha.digest('hex'), pieces, index: null }
}

/**
 * git pack-objects writes the bundle's pack with its index (.idx) and
 * reverse index (.rev) in a temporary folder; the bundle is then the header
 * git would write followed by that pack, copied in one hashing pass. The
 * index files go beside the bundle as <name>.idx and <name>.rev.
 */
async function packWithIndex (git: Git, header: Buffer, tips: string, dir: string, file: string, onProgress?: OnProgress): Promise<Written> {
  const packDir = path.join(dir, 'pack.tmp')
  try {
    await mkdir(packDir)
    // the pack is copied into the bundle, which is synced: the temporary pack needs no fsync of its own.
    // --use-bitmap-index: pack-objects uses a repository's bitmaps only for --stdout unless told
    // (measured on the large bench repository: 1.6 s with, 3.9 s without)
    const packed = await git.run(['-c', 'core.fsync=none', '-c', 'pack.writeReverseIndex=true', 'pack-objects', '--revs', '--delta-base-offset', '--use-bitmap-index',
      '--all-progress-implied', '--progress', path.join(packDir, 'pack')],
    { input: tips, onStderr: text => reportGitProgress(text, 0, onProgress) })
    const name = packed.stdout.trim()
    const files = await readdir(packDir)
    for (const ext of ['pack', 'idx', 'rev']) {
      if (!/^[0-9a-f]{40,64}$/.test(name) || !files.includes(`pack-${name}.${ext}`)) throw new Error(`git pack-objects did not write pack-${name}.${ext}`)
    }
    const pack = path.join(packDir, `pack-${name}.pack`)
    const size = header.length + (await stat(pack)).size
    const sha = createHash('sha256')
    const pieces = new PieceHasher(choosePieceLength(size))
    const tap = hashingTap([sha, pieces], n => onProgress?.({ phase: 'bundle', loaded: n, total: size }))
    const trailer = lastBytes(20)
    await pipeline(concat(header, createReadStream(pack, { highWaterMark: 1 << 20 })), trailer.tap, tap, createWriteStream(file, { flags: 'wx' }))

    const base = file.replace(/\.bundle$/, '')
    const idx = `${base}.idx`
    const rev = `${base}.rev`
    await rename(path.join(packDir, `pack-${name}.idx`), idx)
    await rename(path.join(packDir, `pack-${name}.rev`), rev)
    if (!(await packChecksumOf(idx)).equals(trailer.bytes())) throw new Error('the pack index git wrote names another pack')
    return { size, sha256: sha.digest('hex'), pieces, index: { idx, rev } }
  } finally {
    await rm(packDir, { recursive: true, force: true })
  }
}

/**
 * What a full repository's bundle will weigh, about: its packs and loose
 * objects (git count-objects). Only picks the piece lengths to hash at.
 */
async function estimateSize (git: Git): Promise<number> {
  const out = (await git.run(['count-objects', '-v'])).stdout
  const kib = (key: string): number => Number(new RegExp(`^${key}: (\\d+)$`, 'm').exec(out)?.[1] ?? 0)
  return (kib('size-pack') + kib('size')) * 1024
}

/** Passes bytes through while every hasher sees them. */
function hashingTap (hashers: Array<{ update: (b: Buffer) => unknown }>, onBytes?: (total: number) => void): Transform {
  let total = 0
  return new Transform({
    transform (chunk: Buffer, _enc, cb) {
      for (const h of hashers) h.update(chunk)
      total += chunk.length
      onBytes?.(total)
      cb(null, chunk)
    }
  })
}

async function * concat (first: Buffer, rest: Readable): AsyncGenerator<Buffer> {
  yield first
  for await (const chunk of rest) yield chunk as Buffer
}

function reportGitProgress (text: string, bytes: number, onProgress?: OnProgress): void {
  if (onProgress === undefined) return
  for (const line of text.split(/[\r\n]+/)) {
    const p = parseGitProgress(line)
    if (p !== null) onProgress({ phase: 'bundle', loaded: bytes, detail: `${p.step} ${p.done}/${p.total}` })
  }
}
