import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parsePublicKey, publicKeyFromRaw, verifySignature } from '../../src/core/public-key.js'

const WHAT = 'mirror.trustedKey'
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** SSH wire format: a uint32 length, then the bytes. */
function sshString (b: Uint8Array | string): Buffer {
  const body = Buffer.from(b)
  const len = Buffer.alloc(4)
  len.writeUInt32BE(body.length)
  return Buffer.concat([len, body])
}

function keyPair (): { privateKey: KeyObject, raw: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return { privateKey, raw: Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url') }
}

const { privateKey: PRIVATE, raw: RAW } = keyPair()
const WIRE = Buffer.concat([sshString('ssh-ed25519'), sshString(RAW)])
const B64 = WIRE.toString('base64')
const TEXT = `ssh-ed25519 ${B64}`
const ID = createHash('sha1').update(RAW).digest('hex')

async function tempDir (t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gtm-public-key-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

test('publicKeyFromRaw: canonical text and id', () => {
  const k = publicKeyFromRaw(RAW)
  assert.ok(Buffer.isBuffer(k.raw))
  assert.ok(k.raw.equals(RAW))
  assert.equal(k.text, TEXT)
  assert.equal(k.id, ID)
  assert.match(k.id, /^[0-9a-f]{40}$/)
  // 4 + 11 + 4 + 32 = 51 bytes: 68 base64 characters, no padding.
  assert.equal(B64.length, 68)
  // A Uint8Array is taken as well as a Buffer, and copied.
  const copy = new Uint8Array(RAW)
  const k2 = publicKeyFromRaw(copy)
  copy[0] = copy[0]! ^ 0xff
  assert.equal(k2.text, TEXT)
})

test('publicKeyFromRaw: only 32 bytes', async (t) => {
  for (const n of [0, 31, 33, 64]) {
    await t.test(`${n} bytes`, () => {
      assert.throws(() => publicKeyFromRaw(Buffer.alloc(n, 1)), RangeError)
    })
  }
})

test('parsePublicKey: accepted lines', async (t) => {
  const cases: Array<[string, string]> = [
    ['bare', TEXT],
    ['with a comment', `${TEXT} alice@example`],
    ['with a comment of several words', `${TEXT} Alice Example <alice@example.com>`],
    ['surrounding white space', `  \t${TEXT}  \n`],
    ['tab separator and comment', `ssh-ed25519\t${B64}\tcomment\n`],
    ['several spaces between fields', `ssh-ed25519    ${B64}   c`],
    ['CRLF line end', `${TEXT} c\r\n`]
  ]
  for (const [name, line] of cases) {
    await t.test(name, () => {
      const k = parsePublicKey(line, WHAT)
      assert.equal(k.text, TEXT)
      assert.equal(k.id, ID)
      assert.ok(k.raw.equals(RAW))
      assert.deepEqual(k, publicKeyFromRaw(RAW))
    })
  }
})

test('parsePublicKey: rejected lines (BAD_KEY naming what)', async (t) => {
  const wire = (type: string, key: Uint8Array, extra: Uint8Array = Buffer.alloc(0)): string =>
    Buffer.concat([sshString(type), sshString(key), extra]).toString('base64')
  const hugeLength = Buffer.concat([sshString('ssh-ed25519'), Buffer.from([0xff, 0xff, 0xff, 0xff]), RAW]).toString('base64')
  const key31 = wire('ssh-ed25519', RAW.subarray(0, 31))   // 50 bytes: ends in one '='
  assert.match(key31, /[^=]=$/)
  const cases: Array<[string, string, RegExp]> = [
    ['empty line', '', /is not an "ssh-ed25519 AAAA\.\.\." public key/],
    ['only white space', '  \n', /is not an "ssh-ed25519 AAAA\.\.\." public key/],
    ['ssh-rsa line', `ssh-rsa ${wire('ssh-rsa', Buffer.alloc(256, 1))} bob@example`, /is not an "ssh-ed25519 AAAA\.\.\." public key/],
    ['ecdsa line', `ecdsa-sha2-nistp256 ${B64}`, /is not an "ssh-ed25519 AAAA\.\.\." public key/],
    ['type in upper case', `SSH-ED25519 ${B64}`, /is not an "ssh-ed25519 AAAA\.\.\." public key/],
    ['base64 without the type', B64, /is not an "ssh-ed25519 AAAA\.\.\." public key/],
    ['missing base64', 'ssh-ed25519', /is not an "ssh-ed25519 AAAA\.\.\." public key/],
    ['missing base64, trailing space', 'ssh-ed25519   ', /is not an "ssh-ed25519 AAAA\.\.\." public key/],
    ['non-base64 characters', `ssh-ed25519 ${B64.slice(0, 30)}!${B64.slice(31)}`, /is not base64/],
    ['base64url alphabet', 'ssh-ed25519 AAAA-_AA', /is not base64/],
    ['too much padding', `ssh-ed25519 ${B64}===`, /is not base64/],
    ['padding where none belongs', `ssh-ed25519 ${B64}=`, /is not canonical base64/],
    ['padding missing', `ssh-ed25519 ${key31.slice(0, -1)}`, /is not canonical base64/],
    ['non-zero bits in the last character', `ssh-ed25519 ${key31.slice(0, -2)}${ALPHABET[ALPHABET.indexOf(key31.at(-2)!) | 1]}=`, /is not canonical base64/],
    ['inner type ssh-rsa', `ssh-ed25519 ${wire('ssh-rsa', RAW)}`, /does not hold one ssh-ed25519 key of 32 bytes/],
    ['inner type with a suffix', `ssh-ed25519 ${wire('ssh-ed25519x', RAW)}`, /does not hold one ssh-ed25519 key of 32 bytes/],
    ['inner type empty', `ssh-ed25519 ${wire('', RAW)}`, /does not hold one ssh-ed25519 key of 32 bytes/],
    ['key of 31 bytes', `ssh-ed25519 ${key31}`, /does not hold one ssh-ed25519 key of 32 bytes/],
    ['key of 33 bytes', `ssh-ed25519 ${wire('ssh-ed25519', Buffer.concat([RAW, Buffer.from([0])]))}`, /does not hold one ssh-ed25519 key of 32 bytes/],
    ['key of 0 bytes', `ssh-ed25519 ${wire('ssh-ed25519', Buffer.alloc(0))}`, /does not hold one ssh-ed25519 key of 32 bytes/],
    ['trailing byte in the blob', `ssh-ed25519 ${wire('ssh-ed25519', RAW, Buffer.from([0]))}`, /does not hold one ssh-ed25519 key of 32 bytes/],
    ['trailing string in the blob', `ssh-ed25519 ${wire('ssh-ed25519', RAW, sshString('x'))}`, /does not hold one ssh-ed25519 key of 32 bytes/],
    ['blob holds only the type', `ssh-ed25519 ${sshString('ssh-ed25519').toString('base64')}`, /does not hold one ssh-ed25519 key of 32 bytes/],
    ['blob truncated inside the key', `ssh-ed25519 ${WIRE.subarray(0, 48).toString('base64')}`, /does not hold one ssh-ed25519 key of 32 bytes/],
    ['blob shorter than a length', 'ssh-ed25519 AAAA', /does not hold one ssh-ed25519 key of 32 bytes/],
    ['key length 0xffffffff', `ssh-ed25519 ${hugeLength}`, /does not hold one ssh-ed25519 key of 32 bytes/]
  ]
  for (const [name, line, why] of cases) {
    await t.test(name, () => {
      assert.throws(() => parsePublicKey(line, WHAT), (err: any) => {
        assert.equal(err.name, 'MirrorError')
        assert.equal(err.code, 'BAD_KEY')
        assert.ok(err.message.includes(WHAT), err.message)
        assert.ok(err.message.startsWith(`${WHAT} `), err.message)
        assert.match(err.message, why)
        assert.deepEqual(err.data, { what: WHAT })
        return true
      })
    })
  }
})

test('parsePublicKey: the message names whatever `what` says', () => {
  assert.throws(() => parsePublicKey('ssh-rsa AAAA', 'remote.origin.mirrorTrustedKey (from .git/config)'),
    (err: any) => err.code === 'BAD_KEY' && err.message.startsWith('remote.origin.mirrorTrustedKey (from .git/config) is not'))
})

test('verifySignature', async (t) => {
  const key = publicKeyFromRaw(RAW)
  const message = Buffer.from('git-torrent-mirror push object 1\nproject demo\n')
  const signature = sign(null, message, PRIVATE)
  assert.equal(signature.length, 64)
  const flip = (b: Buffer, at: number, mask = 0x01): Buffer => {
    const c = Buffer.from(b)
    c[at] = c[at]! ^ mask
    return c
  }
  const other = publicKeyFromRaw(keyPair().raw)
  const cases: Array<[string, () => boolean, boolean]> = [
    ['a real signature', () => verifySignature(key, message, signature), true],
    ['Uint8Array arguments', () => verifySignature(key, new Uint8Array(message), new Uint8Array(signature)), true],
    ['empty message, signed', () => verifySignature(key, Buffer.alloc(0), sign(null, Buffer.alloc(0), PRIVATE)), true],
    ['first bit of the message flipped', () => verifySignature(key, flip(message, 0), signature), false],
    ['last bit of the message flipped', () => verifySignature(key, flip(message, message.length - 1, 0x80), signature), false],
    ['a byte appended to the message', () => verifySignature(key, Buffer.concat([message, Buffer.from('\n')]), signature), false],
    ['first bit of the signature flipped', () => verifySignature(key, message, flip(signature, 0)), false],
    ['a bit in the middle of the signature flipped', () => verifySignature(key, message, flip(signature, 40, 0x10)), false],
    ['last bit of the signature flipped', () => verifySignature(key, message, flip(signature, 63, 0x80)), false],
    ['63-byte signature', () => verifySignature(key, message, signature.subarray(0, 63)), false],
    ['65-byte signature', () => verifySignature(key, message, Buffer.concat([signature, Buffer.from([0])])), false],
    ['empty signature', () => verifySignature(key, message, Buffer.alloc(0)), false],
    ['64 zero bytes', () => verifySignature(key, message, Buffer.alloc(64)), false],
    ['another key', () => verifySignature(other, message, signature), false]
  ]
  for (const [name, run, want] of cases) {
    await t.test(name, () => assert.equal(run(), want))
  }
})

test('parsePublicKey: a .pub line written by ssh-keygen', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'id')
  execFileSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file, '-C', 'c'], { stdio: 'ignore' })
  const line = await readFile(`${file}.pub`, 'utf8')
  assert.match(line, /^ssh-ed25519 \S+ c\n$/)
  const k = parsePublicKey(line, `${file}.pub`)
  assert.equal(k.text, line.split(' ').slice(0, 2).join(' '))
  assert.equal(k.raw.length, 32)
  assert.equal(k.id, createHash('sha1').update(k.raw).digest('hex'))
  assert.deepEqual(k, publicKeyFromRaw(k.raw))
})

test('parsePublicKey: the eight small-order points, for which forged signatures verify, are refused', async (t) => {
  const points = [
    '0100000000000000000000000000000000000000000000000000000000000000',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0000000000000000000000000000000000000000000000000000000000000080',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa'
  ]
  for (const hex of points) {
    await t.test(hex.slice(0, 8), () => {
      const line = publicKeyFromRaw(Buffer.from(hex, 'hex')).text
      assert.throws(() => parsePublicKey(line, 'k'), { code: 'BAD_KEY', message: /small-order/ })
    })
  }
})
