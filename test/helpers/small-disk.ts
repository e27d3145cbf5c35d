// A small file system for disk-full tests: a tmpfs of a given size mounted
// on a directory (root only; elsewhere the caller skips). Unmounted lazily
// after the test, so a process still holding a file there does not stop it.
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
  if (process.getuid?.() !== 0) return { skip: 'mounting a small tmpfs needs root' }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gtm-disk-'))
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `${o.readOnly === true ? 'ro,' : ''}size=${bytes}`, 'tmpfs', dir], { encoding: 'utf8', timeout: 10_000 })
  if (r.status !== 0) {
    await rm(dir, { recursive: true, force: true })
    return { skip: `mount -t tmpfs failed: ${(r.stderr ?? '').trim() || String(r.error)}` }
  }
  t.after(async () => {
    spawnSync('umount', ['-l', dir], { timeout: 10_000 })
    await rm(dir, { recursive: true, force: true })
  })
  return dir
}
