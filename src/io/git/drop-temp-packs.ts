import { readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import type { Git } from './run-git.js'

/**
 * Removes objects/pack/tmp_* from a repository: what git index-pack or
 * fetch leaves when it dies mid-write (e.g. "No space left on device"
 * leaves tmp_pack_XXXXXX). Only for a repository nothing else writes to,
 * such as a clone being made.
 */
export async function dropTempPacks (repo: Git): Promise<void> {
  const packDir = path.resolve(repo.cwd, (await repo.run(['rev-parse', '--git-path', 'objects/pack'])).stdout.trim())
  const temps = (await readdir(packDir).catch(() => [])).filter(f => f.startsWith('tmp_'))
  await Promise.all(temps.map(async f => await rm(path.join(packDir, f), { force: true })))
}
