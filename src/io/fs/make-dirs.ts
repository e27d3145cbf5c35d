import { mkdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { localFailure, MirrorError } from '../../core/errors.js'

/** Deeper than any real path; a bound for a file system that keeps answering "missing" (see below). */
const MAX_LEVELS = 256

/**
 * `mkdir -p`, one level at a time from the nearest existing ancestor, with
 * errors a user can act on. Node's recursive mkdir spins at full CPU,
 * forever, where a parent exists and mkdir still says ENOENT (under /proc,
 * as a probe found with `--cache /proc/x`), and reports a read-only file
 * system as ENOENT; here each failure is one MirrorError naming the
 * directory: NO_SPACE or LOCAL_IO for this machine's refusals (read-only,
 * permissions, full), LOCAL_IO otherwise.
 */
export async function makeDirs (dir: string, what = 'directory'): Promise<void> {
  const abs = path.resolve(dir)
  const missing: string[] = []
  let at = abs
  for (;;) {
    const st = await stat(at).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null
      throw refused(abs, what, err)
    })
    if (st !== null) {
      if (!st.isDirectory()) throw new MirrorError('LOCAL_IO', `cannot create ${what} ${abs}: ${at} is not a directory`, { dir: abs })
      break
    }
    missing.unshift(at)
    const parent = path.dirname(at)
    if (parent === at || missing.length > MAX_LEVELS) throw new MirrorError('LOCAL_IO', `cannot create ${what} ${abs}: no existing parent`, { dir: abs })
    at = parent
  }
  for (const level of missing) {
    try {
      await mkdir(level)
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      if (e.code === 'EEXIST' && (await stat(level).catch(() => null))?.isDirectory() === true) continue
      throw refused(abs, what, e)
    }
  }
}

function refused (dir: string, what: string, err: NodeJS.ErrnoException): MirrorError {
  const why = err.code === 'ENOENT' ? 'the file system does not allow it (ENOENT)' : (err.code ?? err.message)
  return new MirrorError(localFailure({ errno: err.code }) ?? 'LOCAL_IO', `cannot create ${what} ${dir}: ${why}`, { dir })
}
