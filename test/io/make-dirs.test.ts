// makeDirs against real file systems: the refusals a user can meet, each one
// MirrorError line, none a spin or a stack trace.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { makeDirs } from '../../src/io/fs/make-dirs.js'
import { isMirrorError } from '../../src/core/errors.js'
import { mountSmallDisk } from '../helpers/small-disk.js'

async function tempDir (t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gtm-mkdirs-'))
  t.after(async () => await rm(dir, { recursive: true, force: true }))
  return dir
}

test('makeDirs: makes every missing level, and is fine with what exists', async (t) => {
  const dir = await tempDir(t)
  const deep = path.join(dir, 'a', 'b', 'c')
  await makeDirs(deep)
  assert.ok((await stat(deep)).isDirectory())
  await makeDirs(deep)
  await makeDirs(dir)
})

test('makeDirs: a file on the way is named', async (t) => {
  const dir = await tempDir(t)
  await writeFile(path.join(dir, 'f'), 'x')
  await assert.rejects(makeDirs(path.join(dir, 'f')), { code: 'LOCAL_IO', message: `cannot create directory ${dir}/f: ${dir}/f is not a directory` })
  await assert.rejects(makeDirs(path.join(dir, 'f', 'g')), { code: 'LOCAL_IO', message: `cannot create directory ${dir}/f/g: ENOTDIR` })
})

test('makeDirs: under /proc, where node\'s recursive mkdir spins forever, it refuses at once', { timeout: 10_000, skip: existsSync('/proc/self') ? false : 'no /proc here' }, async () => {
  await assert.rejects(makeDirs('/proc/x/bundles', 'cache'), (err: unknown) => {
    assert.ok(isMirrorError(err, 'LOCAL_IO'), String(err))
    assert.match(err.message, /^cannot create cache \/proc\/x\/bundles: /)
    return true
  })
})

test('makeDirs: a read-only file system is LOCAL_IO, named as such', { timeout: 20_000 }, async (t) => {
  const disk = await mountSmallDisk(t, 1 << 20, { readOnly: true })
  if (typeof disk !== 'string') { t.skip(disk.skip); return }
  await assert.rejects(makeDirs(path.join(disk, 'mine'), 'the clone\'s directory'), { code: 'LOCAL_IO', message: `cannot create the clone's directory ${disk}/mine: EROFS` })
})
