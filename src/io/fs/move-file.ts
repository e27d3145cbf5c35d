import { copyFile, rename, rm } from 'node:fs/promises'
import path from 'node:path'

/**
 * Renames `from` to `to`; where they are on different file systems (the
 * cache and a clone may be), copies to a temporary name beside `to` and
 * renames that, so `to` never appears half-written.
 */
export async function moveFile (from: string, to: string): Promise<void> {
  try {
    await rename(from, to)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err
    const tmp = path.join(path.dirname(to), `tmp_${path.basename(to)}`)
    try {
      await copyFile(from, tmp)
      await rename(tmp, to)
    } catch (err2) {
      await rm(tmp, { force: true })
      throw err2
    }
    await rm(from, { force: true })
  }
}
