import { checkBundleAgainst, checkPushObject, refused, type Accepted } from '../core/check-push-object.js'
import type { PublicKey } from '../core/public-key.js'
import { parsePushObject, type PushObject } from '../core/push-object.js'
import type { Ref } from '../core/ref-list.js'

/** What the page checks a signed publish against: the keys the user gave it, and the push objects this browser accepted before. */
export interface PageTrust {
  keys: PublicKey[]
  project: string
  /** Unix seconds. */
  now: number
}

const ACCEPTED = 'git-torrent-mirror:accepted:'

/** Ed25519 with WebCrypto (Chromium 113+, Firefox 129+, Safari 17+; secure contexts only). */
export async function verifiesEd25519 (key: PublicKey, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (signature.length !== 64) return false
  const k = await crypto.subtle.importKey('raw', view(key.raw), { name: 'Ed25519' }, false, ['verify'])
  return await crypto.subtle.verify({ name: 'Ed25519' }, k, view(signature), view(message))
}

/**
 * A push object's own checks, the CLI's (core/check-push-object.ts), with
 * the signature verified by WebCrypto; against the push object this
 * browser accepted last for its key and project (localStorage), so that a
 * rollback or a fork is refused here as mirror-clone refuses it. `chainTip`:
 * the origin's newest push object names a later bundle of a signed chain,
 * and this one (the chain's base) must only be signed earlier than it.
 */
export async function checkSigned (t: PageTrust, bytes: Uint8Array, what: string, chainTip: PushObject | null = null): Promise<{ po: PushObject, notice: string | null }> {
  const po = parsePushObject(bytes, what)
  const verifies = await verifiesEd25519(po.signer, po.signed, po.signature)
  const accepted = chainTip === null ? acceptedBefore(po.signer.id, po.project) : null
  const { notice } = checkPushObject(po, { trusted: t.keys, project: t.project, now: t.now, accepted }, verifies)
  if (chainTip !== null && po.sequence >= chainTip.sequence) {
    throw refused('chain', `the base's push object is sequence ${po.sequence}, not before the newest (${chainTip.sequence}) the origin names`, { sequence: po.sequence })
  }
  return { po, notice }
}

/** The bundle against its push object: size, SHA-256 (WebCrypto) and refs, as mirror-clone checks them. */
export async function checkBundle (po: PushObject, bundle: Uint8Array, refs: Ref[]): Promise<string> {
  const sha256 = await sha256Hex(bundle)
  checkBundleAgainst(po, { size: bundle.length, sha256, refs })
  return sha256
}

/** Remembers a push object as accepted (after its bundle verified), unless a newer one was. */
export function accept (po: PushObject): void {
  const before = acceptedBefore(po.signer.id, po.project)
  if (before !== null && before.sequence >= po.sequence) return
  localStorage.setItem(`${ACCEPTED}${po.signer.id}:${po.project}`, JSON.stringify({ sequence: po.sequence, id: po.id }))
}

export function acceptedBefore (keyId: string, project: string): Accepted | null {
  try {
    const v = JSON.parse(localStorage.getItem(`${ACCEPTED}${keyId}:${project}`) ?? 'null') as Accepted | null
    return v !== null && Number.isSafeInteger(v.sequence) && /^[0-9a-f]{64}$/.test(v.id) ? v : null
  } catch {
    return null
  }
}

export async function sha256Hex (bytes: Uint8Array): Promise<string> {
  return await digestHex('SHA-256', bytes)
}

export async function digestHex (algorithm: 'SHA-1' | 'SHA-256', bytes: Uint8Array): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest(algorithm, view(bytes))))
}

/** WebCrypto's types take views of an ArrayBuffer only; ours are never views of a SharedArrayBuffer. */
function view (bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>
}

export function hex (bytes: Uint8Array): string {
  return [...bytes].map(b => b.toString(16).padStart(2, '0')).join('')
}
