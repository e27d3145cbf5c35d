// Signing keys on the real file system, and keys made by ssh-keygen and openssl.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parsePublicKey, verifySignature } from '../../src/core/public-key.js'
import { defaultKeyPath, generateSigningKey, loadSigningKey } from '../../src/io/keys/signing-key.js'

const SSH_KEYGEN = '/usr/bin/ssh-keygen'
const OPENSSL = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find(p => existsSync(p))

async function tempDir (t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gtm-signing-key-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

function sshKeygen (file: string, ...args: string[]): void {
  execFileSync(SSH_KEYGEN, ['-q', ...args, '-f', file], { stdio: 'ignore' })
}

async function assertBadKey (file: string, why: RegExp): Promise<void> {
  await assert.rejects(loadSigningKey(file), (err: any) => {
    assert.equal(err.name, 'MirrorError')
    assert.equal(err.code, 'BAD_KEY')
    assert.ok(err.message.includes(file), err.message)
    assert.match(err.message, why)
    assert.deepEqual(err.data, { file })
    return true
  })
}

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777

test('generateSigningKey: a 0600 key in a 0700 directory, and its .pub', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'config', 'git-torrent-mirror', 'signing-key')
  const key = await generateSigningKey(file, { force: false })
  assert.equal(key.file, file)
  assert.equal(await mode(file), 0o600)
  assert.equal(await mode(path.dirname(file)), 0o700)
  const pem = await readFile(file, 'utf8')
  assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/)
  const pub = await readFile(`${file}.pub`, 'utf8')
  assert.equal(pub, `${key.publicKey.text}\n`)
  assert.deepEqual(parsePublicKey(pub, 'pub'), key.publicKey)
  assert.match(key.publicKey.text, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43}$/)
})

test('generateSigningKey: the comment goes on the .pub line', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'k')
  const key = await generateSigningKey(file, { force: false, comment: 'publisher@example' })
  const pub = await readFile(`${file}.pub`, 'utf8')
  assert.equal(pub, `${key.publicKey.text} publisher@example\n`)
  assert.deepEqual(parsePublicKey(pub, 'pub'), key.publicKey)
})

test('generateSigningKey then loadSigningKey: the same key, and its signatures verify', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'signing-key')
  const made = await generateSigningKey(file, { force: false })
  const loaded = await loadSigningKey(file)
  assert.equal(loaded.file, file)
  assert.deepEqual(loaded.publicKey, made.publicKey)
  const message = Buffer.from('git-torrent-mirror push object 1\n')
  const signature = loaded.sign(message)
  assert.equal(signature.length, 64)
  assert.ok(verifySignature(made.publicKey, message, signature))
  assert.ok(signature.equals(made.sign(message)))   // ed25519 is deterministic
  assert.equal(verifySignature(made.publicKey, Buffer.from('another message'), signature), false)
})

test('generateSigningKey: KEY_EXISTS without force, leaving the key as it was', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'signing-key')
  const first = await generateSigningKey(file, { force: false })
  const before = await readFile(file)
  const pubBefore = await readFile(`${file}.pub`)
  await assert.rejects(generateSigningKey(file, { force: false }), (err: any) => {
    assert.equal(err.name, 'MirrorError')
    assert.equal(err.code, 'KEY_EXISTS')
    assert.match(err.message, /exists; use --force to replace it/)
    assert.deepEqual(err.data, { file })
    return true
  })
  assert.ok((await readFile(file)).equals(before))
  assert.ok((await readFile(`${file}.pub`)).equals(pubBefore))
  assert.deepEqual((await loadSigningKey(file)).publicKey, first.publicKey)
})

test('generateSigningKey: force replaces the key with another one', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'signing-key')
  const first = await generateSigningKey(file, { force: false })
  const second = await generateSigningKey(file, { force: true })
  assert.notEqual(second.publicKey.text, first.publicKey.text)
  assert.equal(await mode(file), 0o600)
  assert.deepEqual((await loadSigningKey(file)).publicKey, second.publicKey)
  assert.equal(await readFile(`${file}.pub`, 'utf8'), `${second.publicKey.text}\n`)
})

test('generateSigningKey: force where no key is yet', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'signing-key')
  const key = await generateSigningKey(file, { force: true })
  assert.deepEqual((await loadSigningKey(file)).publicKey, key.publicKey)
})

