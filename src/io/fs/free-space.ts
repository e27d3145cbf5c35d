import { statfsSync } from 'node:fs'
import { stat, statfs } from 'node:fs/promises'
import path from 'node:path'
import type { Space } from '../../core/disk-space.js'

/**
 * The free space (for an unprivileged user: f_bavail) of the file system
 * `dir` is on, or would be on once made: the nearest existing ancestor's.
 */
export async function spaceAt (dir: string): Promise<Space> {
  let at = path.resolve(dir)
  for (;;) {
    try {
      const [fs, st] = await Promise.all([statfs(at), stat(at)])
      return { free: fs.bavail * fs.bsize, device: st.dev }
    } catch (err) {
      const parent = path.dirname(at)
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === at) throw err
      at = parent
    }
  }
}

/** The free bytes of the file system `dir` (which exists) is on, at once; null when it cannot be read. */
export function freeBytesSync (dir: string): number | null {
  try {
    const fs = statfsSync(dir)
    return fs.bavail * fs.bsize
  } catch {
    return null
  }
}
