import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { mkdir, readFile, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { MirrorError } from '../../core/errors.js'
import { publicKeyFromRaw, type PublicKey } from '../../core/public-key.js'
import { writeFileAtomic } from '../fs/atomic.js'

/** A private ed25519 key, loaded: what mirror-publish signs push objects with. */
export interface SigningKey {
  file: string
  publicKey: PublicKey
  sign: (message: Buffer) => Buffer
}

/** `$XDG_CONFIG_HOME/git-torrent-mirror/signing-key`: outside every repository. */
export function defaultKeyPath (): string {
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'git-torrent-mirror', 'signing-key')
}

/**
 * Makes a new key at `file` (PKCS#8 PEM, mode 0600, directory 0700) and its
 * public half at `file.pub`. KEY_EXISTS unless `force`.
 */
export async function generateSigningKey (file: string, o: { force: boolean, comment?: string }): Promise<SigningKey> {
  if (!o.force && await stat(file).then(() => true, () => false)) {
    throw new MirrorError('KEY_EXISTS', `${file} exists; use --force to replace it (push objects it signed will no longer verify against the new key)`, { file })
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
  const { privateKey } = generateKeyPairSync('ed25519')
  await writeFileAtomic(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), 0o600)
  const key = fromKeyObject(file, privateKey)
  await writeFileAtomic(`${file}.pub`, `${key.publicKey.text}${o.comment === undefined ? '' : ` ${o.comment}`}\n`)
  return key
}

/**
 * Loads a signing key: a PKCS#8 PEM ed25519 key (what mirror-keygen writes)
 * or an unencrypted OpenSSH ed25519 key (`ssh-keygen -t ed25519`). Like ssh,
 * refuses a key file that others can read.
 */
export async function loadSigningKey (file: string): Promise<SigningKey> {
  let text: string
  try {
    const st = await stat(file)
    if ((st.mode & 0o077) !== 0) {
      throw new MirrorError('BAD_KEY', `signing key ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`, { file })
    }
    text = await readFile(file, 'utf8')
  } catch (err) {
    if (err instanceof MirrorError) throw err
    throw new MirrorError('BAD_KEY', `cannot read signing key ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file })
  }
  if (text.includes('-----BEGIN OPENSSH PRIVATE KEY-----')) return fromKeyObject(file, openSshKey(text, file))
  let key: KeyObject
  try {
    key = createPrivateKey(text)
  } catch (err) {
    throw new MirrorError('BAD_KEY', `signing key ${file} is not a PEM private key (${(err as Error).message})`, { file })
  }
  return fromKeyObject(file, key)
}

function fromKeyObject (file: string, key: KeyObject): SigningKey {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new MirrorError('BAD_KEY', `signing key ${file} is ${key.asymmetricKeyType ?? 'not an asymmetric key'}; only ed25519 is supported`, { file })
  }
  const jwk = createPublicKey(key).export({ format: 'jwk' })
  const publicKey = publicKeyFromRaw(Buffer.from(jwk.x!, 'base64url'))
  return { file, publicKey, sign: (message) => sign(null, message, key) }
}

/**
 * The openssh-key-v1 container (PROTOCOL.key in OpenSSH): unencrypted, one
 * ed25519 key. Its private part holds the 32-byte seed and the public key.
 */
function openSshKey (text: string, file: string): KeyObject {
  const fail = (why: string): never => { throw new MirrorError('BAD_KEY', `signing key ${file}: ${why}`, { file }) }
  const body = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text)?.[1] ?? fail('no key block')
  const b = Buffer.from(body.replace(/\s+/g, ''), 'base64')
  const magic = Buffer.from('openssh-key-v1\0')
  if (!b.subarray(0, magic.length).equals(magic)) fail('not an openssh-key-v1 key')
  const outer = reader(b, magic.length, fail)
  if (outer.str().toString() !== 'none' || outer.str().toString() !== 'none') {
    fail('is encrypted with a passphrase; make an unencrypted copy (ssh-keygen -p -N "" -f COPY) or use mirror-keygen')
  }
  outer.str()   // kdf options
  if (outer.u32() !== 1) fail('holds more than one key')
  outer.str()   // the public key blob, repeated in the private section
  const inner = reader(outer.str(), 0, fail)
  if (inner.u32() !== inner.u32()) fail('check bytes differ (a damaged file)')
  const type = inner.str().toString()
  if (type !== 'ssh-ed25519') fail(`is a ${type} key; only ssh-ed25519 is supported`)
  const pub = inner.str()
  const secret = inner.str()
  if (pub.length !== 32 || secret.length !== 64 || !secret.subarray(32).equals(pub)) fail('holds a malformed ed25519 key')
  return createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: secret.subarray(0, 32).toString('base64url'), x: pub.toString('base64url') },
    format: 'jwk'
  })
}

/** SSH wire-format fields (uint32, length-prefixed string) read in turn. */
function reader (b: Buffer, at: number, fail: (why: string) => never): { u32: () => number, str: () => Buffer } {
  const u32 = (): number => {
    if (at + 4 > b.length) fail('is truncated')
    at += 4
    return b.readUInt32BE(at - 4)
  }
  const str = (): Buffer => {
    const len = u32()
    if (at + len > b.length) fail('is truncated')
    at += len
    return b.subarray(at - len, at)
  }
  return { u32, str }
}
