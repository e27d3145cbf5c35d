import LightningFS from '@isomorphic-git/lightning-fs'
import git from 'isomorphic-git'
import { parseBundleHeader, type BundleHeader } from '../core/bundle-header.js'
import { MirrorError } from '../core/errors.js'
import { guessHead } from '../core/ref-list.js'
import { digestHex, hex } from './check-signed.js'

export interface BrowserRepository {
  fs: LightningFS
  dir: string
  /** The branch HEAD names (refs/heads/...), else null (a detached HEAD, or none). */
  head: string | null
  objects: number
}

/** Where the clone lives in the page's file system (IndexedDB, under the database of the same name). */
export const REPOSITORY_DIR = '/repository'
const FS_NAME = 'git-torrent-mirror'

/** A bundle's header, refused as mirror-clone refuses it: not a bundle, or incremental (the page takes full bundles). */
export function readHeader (bundle: Uint8Array): BundleHeader {
  const header = parseBundleHeader(bundle.subarray(0, Math.min(bundle.length, 16 << 20)))
  if (header === null) throw new MirrorError('BAD_BUNDLE', 'the bundle ends inside its header')
  if (header.prerequisites.length > 0) throw new MirrorError('BAD_BUNDLE', 'it is incremental (has prerequisites), not a full bundle')
  return header
}

/**
 * The bundle's pack, indexed with isomorphic-git into a fresh repository
 * in the page's file system (lightning-fs on IndexedDB), and its refs
 * written. What isomorphic-git does not check is checked here, so that a
 * damaged pack is refused as native git refuses it (BAD_BUNDLE): the
 * pack's SHA-1 trailer, an index that fails, and a ref whose object the
 * pack lacks (isomorphic-git skips objects it cannot read).
 */
export async function indexBundle (bundle: Uint8Array, header: BundleHeader): Promise<BrowserRepository> {
  const pack = bundle.subarray(header.length)
  if (pack.length < 32 || new TextDecoder().decode(pack.subarray(0, 4)) !== 'PACK') throw new MirrorError('BAD_BUNDLE', 'no pack after the bundle header')
  const trailer = hex(pack.subarray(pack.length - 20))
  if (await digestHex('SHA-1', pack.subarray(0, pack.length - 20)) !== trailer) {
    throw new MirrorError('BAD_BUNDLE', 'the pack is damaged: its SHA-1 checksum does not match its contents')
  }
  const fs = new LightningFS(FS_NAME, { wipe: true })
  const dir = REPOSITORY_DIR
  await git.init({ fs, dir, defaultBranch: 'main' })
  const file = `.git/objects/pack/pack-${trailer}.pack`
  await fs.promises.writeFile(`${dir}/${file}`, pack)
  let objects: number
  try {
    objects = (await git.indexPack({ fs, dir, filepath: file })).oids.length
  } catch (err) {
    throw new MirrorError('BAD_BUNDLE', `the pack does not index: ${(err as Error).message}`)
  }
  const headOid = header.refs.find(r => r.name === 'HEAD')?.oid ?? null
  for (const r of header.refs) {
    try {
      await git.readObject({ fs, dir, oid: r.oid, format: 'deflated' })
    } catch {
      throw new MirrorError('BAD_BUNDLE', `${r.name} names ${r.oid}, which the pack does not hold`)
    }
    if (r.name !== 'HEAD') await git.writeRef({ fs, dir, ref: r.name, value: r.oid, force: true })
  }
  const head = headOid === null ? null : guessHead(header.refs.filter(r => r.name !== 'HEAD'), headOid)
  if (head !== null) await git.writeRef({ fs, dir, ref: 'HEAD', value: head, symbolic: true, force: true })
  else if (headOid !== null) await git.writeRef({ fs, dir, ref: 'HEAD', value: headOid, force: true })
  return { fs, dir, head, objects }
}

/** What the page shows of the clone: its branches and tags, the log of HEAD, and HEAD's files. */
export interface RepositoryView {
  branches: string[]
  tags: string[]
  log: Array<{ oid: string, author: string, time: number, subject: string }>
  files: string[]
  /** More files than listed (the list stops at MAX_FILES). */
  moreFiles: number
}

const LOG_DEPTH = 50
const MAX_FILES = 5000

export async function viewRepository (r: BrowserRepository): Promise<RepositoryView> {
  const { fs, dir } = r
  const branches = await git.listBranches({ fs, dir })
  const tags = await git.listTags({ fs, dir })
  const hasHead = await git.resolveRef({ fs, dir, ref: 'HEAD' }).then(() => true, () => false)
  const log = hasHead ? await git.log({ fs, dir, ref: 'HEAD', depth: LOG_DEPTH }) : []
  const files = hasHead ? await git.listFiles({ fs, dir, ref: 'HEAD' }) : []
  return {
    branches,
    tags,
    log: log.map(e => ({ oid: e.oid, author: e.commit.author.name, time: e.commit.author.timestamp, subject: e.commit.message.split('\n')[0] ?? '' })),
    files: files.slice(0, MAX_FILES),
    moreFiles: Math.max(0, files.length - MAX_FILES)
  }
}
