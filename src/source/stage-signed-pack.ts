import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { copyFile, open, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { Transform } from 'node:stream'
import type { BundleHeader } from '../core/bundle-header.js'
import { MirrorError } from '../core/errors.js'
import type { OnProgress } from '../core/progress.js'
import type { Ref } from '../core/ref-list.js'
import { lastBytes } from '../io/fs/last-bytes.js'
import { packChecksumOf } from '../io/fs/pack-checksum.js'
import { moveFile } from '../io/fs/move-file.js'
import { pipeToFile } from '../io/fs/pipe-to-file.js'
import type { Git } from '../io/git/run-git.js'
import { stageRefs, stagingRefs } from './stage-bundle.js'

/** A bundle whose pack index came with it, both matched against a trusted signature's digests. */
export interface SignedPack {
  file: string
  header: BundleHeader
  idx: string
  rev: string | null
  /** The pack, already copied out of the bundle as it downloaded (startCopying): moved, not copied again. */
  copied?: { file: string, trailer: Buffer } | null
}

/**
 * The signed fast path: the bundle's pack goes into the object store as it
 * is, beside the .idx (and .rev) its publisher's git wrote, and its refs
 * into the staging namespace, without index-pack and without a
 * connectivity walk. Only for a pack and index whose SHA-256 digests a
 * push object signed by a trusted key names (checked before this runs):
 * what unsigned bundles get from git's own hashing, the signature gives
 * here. The pack becomes visible to git with its .idx, renamed last.
 * Returns the refs staged, as stageBundle does (with `writeRefs: false`,
 * the refs it would stage, for the caller to write when it needs them).
 */
export async function stageSignedPack (repo: Git, p: SignedPack, o: { prefix?: string, writeRefs?: boolean, onProgress?: OnProgress, signal?: AbortSignal } = {}): Promise<Ref[]> {
  const gitDir = (await repo.run(['rev-parse', '--absolute-git-dir'])).stdout.trim()
  const packDir = path.join(gitDir, 'objects', 'pack')
  const checksum = await packChecksumOf(p.idx)
  const base = path.join(packDir, `pack-${checksum.toString('hex')}`)
  const tmp = path.join(packDir, `tmp_signed_${randomBytes(6).toString('hex')}`)
  const made: string[] = []
  try {
    made.push(`${tmp}.pack`)
    const trailer = p.copied == null ? await copyPackOut(p, `${tmp}.pack`, o) : p.copied.trailer
    if (!trailer.equals(checksum)) throw new MirrorError('BAD_BUNDLE', 'the signed pack index names another pack than the bundle holds')
    if (p.copied != null) await moveFile(p.copied.file, `${tmp}.pack`)
    await syncFile(`${tmp}.pack`)
    for (const [from, ext] of [[p.idx, 'idx'], [p.rev, 'rev']] as const) {
      if (from === null) continue
      made.push(`${tmp}.${ext}`)
      await copyFile(from, `${tmp}.${ext}`)
      await syncFile(`${tmp}.${ext}`)
    }
    // git takes a pack for present once its .idx is there: that one goes last
    for (const ext of ['pack', 'rev', 'idx']) {
      if (made.includes(`${tmp}.${ext}`)) await rename(`${tmp}.${ext}`, `${base}.${ext}`)
    }
    made.length = 0
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw new MirrorError('ABORTED', 'interrupted while moving the pack into the clone')
    throw err
  } finally {
    for (const f of made) await rm(f, { force: true })
  }

  return o.writeRefs === false ? stagingRefs(p.header.refs, o.prefix) : await stageRefs(repo, p.header.refs, o.prefix)
}

/** Copies the pack out of the bundle file into `to`; returns its last 20 bytes (its checksum). */
async function copyPackOut (p: SignedPack, to: string, o: { onProgress?: OnProgress, signal?: AbortSignal }): Promise<Buffer> {
  const total = (await stat(p.file)).size - p.header.length
  let copied = 0
  const trailer = lastBytes(20)
  const watch = new Transform({
    transform (chunk: Buffer, _enc, cb) {
      copied += chunk.length
      o.onProgress?.({ phase: 'index', loaded: copied, total, detail: 'pack and its signed index' })
      cb(null, chunk)
    }
  })
  await pipeToFile(createReadStream(p.file, { start: p.header.length, highWaterMark: 1 << 20 }), [trailer.tap, watch], to, { mode: 0o444, ...(o.signal === undefined ? {} : { signal: o.signal }) })
  return trailer.bytes()
}

async function syncFile (file: string): Promise<void> {
  const fh = await open(file, 'r')
  try { await fh.sync() } finally { await fh.close() }
}
