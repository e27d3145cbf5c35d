// A small file system for disk-full tests: a tmpfs of a given size mounted
// on a directory (as root, or through sudo -n; elsewhere the caller skips).
// Unmounted lazily after the test, so a process still holding a file there
// does not stop it.
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'

/**
 * A tmpfs of `bytes` (read-only if asked) mounted on a new directory of its own (outside any
 * test's temporary tree, whose cleanup would meet the mount point): its
 * path, or `{ skip }` saying why it cannot be made (not root, no mount).
 */
export async function mountSmallDisk (t: TestContext, bytes: number, o: { readOnly?: boolean } = {}): Promise<string | { skip: string }> {
  // root mounts it; another user through sudo without a password (as CI's apt-get does), owning the mount
  const root = process.getuid?.() === 0
  const as = (cmd: string[]): string[] => root ? cmd : ['sudo', '-n', ...cmd]
  const owner = root ? '' : `,uid=${process.getuid?.() ?? 0},gid=${process.getgid?.() ?? 0}`
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gtm-disk-'))
  const [cmd, ...args] = as(['mount', '-t', 'tmpfs', '-o', `${o.readOnly === true ? 'ro,' : ''}size=${bytes}${owner}`, 'tmpfs', dir])
  const r = spawnSync(cmd!, args, { encoding: 'utf8', timeout: 10_000 })
  if (r.status !== 0) {
    await rm(dir, { recursive: true, force: true })
    return { skip: `cannot mount a small tmpfs (${root ? '' : 'not root, and sudo -n '}mount: ${(r.stderr ?? '').trim() || String(r.error)})` }
  }
  t.after(async () => {
    const [u, ...uargs] = as(['umount', '-l', dir])
    spawnSync(u!, uargs, { timeout: 10_000 })
    await rm(dir, { recursive: true, force: true })
  })
  return dir
}