test('loadSigningKey: an unencrypted ssh-keygen ed25519 key', async (t) => {
  const dir = await tempDir(t)
  for (const [name, args] of [['plain', ['-C', 'c']], ['long comment', ['-C', 'a comment with spaces and ünïcode']], ['no comment', ['-C', '']]] as const) {
    await t.test(name, async () => {
      const file = path.join(dir, `id_ed25519_${name.replace(/ /g, '_')}`)
      sshKeygen(file, '-t', 'ed25519', '-N', '', ...args)
      const pub = await readFile(`${file}.pub`, 'utf8')
      const key = await loadSigningKey(file)
      assert.equal(key.publicKey.text, pub.trim().split(' ').slice(0, 2).join(' '))
      assert.deepEqual(key.publicKey, parsePublicKey(pub, 'pub'))
      const message = Buffer.from('a message')
      assert.ok(verifySignature(parsePublicKey(pub, 'pub'), message, key.sign(message)))
    })
  }
})

test('loadSigningKey: a passphrase-protected ssh-keygen key', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'id_ed25519')
  sshKeygen(file, '-t', 'ed25519', '-N', 'secret', '-C', 'c')
  await assertBadKey(file, /is encrypted with a passphrase/)
})

test('loadSigningKey: keys that are not ed25519', async (t) => {
  const dir = await tempDir(t)
  const cases: Array<[string, (file: string) => void, RegExp]> = [
    ['ssh-keygen rsa (OpenSSH format)', f => sshKeygen(f, '-t', 'rsa', '-b', '2048', '-N', ''), /is a ssh-rsa key; only ssh-ed25519 is supported/],
    ['ssh-keygen ecdsa (OpenSSH format)', f => sshKeygen(f, '-t', 'ecdsa', '-N', ''), /is a ecdsa-sha2-nistp256 key; only ssh-ed25519 is supported/],
    ['ssh-keygen rsa -m PKCS8', f => sshKeygen(f, '-t', 'rsa', '-b', '2048', '-m', 'PKCS8', '-N', ''), /is rsa; only ed25519 is supported/],
    ['ssh-keygen ecdsa -m PEM', f => sshKeygen(f, '-t', 'ecdsa', '-m', 'PEM', '-N', ''), /is ec; only ed25519 is supported/]
  ]
  if (OPENSSL !== undefined) {
    const openssl = (algorithm: string) => (f: string): void => {
      execFileSync(OPENSSL, ['genpkey', '-algorithm', algorithm, '-out', f], { stdio: 'ignore' })
    }
    cases.push(
      ['openssl genpkey RSA', openssl('RSA'), /is rsa; only ed25519 is supported/],
      ['openssl genpkey ED448', openssl('ED448'), /is ed448; only ed25519 is supported/],
      ['openssl genpkey X25519', openssl('X25519'), /is x25519; only ed25519 is supported/]
    )
  }
  for (const [name, make, why] of cases) {
    await t.test(name, async () => {
      const file = path.join(dir, name.replace(/\W+/g, '_'))
      make(file)
      await chmod(file, 0o600)
      await assertBadKey(file, why)
    })
  }
})

test('loadSigningKey: a key file others can read', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'signing-key')
  await generateSigningKey(file, { force: false })
  for (const m of [0o644, 0o640, 0o604, 0o601, 0o610, 0o666]) {
    await t.test(m.toString(8), async () => {
      await chmod(file, m)
      await assertBadKey(file, new RegExp(`is readable by others \\(mode ${m.toString(8)}\\); chmod 600 it`))
    })
  }
  for (const m of [0o400, 0o600, 0o700]) {
    await t.test(`${m.toString(8)} is fine`, async () => {
      await chmod(file, m)
      await loadSigningKey(file)
    })
  }
})

test('loadSigningKey: an ssh-keygen key made readable by others is refused too', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'id_ed25519')
  sshKeygen(file, '-t', 'ed25519', '-N', '')
  await chmod(file, 0o644)
  await assertBadKey(file, /chmod 600/)
})

