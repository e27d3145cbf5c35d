import { createHash } from 'node:crypto'
import bencode from 'bencode'
import { MirrorError } from './errors.js'
import { parsePublicKey, publicKeyFromRaw, type PublicKey } from './public-key.js'

/**
 * DHT pointers (DESIGN.md, BEP 44 and BEP 46): a mutable item keyed by the
 * publisher's ed25519 key and the project name (the salt), whose value
 * `{ ih: <20-byte infohash> }` names the published torrent and whose `seq`
 * is the push object's sequence. Pure: the names, the magnet, the value
 * and the checks of an item a DHT node returned.
 */

/** Which project of which publisher: BEP 46's `xs=urn:btpk:<key>` and `s=<salt>`. */
export interface PointerName {
  key: PublicKey
  /** The project name, UTF-8: BEP 44's salt. */
  project: string
}

/** A mutable item as stored and re-put: everything a seeder needs to keep it alive without the private key. */
export interface PointerItem {
  /** Hex of the 20-byte infohash the value names. */
  infoHash: string
  seq: number
  /** Hex of the 64-byte ed25519 signature over salt, seq and v (BEP 44). */
  sig: string
}

/** BEP 44: the salt is at most 64 bytes. */
export const MAX_SALT_BYTES = 64
/** BEP 44: a value's bencoding stays under 1000 bytes. */
export const MAX_VALUE_BYTES = 999
/** BEP 44 seq is a signed 64-bit integer; ours are push object sequences, which fit a safe integer. */
const MAX_SEQ = Number.MAX_SAFE_INTEGER

/** The DHT target: SHA-1 of the key bytes followed by the salt. */
export function pointerTarget (p: PointerName): Buffer {
  return createHash('sha1').update(p.key.raw).update(Buffer.from(p.project, 'utf8')).digest()
}

/** The BEP 46 magnet that names the project: `magnet:?xs=urn:btpk:<64 hex>&s=<hex of the project>`. */
export function pointerMagnet (p: PointerName): string {
  return `magnet:?xs=urn:btpk:${p.key.raw.toString('hex')}&s=${Buffer.from(p.project, 'utf8').toString('hex')}`
}

/** Whether `text` is a BEP 46 magnet (and so must parse as one), rather than a URL or another magnet. */
export function isPointerMagnet (text: string): boolean {
  return /^magnet:\?(.*&)?xs=urn(:|%3A)btpk(:|%3A)/i.test(text)
}

/**
 * Parses a BEP 46 magnet: exactly one `xs=urn:btpk:` with 64 hex digits,
 * exactly one `s=` with the hex of a UTF-8 project name of 1 to 64 bytes
 * (the salt is always passed: an unsalted item would be the key's one
 * pointer for every project). Other parameters are ignored, as BEP 9 says
 * of unknown ones. BAD_RECORD naming `what` otherwise.
 */
export function parsePointerMagnet (text: string, what: string): PointerName {
  const bad = (why: string): MirrorError => new MirrorError('BAD_RECORD', `${what} is not a BEP 46 magnet: ${why}`, { what })
  if (text.length > 2048) throw bad('longer than 2048 characters')
  if (!text.startsWith('magnet:?')) throw bad('it does not start with magnet:?')
  const keys: string[] = []
  const salts: string[] = []
  for (const pair of text.slice('magnet:?'.length).split('&')) {
    const eq = pair.indexOf('=')
    const name = eq === -1 ? pair : pair.slice(0, eq)
    let value: string
    try { value = decodeURIComponent(eq === -1 ? '' : pair.slice(eq + 1)) } catch { throw bad(`${name} is not percent-encoded properly`) }
    if (name === 'xs' && /^urn:btpk:/i.test(value)) keys.push(value.slice('urn:btpk:'.length))
    else if (name === 's') salts.push(value)
  }
  if (keys.length !== 1) throw bad(keys.length === 0 ? 'no xs=urn:btpk:<public key>' : 'more than one public key')
  if (salts.length !== 1) throw bad(salts.length === 0 ? 'no s=<project> (the salt)' : 'more than one s=')
  const [keyHex, saltHex] = [keys[0]!, salts[0]!]
  if (!/^[0-9a-fA-F]{64}$/.test(keyHex)) throw bad('the public key is not 64 hex digits')
  if (!/^([0-9a-fA-F]{2}){1,64}$/.test(saltHex)) throw bad(`the salt is not the hex of 1 to ${MAX_SALT_BYTES} bytes`)
  const salt = Buffer.from(saltHex, 'hex')
  const project = new TextDecoder('utf-8', { fatal: false }).decode(salt)
  if (!Buffer.from(project, 'utf8').equals(salt)) throw bad('the salt is not UTF-8')
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f/\\]/.test(project) || project === '.' || project === '..') throw bad('the project name has a control character, a slash or is . or ..')
  let key: PublicKey
  // through the key parser: a degenerate (small-order) key, for which forged signatures verify, is refused there
  try { key = parsePublicKey(publicKeyFromRaw(Buffer.from(keyHex, 'hex')).text, 'the key') } catch (err) { throw bad(`the public key: ${(err as Error).message}`) }
  return { key, project }
}

