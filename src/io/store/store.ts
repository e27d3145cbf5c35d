import { createHash, randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { constants } from 'node:fs'
import { access, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import createDebug from 'debug'
import { MirrorError } from '../../core/errors.js'
import { isOid } from '../../core/refs.js'
import { parseBundleMeta, type BundleMeta } from '../../core/bundle-meta.js'
import { writeFileAtomic } from '../fs/atomic.js'
import { makeDirs } from '../fs/make-dirs.js'
import { pushFileName } from '../../core/project-name.js'
import { PushObjectStore } from './push-objects.js'

const debug = createDebug('mirror:store')

/** This host, in temporary directories' names: a pid means something only on the host that made it. */
const HOST_TAG = createHash('sha1').update(hostname()).digest('hex').slice(0, 8)

/** One published bundle: DESIGN.md's bundles/<start[0:2]>/<start[2:]>/<end>/. */
export interface StoredBundle {
  dir: string
  meta: BundleMeta
  /** The bundle, named as the torrent names it. */
  bundlePath: string
  /** The push object beside it in a signed publish's torrent, else null. */
  pushPath: string | null
  torrentPath: string
}

/**
 * The publisher's and seeder's store. Everything enters through a temporary
 * directory under tmp/ and becomes visible with one rename, meta.json last
 * written inside it: a crash never leaves a half bundle that looks complete.
 */
export class Store {
  readonly root: string

  private constructor (root: string) {
    this.root = root
  }

  /** Opens (creating if needed) a writable store. */
  static async open (root: string): Promise<Store> {
    const abs = path.resolve(root)
    try {
      await makeDirs(path.join(abs, 'bundles'))
      await makeDirs(path.join(abs, 'tmp'))
      await access(path.join(abs, 'tmp'), constants.W_OK)
      const probe = path.join(abs, 'tmp', `.probe-${randomBytes(4).toString('hex')}`)
      await writeFile(probe, '')
      await rm(probe)
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      const why = err instanceof MirrorError ? err.message : e.code ?? e.message
      throw new MirrorError('STORE_NOT_WRITABLE', `store ${abs} is not writable (${why})`, { store: abs })
    }
    const store = new Store(abs)
    await store.pruneTemp()
    return store
  }

  /**
   * Removes scratch directories a crashed run left (publish-*, records-*,
   * private-*, index-*): at once when their owner, a process on this host,
   * is gone (a kill -9 of mirror-publish left a partial bundle there),
   * otherwise once they are a day old (another host's, sharing the store,
   * or from before the owner was in the name). Partial downloads
   * (download-<infohash>, http-<sha1 of the URL>) stay: a rerun resumes them.
   */
  async pruneTemp (maxAgeMs = 24 * 3600 * 1000): Promise<void> {
    const tmp = path.join(this.root, 'tmp')
    for (const name of await readdirOrEmpty(tmp)) {
      const m = /^(?:publish|records|private|index)-(?:(\d+)-([0-9a-f]{8})-)?[0-9a-f]+$/.exec(name)
      if (m === null) continue
      const dir = path.join(tmp, name)
      const ownerGone = m[2] === HOST_TAG && !isAlive(Number(m[1]))
      const st = ownerGone ? null : await stat(dir).catch(() => null)
      if (ownerGone || (st !== null && Date.now() - st.mtimeMs > maxAgeMs)) {
        debug('removing stale %s', dir)
        await rm(dir, { recursive: true, force: true })
      }
    }
  }

  /** pushobjects/: the chain of push objects signed with this store's bundles. */
  get pushObjects (): PushObjectStore {
    return new PushObjectStore(path.join(this.root, 'pushobjects'))
  }

  bundleDir (start: string, end: string): string {
    if (!isOid(start) || !isOid(end)) throw new RangeError(`bad store key ${start} ${end}`)
    return path.join(this.root, 'bundles', start.slice(0, 2), start.slice(2), end)
  }

  /** A fresh private directory under tmp/, named after its owner (this process, on this host) so that a later run can tell when it is gone. */
  async makeTemp (prefix: string): Promise<string> {
    const dir = path.join(this.root, 'tmp', `${prefix}-${process.pid}-${HOST_TAG}-${randomBytes(6).toString('hex')}`)
    await mkdir(dir)
    return dir
  }

  /** A stable directory under tmp/ (a resumable download keyed by infohash). */
  async stableTemp (name: string): Promise<string> {
    if (!/^[a-z]+-[0-9a-f]{40}$/.test(name)) throw new RangeError(`bad temp name ${name}`)
    const dir = path.join(this.root, 'tmp', name)
    await mkdir(dir, { recursive: true })
    return dir
  }

  /**
   * Where to download `key` (an infohash; the SHA-1 of a URL for kind
   * 'http'): the shared, resumable tmp/download-<key> (tmp/http-<key>)
   * when no live process holds its lock (a dead holder's lock is taken
   * over), else a private directory, so that two runs never write or delete
   * the same file. `release` drops the lock (the directory stays).
   */
  async claimDownload (key: string, kind: 'download' | 'http' = 'download'): Promise<{ dir: string, shared: boolean, release: () => Promise<void> }> {
    const dir = await this.stableTemp(`${kind}-${key}`)
    const lock = `${dir}.lock`
    const token = `${process.pid} ${randomBytes(8).toString('hex')}`
    const ours = async (): Promise<boolean> => await readFile(lock, 'utf8').catch(() => '') === token
    let mine = false
    if (!heldLocks.has(lock)) {
      try {
        await writeFile(lock, token, { flag: 'wx' })
        mine = true
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
        // our own pid in a lock we do not hold is a previous life's (a container reusing pids)
        const holder = Number((await readFile(lock, 'utf8').catch(() => '')).split(' ')[0])
        if (holder === process.pid || !isAlive(holder)) {
          const mineTemp = `${lock}.${randomBytes(4).toString('hex')}`
          await writeFile(mineTemp, token)
          await rename(mineTemp, lock)   // atomic: of two runs taking over, the last rename wins ...
          mine = await ours()            // ... and the other one sees it
        }
      }
    }
    if (!mine) {
      debug('%s is being downloaded by another run; using a private directory', key)
      return { dir: await this.makeTemp('private'), shared: false, release: async () => {} }
    }
    heldLocks.add(lock)
    const release = async (): Promise<void> => {
      heldLocks.delete(lock)
      if (await ours()) await rm(lock, { force: true })
    }
    return { dir, shared: true, release }
  }

  async get (start: string, end: string): Promise<StoredBundle | null> {
    return await this.load(this.bundleDir(start, end))
  }

  async list (): Promise<StoredBundle[]> {
    const out: StoredBundle[] = []
    const bundles = path.join(this.root, 'bundles')
    for (const a of await readdirOrEmpty(bundles)) {
      for (const b of await readdirOrEmpty(path.join(bundles, a))) {
        for (const c of await readdirOrEmpty(path.join(bundles, a, b))) {
          const entry = await this.load(path.join(bundles, a, b, c))
          if (entry !== null) out.push(entry)
        }
      }
    }
    return out
  }

  async findByInfoHash (infoHash: string): Promise<StoredBundle | null> {
    return (await this.list()).find(e => e.meta.infoHash === infoHash) ?? null
  }

  /**
   * Makes `tempDir` (holding the bundle and its torrent) a store entry. If the
   * same torrent was committed meanwhile, the existing entry wins; an entry
   * of the same state under another torrent (the same bundle signed again)
   * is replaced: the newest verified torrent is the one seeded.
   */
  async commit (tempDir: string, meta: BundleMeta, torrent: Uint8Array): Promise<StoredBundle> {
    parseBundleMeta(JSON.stringify(meta))   // an entry that would not load again never lands
    await writeFileAtomic(path.join(tempDir, `${meta.file}.torrent`), torrent)
    await writeFileAtomic(path.join(tempDir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`)
    const dir = this.bundleDir(meta.start, meta.end)
    await mkdir(path.dirname(dir), { recursive: true })
    try {
      await rename(tempDir, dir)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err
      const existing = await this.load(dir)
      if (existing === null || existing.meta.infoHash !== meta.infoHash) {
        const old = path.join(this.root, 'tmp', `private-${randomBytes(6).toString('hex')}`)
        await rename(dir, old)
        await rename(tempDir, dir)
        await rm(old, { recursive: true, force: true })
      } else {
        await rm(tempDir, { recursive: true, force: true })
      }
    }
    const entry = await this.load(dir)
    if (entry === null) throw new MirrorError('STORE_CORRUPT', `store entry ${dir} is unreadable right after writing it`)
    return entry
  }

  /** Replaces an entry's torrent (same infohash) and meta, each atomically. */
  async update (entry: StoredBundle, meta: BundleMeta, torrent?: Uint8Array): Promise<StoredBundle> {
    if (torrent !== undefined) await writeFileAtomic(entry.torrentPath, torrent)
    await writeFileAtomic(path.join(entry.dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`)
    return { ...entry, meta }
  }

  /** True when the bundle file still has the size and mtime recorded: no re-hash needed. */
  async isUnchanged (entry: StoredBundle): Promise<boolean> {
    try {
      const st = await stat(entry.bundlePath)
      return st.size === entry.meta.size && st.mtimeMs === entry.meta.mtimeMs
    } catch {
      return false
    }
  }

  private async load (dir: string): Promise<StoredBundle | null> {
    let text: string
    try {
      text = await readFile(path.join(dir, 'meta.json'), 'utf8')
    } catch {
      return null   // not (yet) an entry
    }
    try {
      const meta = parseBundleMeta(text)
      if (dir !== this.bundleDir(meta.start, meta.end)) throw new Error('stored under the wrong directory')
      return { dir, meta, ...entryFiles(dir, meta), torrentPath: path.join(dir, `${meta.file}.torrent`) }
    } catch (err) {
      debug('skipping %s: %s', dir, (err as Error).message)
      return null
    }
  }
}

/** Where an entry's bundle (and push object) live: in the torrent's folder for a signed publish. */
export function entryFiles (dir: string, meta: Pick<BundleMeta, 'file' | 'folder'>): { bundlePath: string, pushPath: string | null } {
  if (meta.folder === null) return { bundlePath: path.join(dir, meta.file), pushPath: null }
  return { bundlePath: path.join(dir, meta.folder, meta.file), pushPath: path.join(dir, meta.folder, pushFileName(meta.folder)) }
}

async function readdirOrEmpty (dir: string): Promise<string[]> {
  try {
    return await readdir(dir)
  } catch {
    return []
  }
}

/** Download locks this process holds. */
const heldLocks = new Set<string>()

/** Whether a process with this pid runs (on this machine): a lock holder that died left a stale lock. */
function isAlive (pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
