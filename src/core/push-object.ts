import { createHash } from 'node:crypto'
import { MirrorError } from './errors.js'
import { parsePublicKey, type PublicKey } from './public-key.js'
import { sortRefs, type Ref } from './ref-list.js'
import { isOid, isSafeRefName } from './refs.js'

/**
 * A push object: a signed snapshot of every ref at one publish, chained to
 * the previous one. Canonical text, one field a line, in this order:
 *
 *   git-torrent-mirror push object 1
 *   project <name>
 *   sequence <n>                      1, 2, 3 ... per (key, project)
 *   created <unix seconds>
 *   expires <unix seconds>
 *   prev <id of the previous push object, or 64 zeros>
 *   bundle <sha256> <size> <infohash> the bundle's SHA-256, byte size, and the
 *                                     v1 infohash of the bundle as a torrent of its own
 *   index <sha256> <size>             optional: the pack's .idx shipped beside the bundle,
 *                                     so a trusting client uses the pack without indexing it
 *   reverse-index <sha256> <size>     optional, only after index: the pack's .rev
 *   signer ssh-ed25519 <base64>
 *   <oid> <refname>                   every ref, HEAD included, sorted by name, at least one
 *   signature <base64 of 64 bytes>    ed25519 over every byte before this line
 *
 * LF line ends, nothing after the signature line's LF. The id is the SHA-256
 * of the whole text. The same fields always give the same bytes.
 */
export interface PushObjectFields {
  project: string
  sequence: number
  /** Unix seconds. */
  created: number
  expires: number
  prev: string
  bundle: { sha256: string, size: number, infoHash: string }
  /** The pack index (.idx) the torrent carries beside the bundle, and its reverse index (.rev). */
  index?: FileDigest | null
  reverseIndex?: FileDigest | null
  /** The origin a clone by the publisher's key alone may fetch newer commits from (a signed statement of where the project lives). */
  origin?: string | null
  refs: Ref[]
}

export interface FileDigest { sha256: string, size: number }

export interface PushObject extends PushObjectFields {
  index: FileDigest | null
  reverseIndex: FileDigest | null
  origin: string | null
  signer: PublicKey
  signature: Buffer
  /** The bytes the signature covers. */
  signed: Buffer
  /** The whole push object. */
  bytes: Buffer
  /** SHA-256 of `bytes`, hex. */
  id: string
}

export const MAGIC = 'git-torrent-mirror push object 1'
export const ZERO_ID = '0'.repeat(64)
/** Larger than any ref list we publish (100k refs is about 8 MB); bounds what a peer can make us read. */
export const MAX_PUSH_OBJECT_BYTES = 16 * 1024 * 1024
const PROJECT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const HEX64 = /^[0-9a-f]{64}$/
const HEX40 = /^[0-9a-f]{40}$/
/** At most 15 digits: every such number is a safe integer. */
const DECIMAL = /^(0|[1-9][0-9]{0,14})$/
/** The largest number DECIMAL reads: what the encoder may write, so that what it signs parses back. */
const MAX_DECIMAL = 999_999_999_999_999

/** The text a signer signs: everything up to the signature line. */
export function encodeUnsigned (f: PushObjectFields, signer: PublicKey): Buffer {
  checkFields(f)
  const lines = [
    MAGIC,
    `project ${f.project}`,
    `sequence ${f.sequence}`,
    `created ${f.created}`,
    `expires ${f.expires}`,
    `prev ${f.prev}`,
    `bundle ${f.bundle.sha256} ${f.bundle.size} ${f.bundle.infoHash}`,
    ...(f.index == null ? [] : [`index ${f.index.sha256} ${f.index.size}`]),
    ...(f.reverseIndex == null ? [] : [`reverse-index ${f.reverseIndex.sha256} ${f.reverseIndex.size}`]),
    ...(f.origin == null ? [] : [`origin ${f.origin}`]),
    `signer ${signer.text}`,
    ...sortRefs(f.refs).map(r => `${r.oid} ${r.name}`)
  ]
  return Buffer.from(lines.map(l => `${l}\n`).join(''))
}