/** BEP 46's value: the bencoded dictionary `{ ih: <20 bytes> }`. */
export function pointerValue (infoHash: string): { ih: Buffer } {
  if (!/^[0-9a-f]{40}$/.test(infoHash)) throw new RangeError(`an infohash is 40 hex digits, not ${infoHash}`)
  return { ih: Buffer.from(infoHash, 'hex') }
}

/**
 * BEP 44's signed message for a mutable item: the bencoded `salt`, `seq`
 * and `v` entries, without the dictionary's `d`...`e` (what bittorrent-dht
 * passes to verify, and what a publisher signs).
 */
export function pointerSignedBytes (project: string, seq: number, infoHash: string): Buffer {
  const salt = Buffer.from(project, 'utf8')
  const v = Buffer.from(bencode.encode(pointerValue(infoHash)))
  return Buffer.concat([Buffer.from(`4:salt${salt.length}:`), salt, Buffer.from(`3:seqi${seq}e1:v`), v])
}

/**
 * What a DHT node returned for a pointer, checked (the node's verify has
 * already checked the signature over salt, seq and v against `k`): the same
 * key and salt as asked, a seq in range, a value under 1000 bytes that is a
 * dictionary with a 20-byte `ih`. Other keys of the dictionary are ignored
 * (BEP 46 leaves room for them). BAD_RECORD naming `what` otherwise.
 */
export function checkPointerItem (
  got: { k?: unknown, salt?: unknown, seq?: unknown, v?: unknown, sig?: unknown },
  asked: PointerName,
  what: string
): PointerItem {
  const bad = (why: string): MirrorError => new MirrorError('BAD_RECORD', `${what}: ${why}`, { what })
  if (!isBytes(got.k) || !Buffer.from(got.k).equals(asked.key.raw)) throw bad('the item is signed by another key')
  if (!isBytes(got.salt) || !Buffer.from(got.salt).equals(Buffer.from(asked.project, 'utf8'))) throw bad('the item is for another project (salt)')
  if (typeof got.seq !== 'number' || !Number.isInteger(got.seq) || got.seq < 0 || got.seq > MAX_SEQ) throw bad('its seq is not a non-negative integer')
  if (!isBytes(got.sig) || got.sig.length !== 64) throw bad('its signature is not 64 bytes')
  const v = got.v
  if (v === null || typeof v !== 'object' || isBytes(v) || Array.isArray(v)) throw bad('its value is not a dictionary')
  const encoded = bencode.encode(v)
  if (encoded.length > MAX_VALUE_BYTES) throw bad(`its value is ${encoded.length} bytes (BEP 44: under 1000)`)
  const ih = (v as { ih?: unknown }).ih
  if (!isBytes(ih) || ih.length !== 20) throw bad('its value has no 20-byte ih (BEP 46)')
  return { infoHash: Buffer.from(ih).toString('hex'), seq: got.seq, sig: Buffer.from(got.sig).toString('hex') }
}

function isBytes (x: unknown): x is Uint8Array {
  return x instanceof Uint8Array
}
