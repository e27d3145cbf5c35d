import { mkdir, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Accepted } from '../../core/check-push-object.js'
import { MirrorError } from '../../core/errors.js'
import { parsePushObject, type PushObject } from '../../core/push-object.js'
import { writeFileAtomic } from '../fs/atomic.js'

/**
 * DESIGN.md's pushobjects/<sha1 of public key>/<project>/<id>, with HEAD
 * naming the newest. The publisher keeps the chain it signs in its store;
 * a client keeps the push objects it accepted in its state directory, so
 * that an older one (a rollback) is refused later, in any clone.
 */
export class PushObjectStore {
  constructor (readonly root: string) {}

  /** The user's record of accepted push objects: `$XDG_STATE_HOME/git-torrent-mirror/pushobjects`. */
  static forUser (): PushObjectStore {
    const state = process.env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state')
    return new PushObjectStore(path.join(state, 'git-torrent-mirror', 'pushobjects'))
  }

  dir (keyId: string, project: string): string {
    if (!/^[0-9a-f]{40}$/.test(keyId) || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(project)) throw new RangeError(`bad push object key ${keyId} ${project}`)
    return path.join(this.root, keyId, project)
  }

  /** The newest push object for (key, project), or null. STORE_CORRUPT if HEAD names one that is missing or damaged. */
  async head (keyId: string, project: string): Promise<PushObject | null> {
    const dir = this.dir(keyId, project)
    let id: string
    try {
      id = (await readFile(path.join(dir, 'HEAD'), 'utf8')).trim()
    } catch {
      return null
    }
    if (!/^[0-9a-f]{64}$/.test(id)) throw corrupt(dir, 'HEAD is not a push object id')
    let po: PushObject
    try {
      po = parsePushObject(await readFile(path.join(dir, id)), path.join(dir, id))
    } catch (err) {
      throw corrupt(dir, (err as Error).message)
    }
    if (po.id !== id || po.signer.id !== keyId || po.project !== project) throw corrupt(dir, `${id} is not what HEAD says it is`)
    return po
  }

  async accepted (keyId: string, project: string): Promise<Accepted | null> {
    const po = await this.head(keyId, project)
    return po === null ? null : { sequence: po.sequence, id: po.id }
  }

  /** Stores `po` under its id, and moves HEAD to it when it is newer than HEAD's. */
  async add (po: PushObject): Promise<void> {
    const dir = this.dir(po.signer.id, po.project)
    try {
      await mkdir(dir, { recursive: true })
      await writeFileAtomic(path.join(dir, po.id), po.bytes)
    } catch (err) {
      throw new MirrorError('STORE_NOT_WRITABLE', `cannot record push object ${po.id} in ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { dir })
    }
    // two runs accepting at once: whoever wrote a lower HEAD last sees it on the re-read and writes again
    for (let attempt = 0; attempt < 5; attempt++) {
      const head = await this.head(po.signer.id, po.project)
      if (head !== null && head.sequence >= po.sequence) return
      await writeFileAtomic(path.join(dir, 'HEAD'), `${po.id}\n`)
    }
  }
}

function corrupt (dir: string, why: string): MirrorError {
  return new MirrorError('STORE_CORRUPT', `push objects in ${dir}: ${why}`, { dir })
}
