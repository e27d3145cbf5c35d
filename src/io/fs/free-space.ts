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
