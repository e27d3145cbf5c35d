import { rm } from 'node:fs/promises'
import { isMirrorError, MirrorError } from '../core/errors.js'

/**
 * A full disk is no reason to keep a partial download for a rerun: the
 * rerun would meet the same full disk, and the origin's fallback needs the
 * room now. On NO_SPACE the download directory goes and the error says so;
 * any other error is returned as it is.
 */
export async function freeOnFullDisk (err: unknown, dir: string, what = 'partial download'): Promise<unknown> {
  if (!isMirrorError(err, 'NO_SPACE')) return err
  await rm(dir, { recursive: true, force: true })
  return new MirrorError('NO_SPACE', `${err.message}; the ${what} was deleted to free the space`, err.data)
}