/** The complete push object, signed by `sign` (ed25519 over the unsigned text). */
export function encodePushObject (f: PushObjectFields, signer: PublicKey, sign: (message: Buffer) => Buffer): PushObject {
  const signed = encodeUnsigned(f, signer)
  const signature = sign(signed)
  if (signature.length !== 64) throw new RangeError('an ed25519 signature has 64 bytes')
  const bytes = Buffer.concat([signed, Buffer.from(`signature ${signature.toString('base64')}\n`)])
  return parsePushObject(bytes, 'the new push object')
}

export function pushObjectId (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * Strict parse: every line in its place, nothing unknown, nothing after
 * the signature. BAD_PUSH_OBJECT naming `what` and the line. The signature
 * is not checked here (checkPushObject does); its encoding is.
 */
export function parsePushObject (input: Uint8Array, what: string): PushObject {
  const bytes = Buffer.from(input)
  if (bytes.length > MAX_PUSH_OBJECT_BYTES) bad(what, 0, `is ${bytes.length} bytes, over the ${MAX_PUSH_OBJECT_BYTES}-byte limit`)
  const text = bytes.toString('utf8')
  if (!Buffer.from(text).equals(bytes)) bad(what, 0, 'is not UTF-8')
  if (!text.endsWith('\n')) bad(what, 0, 'is truncated (no final newline)')
  if (text.includes('\r')) bad(what, 0, 'has CR characters')
  const lines = text.slice(0, -1).split('\n')

  let no = 0
  const next = (): string => {
    if (no >= lines.length) bad(what, no + 1, 'is truncated')
    return lines[no++]!
  }
  const field = (name: string, shape: RegExp, why: string): string => {
    const line = next()
    if (!line.startsWith(`${name} `)) bad(what, no, `expected "${name} ..."`)
    const value = line.slice(name.length + 1)
    if (!shape.test(value)) bad(what, no, `${name}: ${why}`)
    return value
  }
  const decimal = (name: string): number => Number(field(name, DECIMAL, 'not a decimal number'))

  if (next() !== MAGIC) bad(what, 1, `does not start with "${MAGIC}"`)
  const project = field('project', PROJECT, 'not a project name')
  const sequence = decimal('sequence')
  const created = decimal('created')
  const expires = decimal('expires')
  const prev = field('prev', HEX64, 'not 64 hex digits')
  const [sha256, size, infoHash] = field('bundle', /^[0-9a-f]{64} (0|[1-9][0-9]{0,14}) [0-9a-f]{40}$/, 'not "<sha256> <size> <infohash>"').split(' ')
  const digest = (name: string): FileDigest | null => {
    if (!(lines[no] ?? '').startsWith(`${name} `)) return null
    const [sha256, size] = field(name, /^[0-9a-f]{64} (0|[1-9][0-9]{0,14})$/, 'not "<sha256> <size>"').split(' ')
    return { sha256: sha256!, size: Number(size) }
  }
  const index = digest('index')
  const reverseIndex = index === null ? null : digest('reverse-index')
  const origin = (lines[no] ?? '').startsWith('origin ') ? field('origin', /^\S{1,2048}$/, 'not a URL') : null
  const signerLine = field('signer', /^ssh-ed25519 [A-Za-z0-9+/]+={0,2}$/, 'not an ssh-ed25519 key')
  let signer: PublicKey
  try { signer = parsePublicKey(signerLine, 'signer') } catch (err) { return bad(what, no, (err as Error).message) }

  const refs: Ref[] = []
  for (;;) {
    const line = next()
    if (line.startsWith('signature ')) break
    const sp = line.indexOf(' ')
    const oid = line.slice(0, sp)
    const name = line.slice(sp + 1)
    if (sp !== 40 || !isOid(oid)) bad(what, no, 'expected "<40 hex oid> <refname>" or "signature ..."')
    if (!isSafeRefName(name)) bad(what, no, `${JSON.stringify(name.slice(0, 80))} is not a ref name`)
    const prevRef = refs.at(-1)
    if (prevRef !== undefined) {
      const order = Buffer.compare(Buffer.from(prevRef.name), Buffer.from(name))
      if (order === 0) bad(what, no, `duplicate ref ${name}`)
      if (order > 0) bad(what, no, `${name} is out of order (refs are sorted by name)`)
    }
    refs.push({ oid, name })
  }
  const signatureLine = no
  const b64 = lines[signatureLine - 1]!.slice('signature '.length)
  const signature = Buffer.from(b64, 'base64')
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || signature.length !== 64 || signature.toString('base64') !== b64) {
    bad(what, signatureLine, 'signature: not the base64 of 64 bytes')
  }
  if (no !== lines.length) bad(what, no + 1, 'has text after the signature')
  if (refs.length === 0) bad(what, signatureLine, 'lists no refs')

  const fields: PushObjectFields & { index: FileDigest | null, reverseIndex: FileDigest | null, origin: string | null } = {
    project, sequence, created, expires, prev, refs,
    bundle: { sha256: sha256!, size: Number(size), infoHash: infoHash! },
    index,
    reverseIndex,
    origin
  }
  const fieldError = fieldProblem(fields)
  if (fieldError !== null) bad(what, 0, `is inconsistent: ${fieldError}`)
  const signedLength = bytes.length - Buffer.byteLength(`signature ${b64}\n`)
  return { ...fields, signer, signature, signed: bytes.subarray(0, signedLength), bytes, id: pushObjectId(bytes) }
}

