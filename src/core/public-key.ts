import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto'
import { MirrorError } from './errors.js'

/**
 * An ed25519 public key, written as OpenSSH writes it (`ssh-ed25519 AAAA...`),
 * the line users paste into `mirror.trustedKey` and the one an existing
 * `~/.ssh/id_ed25519.pub` holds.
 */
export interface PublicKey {
  /** The 32 key bytes. */
  raw: Buffer
  /** SHA-1 of the 32 key bytes: the store's pushobjects/<id>/ (and BEP 44's target for an unsalted item). */
  id: string
  /** `ssh-ed25519 <base64>`, without a comment: the canonical text. */
  text: string
}

const TYPE = 'ssh-ed25519'

/**
 * The canonical encodings of the eight small-order points: "keys" for which
 * signatures of nobody's making verify. No real key is one of them.
 */
const SMALL_ORDER = new Set([
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa'
])

/** The key from its 32 bytes. */
export function publicKeyFromRaw (raw: Uint8Array): PublicKey {
  if (raw.length !== 32) throw new RangeError(`an ed25519 public key has 32 bytes, not ${raw.length}`)
  const key = Buffer.from(raw)
  const wire = Buffer.concat([sshString(Buffer.from(TYPE)), sshString(key)])
  return { raw: key, id: createHash('sha1').update(key).digest('hex'), text: `${TYPE} ${wire.toString('base64')}` }
}

/**
 * Parses `ssh-ed25519 <base64> [comment]` (an authorized_keys or .pub line).
 * BAD_KEY, naming `what`, for anything else: another key type, bad base64,
 * a blob whose inner type or length is wrong.
 */
export function parsePublicKey (line: string, what: string): PublicKey {
  const fields = line.trim().split(/\s+/)
  if (fields[0] !== TYPE || fields.length < 2) throw badKey(what, `is not an "${TYPE} AAAA..." public key`)
  const b64 = fields[1]!
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw badKey(what, 'is not base64')
  const wire = Buffer.from(b64, 'base64')
  if (wire.toString('base64') !== b64) throw badKey(what, 'is not canonical base64')
  const type = readSshString(wire, 0)
  const key = type === null ? null : readSshString(wire, type.next)
  if (type === null || type.value.toString('latin1') !== TYPE || key === null || key.next !== wire.length || key.value.length !== 32) {
    throw badKey(what, `does not hold one ${TYPE} key of 32 bytes`)
  }
  if (SMALL_ORDER.has(key.value.toString('hex'))) throw badKey(what, 'is a degenerate (small-order) key, for which forged signatures verify')
  return publicKeyFromRaw(key.value)
}

export function keyObject (key: PublicKey): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.raw.toString('base64url') }, format: 'jwk' })
}

/** Synchronous ed25519 verification (BEP 44's verify callback needs a boolean, not a Promise). */
export function verifySignature (key: PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false
  return verify(null, message, keyObject(key), signature)
}

function sshString (b: Buffer): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(b.length)
  return Buffer.concat([len, b])
}

function readSshString (b: Buffer, at: number): { value: Buffer, next: number } | null {
  if (at + 4 > b.length) return null
  const len = b.readUInt32BE(at)
  if (at + 4 + len > b.length) return null
  return { value: b.subarray(at + 4, at + 4 + len), next: at + 4 + len }
}

function badKey (what: string, why: string): MirrorError {
  return new MirrorError('BAD_KEY', `${what} ${why}`, { what })
}
