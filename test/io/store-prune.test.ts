import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { mkdir, readdir, utimes } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { Store } from '../../src/io/store/store.js'
import { makeTestEnv } from '../helpers/env.js'

test('Store.open prunes scratch directories a crashed run left a day ago, never partial downloads or fresh ones', async t => {
  const te = await makeTestEnv('gtm-prune-')
  t.after(() => te.cleanup())
  const tmp = path.join(te.dir, 'store', 'tmp')
  const old = new Date(Date.now() - 2 * 24 * 3600 * 1000)
  for (const name of ['publish-0a1b2c', 'records-3d4e5f', `download-${'ab'.repeat(20)}`, 'publish-999999']) {
    await mkdir(path.join(tmp, name), { recursive: true })
    if (name !== 'publish-999999') await utimes(path.join(tmp, name), old, old)
  }
  await Store.open(path.join(te.dir, 'store'))
  assert.deepEqual((await readdir(tmp)).sort(), [`download-${'ab'.repeat(20)}`, 'publish-999999'])
})

test('Store.open prunes at once the scratch directory of a run killed with SIGKILL (its owner is gone), not a live run\'s', { timeout: 30_000 }, async t => {
  const te = await makeTestEnv('gtm-prune-')
  t.after(() => te.cleanup())
  const root = path.join(te.dir, 'store')
  const storeModule = pathToFileURL(path.resolve('dist/src/io/store/store.js')).href
  // a process that makes a publish scratch directory through the Store, says where, and waits to be killed
  const script = `const { Store } = await import(${JSON.stringify(storeModule)}); const s = await Store.open(${JSON.stringify(root)}); console.log(await s.makeTemp('publish')); setInterval(() => {}, 1000)`
  const start = (): { child: ReturnType<typeof spawn>, dir: Promise<string> } => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    const dir = new Promise<string>((resolve, reject) => {
      child.stdout!.once('data', (b: Buffer) => resolve(b.toString().trim()))
      child.once('exit', code => reject(new Error(`exited ${String(code)} before making its directory`)))
    })
    return { child, dir }
  }
  const killed = start()
  const killedDir = await killed.dir
  const alive = start()
  t.after(() => { alive.child.kill('SIGKILL') })
  const aliveDir = await alive.dir
  await new Promise<void>(resolve => { killed.child.once('exit', () => resolve()); killed.child.kill('SIGKILL') })
  assert.ok(existsSync(killedDir) && existsSync(aliveDir))

  await Store.open(root)
  assert.equal(existsSync(killedDir), false, 'the killed run\'s scratch directory is gone')
  assert.equal(existsSync(aliveDir), true, 'the live run\'s stays')
})