function checkFields (f: PushObjectFields): void {
  const problem = fieldProblem(f)
  if (problem !== null) throw new RangeError(`push object: ${problem}`)
  for (const r of f.refs) {
    if (!isOid(r.oid) || !isSafeRefName(r.name)) throw new RangeError(`push object: not a ref: ${r.oid} ${r.name}`)
  }
  if (new Set(f.refs.map(r => r.name)).size !== f.refs.length) throw new RangeError('push object: duplicate ref names')
}

/** What is wrong with fields that parse one by one but not together. */
function fieldProblem (f: PushObjectFields): string | null {
  if (!PROJECT.test(f.project)) return 'project is not a project name'
  if (f.origin != null && originProblem(f.origin) !== null) return `origin: ${originProblem(f.origin)!}`
  const decimal = (n: number): boolean => Number.isSafeInteger(n) && n >= 0 && n <= MAX_DECIMAL
  if (!decimal(f.sequence) || f.sequence < 1) return 'sequence must be 1 or more, at most 15 digits'
  if (!decimal(f.created) || !decimal(f.expires)) return 'times must be whole seconds from 0, at most 15 digits'
  if (f.expires <= f.created) return 'expires is not after created'
  if (!HEX64.test(f.prev)) return 'prev is not 64 hex digits'
  if (f.sequence === 1 && f.prev !== ZERO_ID) return 'sequence 1 has a prev other than zeros'
  if (f.sequence > 1 && f.prev === ZERO_ID) return `sequence ${f.sequence} has no prev`
  if (!HEX64.test(f.bundle.sha256) || !HEX40.test(f.bundle.infoHash)) return 'bundle digest or infohash is malformed'
  if (!decimal(f.bundle.size) || f.bundle.size <= 0) return 'bundle size must be positive, at most 15 digits'
  if (f.reverseIndex != null && f.index == null) return 'a reverse index without an index'
  for (const d of [f.index, f.reverseIndex]) {
    if (d != null && (!HEX64.test(d.sha256) || !decimal(d.size) || d.size <= 0)) return 'an index digest or size is malformed'
  }
  if (f.refs.length === 0) return 'lists no refs'
  return null
}

function bad (what: string, line: number, why: string): never {
  throw new MirrorError('BAD_PUSH_OBJECT', line > 0 ? `${what} line ${line}: ${why}` : `${what} ${why}`, { what, line, check: 'format' })
}

/**
 * What is wrong with a push object's origin URL, or null: an http(s),
 * git:// or ssh:// URL of at most 2048 characters, without spaces, control
 * characters or a password, whose host does not start with '-' (it reaches
 * git and ssh). Scp-like `host:path` is not taken: a URL says what it is.
 */
export function originProblem (url: string): string | null {
  if (url.length > 2048 || !/^[\x21-\x7e]+$/.test(url)) return 'not printable ASCII without spaces, or over 2048 characters'
  let u: URL
  try { u = new URL(url) } catch { return 'not a URL' }
  if (!['https:', 'http:', 'git:', 'ssh:'].includes(u.protocol)) return `${u.protocol}// is not http(s), git or ssh`
  if (u.password !== '') return 'it carries a password'
  if (u.hostname === '' || u.hostname.startsWith('-') || u.username.startsWith('-')) return 'no host, or one starting with "-"'
  return null
}