/** The openssh-key-v1 blob of an ssh-keygen key, and where its private section starts. */
function openSshBlob (text: string): { blob: Buffer, privateAt: number } {
  const body = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text)![1]!
  const blob = Buffer.from(body.replace(/\s+/g, ''), 'base64')
  let at = 'openssh-key-v1\0'.length
  const skipString = (): void => { at += 4 + blob.readUInt32BE(at) }
  skipString(); skipString(); skipString()   // cipher, kdf, kdf options
  at += 4                                    // number of keys
  skipString()                               // public key
  return { blob, privateAt: at + 4 }         // past the private section's length
}

function openSshText (blob: Buffer): string {
  const b64 = blob.toString('base64').replace(/.{70}/g, '$&\n')
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`
}

test('loadSigningKey: unreadable and damaged files', async (t) => {
  const dir = await tempDir(t)
  const sshKey = path.join(dir, 'id_ed25519')
  sshKeygen(sshKey, '-t', 'ed25519', '-N', '', '-C', 'c')
  const sshText = await readFile(sshKey, 'utf8')
  const { blob, privateAt } = openSshBlob(sshText)
  const checkDiffers = Buffer.from(blob)
  checkDiffers[privateAt] = checkDiffers[privateAt]! ^ 1
  const secretDiffers = Buffer.from(blob)
  // check ints (8), type string (4 + 11), public key (4 + 32), secret length (4), then 32 seed bytes and the public key again
  const secretPublicHalf = privateAt + 8 + 15 + 36 + 4 + 32
  secretDiffers[secretPublicHalf] = secretDiffers[secretPublicHalf]! ^ 1
  const notV1 = Buffer.from(blob)
  notV1.write('openssh-key-v2', 0)

  const cases: Array<[string, string | null, RegExp]> = [
    ['missing file', null, /cannot read signing key .* \(ENOENT\)/],
    ['empty file', '', /is not a PEM private key/],
    ['garbage', 'this is not a key\n', /is not a PEM private key/],
    ['a public key', `${(await generateSigningKey(path.join(dir, 'gen'), { force: false })).publicKey.text}\n`, /is not a PEM private key/],
    ['a PEM block with garbage inside', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', /is not a PEM private key/],
    ['an OpenSSH block without its end', sshText.replace('-----END OPENSSH PRIVATE KEY-----', ''), /no key block/],
    ['an OpenSSH block of garbage', '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n', /not an openssh-key-v1 key/],
    ['another container magic', openSshText(notV1), /not an openssh-key-v1 key/],
    ['an OpenSSH key cut short', openSshText(blob.subarray(0, privateAt + 20)), /is truncated/],
    ['check bytes differ', openSshText(checkDiffers), /check bytes differ/],
    ['secret key and public key disagree', openSshText(secretDiffers), /holds a malformed ed25519 key/]
  ]
  await t.test('the blob helpers round-trip the ssh-keygen key', async () => {
    const file = path.join(dir, 'rewrapped')
    await writeFile(file, openSshText(blob), { mode: 0o600 })
    assert.deepEqual((await loadSigningKey(file)).publicKey, (await loadSigningKey(sshKey)).publicKey)
  })
  for (const [name, content, why] of cases) {
    await t.test(name, async () => {
      const file = path.join(dir, name.replace(/\W+/g, '_'))
      if (content !== null) await writeFile(file, content, { mode: 0o600 })
      await assertBadKey(file, why)
    })
  }
  await t.test('a directory', async () => {
    const sub = path.join(dir, 'a-directory')
    await mkdir(sub, { mode: 0o700 })
    await assertBadKey(sub, /cannot read signing key .* \(EISDIR\)/)
  })
})

test('defaultKeyPath: under XDG_CONFIG_HOME, else ~/.config', () => {
  const saved = process.env.XDG_CONFIG_HOME
  try {
    process.env.XDG_CONFIG_HOME = '/xdg'
    assert.equal(defaultKeyPath(), '/xdg/git-torrent-mirror/signing-key')
    delete process.env.XDG_CONFIG_HOME
    assert.equal(defaultKeyPath(), path.join(os.homedir(), '.config', 'git-torrent-mirror', 'signing-key'))
  } finally {
    if (saved === undefined) delete process.env.XDG_CONFIG_HOME
    else process.env.XDG_CONFIG_HOME = saved
  }
})
