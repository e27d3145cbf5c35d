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
import type { Git } from '../io/git/run-git.js'
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
 * pieces hashed as it is written: no second read. The refs are laid out in
 * a scratch repository that borrows the objects through alternates, so the
 * bundle names them as the remote does (refs/heads/*, refs/tags/*) whatever
 * this repository calls them.
 *
 * Without `index`, `git bundle create` streams through the hashers. With
 * it, git pack-objects writes the pack with its .idx and .rev (as a push to
 * a server would; nothing is indexed twice), and the pack is copied behind
 * the bundle header in the same hashing pass: what a trusting client needs
 * to use the pack as it is.
 */
export async function createBundle (
  repo: Repository, state: RefState, dir: string, fileName: string, o: { index?: boolean, onProgress?: OnProgress } = {}
): Promise<CreatedBundle> {
  const scratchDir = path.join(dir, 'scratch.git')
  try {
    await repo.git.at(dir).run(['init', '--bare', '--quiet', scratchDir])
    const git = repo.git.at(scratchDir)
    await writeFile(path.join(scratchDir, 'objects', 'info', 'alternates'), `${path.join(repo.gitDir, 'objects')}\n`)
    const refs = state.refs.filter(r => r.name !== 'HEAD')
    await git.run(['update-ref', '--stdin'], { input: refs.map(r => `create ${r.name} ${r.oid}\n`).join('') })
    const headOid = state.refs.find(r => r.name === 'HEAD')?.oid
    if (headOid !== undefined) {
      if (state.head !== null && refs.some(r => r.name === state.head && r.oid === headOid)) {
        await git.run(['symbolic-ref', 'HEAD', state.head])
      } else {
        await git.run(['update-ref', '--no-deref', 'HEAD', headOid])
      }
    }

    const file = path.join(dir, fileName)
    const written = o.index === true
      ? await packWithIndex(git, state, dir, file, o.onProgress)
      : await streamBundle(git, await estimateSize(repo.git), headOid !== undefined, file, o.onProgress)
    const fh = await open(file, 'r+')
    try { await fh.sync() } finally { await fh.close() }

    const header = await readBundleHeader(file)
    if (formatRefList(header.refs) !== formatRefList(state.refs) || header.prerequisites.length > 0) {
      throw new Error(`git wrote a bundle whose refs differ from the requested ones:\n${formatRefList(header.refs)}`)
    }
    const st = await stat(file)
    return { path: file, mtimeMs: st.mtimeMs, ...written }
  } finally {
    await rm(scratchDir, { recursive: true, force: true })
  }
}

type Written = Omit<CreatedBundle, 'path' | 'mtimeMs'>

/**
 * `git bundle create` into `file` through SHA-256 and piece hashers. The
 * piece length depends on the final size, unknown while git writes: pieces
 * are hashed at the lengths the estimate allows (it is off by less than 2x
 * on a packed repository), and read once more only when none fits.
 */
async function streamBundle (git: Git, estimate: number, withHead: boolean, file: string, onProgress?: OnProgress): Promise<Written> {
  const likely = choosePieceLength(estimate)
  const hashers = [likely / 2, likely, likely * 2].filter(l => l >= MIN_PIECE_LENGTH).map(l => new PieceHasher(l))
  let size = 0
  const bundle = git.stream(['bundle', 'create', '--progress', '-', '--branches', '--tags', ...(withHead ? ['HEAD'] : [])],
    { onStderr: text => reportGitProgress(text, size, onProgress) })
  const sha = createHash('sha256')
  const tap = hashingTap([sha, ...hashers], n => { size = n; onProgress?.({ phase: 'bundle', loaded: n }) })
  await Promise.all([pipeline(bundle.child.stdout!, tap, createWriteStream(file, { flags: 'wx' })), bundle.done])
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
async function packWithIndex (git: Git, state: RefState, dir: string, file: string, onProgress?: OnProgress): Promise<Written> {
  const packDir = path.join(dir, 'pack.tmp')
  try {
    await mkdir(packDir)
    const tips = [...new Set(state.refs.map(r => r.oid))]
    // the pack is copied into the bundle, which is synced: the temporary pack needs no fsync of its own
    const packed = await git.run(['-c', 'core.fsync=none', '-c', 'pack.writeReverseIndex=true', 'pack-objects', '--revs', '--delta-base-offset',
      '--all-progress-implied', '--progress', path.join(packDir, 'pack')],
    { input: tips.map(t => `${t}\n`).join(''), onStderr: text => reportGitProgress(text, 0, onProgress) })
    const name = packed.stdout.trim()
    const files = await readdir(packDir)
    for (const ext of ['pack', 'idx', 'rev']) {
      if (!/^[0-9a-f]{40,64}$/.test(name) || !files.includes(`pack-${name}.${ext}`)) throw new Error(`git pack-objects did not write pack-${name}.${ext}`)
    }
    const pack = path.join(packDir, `pack-${name}.pack`)
    const header = Buffer.from(['# v2 git bundle', ...state.refs.filter(r => r.name !== 'HEAD').map(r => `${r.oid} ${r.name}`),
      ...state.refs.filter(r => r.name === 'HEAD').map(r => `${r.oid} HEAD`), ''].map(l => `${l}\n`).join(''))
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
