import { readdirSync, rmSync } from 'node:fs'
import { readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { localFailure, MirrorError } from '../core/errors.js'
import { makeDirs } from '../io/fs/make-dirs.js'

/**
 * The directory a clone is made in, and how to undo it: a directory the
 * clone created is removed, one that existed (empty, as git clone requires)
 * is emptied.
 */
export class Destination {
  readonly dir: string
  private readonly existed: boolean

  private constructor (dir: string, existed: boolean) {
    this.dir = dir
    this.existed = existed
  }

  /** DESTINATION_EXISTS when `dir` exists and is not an empty directory, as git clone refuses it. */
  static async claim (dir: string): Promise<Destination> {
    const abs = path.resolve(dir)
    let entries: string[] | null
    try {
      entries = await readdir(abs)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOTDIR') throw new MirrorError('DESTINATION_EXISTS', `destination path '${dir}' already exists and is not a directory`, { dir })
      if (code !== 'ENOENT') throw new MirrorError(localFailure({ errno: code }) ?? 'LOCAL_IO', `cannot read destination path '${dir}': ${code ?? (err as Error).message}`, { dir })
      entries = null
    }
    if (entries !== null && entries.length > 0) {
      throw new MirrorError('DESTINATION_EXISTS', `destination path '${dir}' already exists and is not an empty directory`, { dir })
    }
    await makeDirs(abs, 'the clone\'s directory')
    return new Destination(abs, entries !== null)
  }

  /** The same, synchronously: for a second Ctrl-C, which exits at once. */
  undoSync (): void {
    if (!this.existed) {
      rmSync(this.dir, { recursive: true, force: true })
      return
    }
    for (const name of readdirSync(this.dir)) rmSync(path.join(this.dir, name), { recursive: true, force: true })
  }

  /** Removes what the clone made; the original error stays the one reported. */
  async undo (): Promise<void> {
    if (!this.existed) {
      await rm(this.dir, { recursive: true, force: true })
      return
    }
    await this.clear()
  }

  /** Empties the directory, which stays claimed: for a clone that starts over (a plain git clone into it). */
  async clear (): Promise<void> {
    for (const name of await readdir(this.dir).catch(() => [])) {
      await rm(path.join(this.dir, name), { recursive: true, force: true })
    }
  }
}
