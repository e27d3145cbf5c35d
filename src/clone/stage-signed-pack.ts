import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { copyFile, open, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { BundleHeader } from '../core/bundle-header.js'
import { MirrorError } from '../core/errors.js'
import type { OnProgress } from '../core/progress.js'
import type { Ref } from '../core/ref-list.js'
import { lastBytes } from '../io/fs/last-bytes.js'
import { packChecksumOf } from '../io/fs/pack-checksum.js'
import type { Git } from '../io/git/run-git.js'
import { stageRefs } from './stage-bundle.js'

/** A bundle whose pack index came with it, both matched against a trusted signature's digests. */
export interface SignedPack {
  file: string
  header: BundleHeader
  idx: string
  rev: string | null
}

/**
 * The signed fast path: the bundle's pack goes into the object store as it
 * is, beside the .idx (and .rev) its publisher's git wrote, and its refs
 * into the staging namespace, without index-pack and without a
 * connectivity walk. Only for a pack and index whose SHA-256 digests a
 * push object signed by a trusted key names (checked before this runs):
 * what unsigned bundles get from git's own hashing, the signature gives
 * here. The pack becomes visible to git with its .idx, renamed last.
 * Returns the refs staged, as stageBundle does.
 */
export async function stageSignedPack (repo: Git, p: SignedPack, o: { onProgress?: OnProgress, signal?: AbortSignal } = {}): Promise<Ref[]> {
  const gitDir = (await repo.run(['rev-parse', '--absolute-git-dir'])).stdout.trim()
  const packDir = path.join(gitDir, 'objects', 'pack')
  const checksum = await packChecksumOf(p.idx)
  const base = path.join(packDir, `pack-${checksum.toString('hex')}`)
  const tmp = path.join(packDir, `tmp_signed_${randomBytes(6).toString('hex')}`)
  const made: string[] = []
  try {
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
    made.push(`${tmp}.pack`)
    await pipeline(createReadStream(p.file, { start: p.header.length, highWaterMark: 1 << 20, ...(o.signal === undefined ? {} : { signal: o.signal }) }),
      trailer.tap, watch, createWriteStream(`${tmp}.pack`, { flags: 'wx', mode: 0o444 }))
    if (!trailer.bytes().equals(checksum)) throw new MirrorError('BAD_BUNDLE', 'the signed pack index names another pack than the bundle holds')
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
  } finally {
    for (const f of made) await rm(f, { force: true })
  }

  return await stageRefs(repo, p.header.refs)
}

async function syncFile (file: string): Promise<void> {
  const fh = await open(file, 'r')
  try { await fh.sync() } finally { await fh.close() }
}
