// AskPass against real git: `git credential fill` asks for a user name and a
// password through GIT_ASKPASS, as a clone's git does; repeats come from memory.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { AskPass } from '../../src/io/git/askpass.js'
import { makeTestEnv } from '../helpers/env.js'

async function credentialFill (env: NodeJS.ProcessEnv, cwd: string, host: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const child = execFile('git', ['credential', 'fill'], { env: { ...env, GIT_TERMINAL_PROMPT: '0' }, cwd, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${err.message}\n${stderr}`)); else resolve(stdout)
    })
    child.stdin!.end(`protocol=https\nhost=${host}\n\n`)
  })
}

test('AskPass asks each prompt once per run, hides passwords, and leaves nothing behind', { timeout: 60_000 }, async t => {
  const te = await makeTestEnv('gtm-askpass-')
  t.after(async () => await te.cleanup())
  const asked: Array<[string, boolean]> = []
  const askpass = await AskPass.start(async (prompt, hidden) => {
    asked.push([prompt, hidden])
    return /^Username/.test(prompt) ? 'alice' : 's3cret \'"$x'
  })
  const env = { ...te.env, ...askpass.env }
  const first = await credentialFill(env, te.dir, 'git.example.org')
  const second = await credentialFill(env, te.dir, 'git.example.org')
  assert.equal(first, 'protocol=https\nhost=git.example.org\nusername=alice\npassword=s3cret \'"$x\n')
  assert.equal(second, first, 'the second git gets the same answers')
  assert.deepEqual(asked, [["Username for 'https://git.example.org': ", false], ["Password for 'https://alice@git.example.org': ", true]])

  await credentialFill(env, te.dir, 'other.example.org')
  assert.equal(asked.length, 4, 'another host is asked anew')

  const dir = path.dirname(askpass.env.GIT_ASKPASS!)
  await askpass.close()
  await askpass.close()
  assert.equal(existsSync(dir), false, 'the helper and its socket are gone')
  await assert.rejects(credentialFill(env, te.dir, 'git.example.org'), 'without the process, the helper answers nothing')
})

test('AskPass refuses a caller without the token', { timeout: 30_000 }, async t => {
  const te = await makeTestEnv('gtm-askpass-')
  t.after(async () => await te.cleanup())
  let asked = 0
  const askpass = await AskPass.start(async () => { asked++; return 'x' })
  t.after(async () => await askpass.close())
  const [socket] = askpass.env.GIT_TORRENT_MIRROR_ASKPASS!.split('\n')
  const env = { ...te.env, ...askpass.env, GIT_TORRENT_MIRROR_ASKPASS: `${socket!}\n${'0'.repeat(64)}` }
  await assert.rejects(credentialFill(env, te.dir, 'git.example.org'))
  assert.equal(asked, 0)
})
