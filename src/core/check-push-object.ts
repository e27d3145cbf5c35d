import { MirrorError } from './errors.js'
import type { PublicKey } from './public-key.js'
import { verifySignature } from './public-key.js'
import type { PushObject } from './push-object.js'
import { formatRefList, sortRefs, type Ref } from './ref-list.js'

/** Which check refused a push object: stable names for reports, tests and scripts. */
export type VerifyCheck =
  | 'format'         // does not parse (BAD_PUSH_OBJECT)
  | 'missing'        // a trusted key is configured but nothing signed came
  | 'mismatch'       // the origin's refs/mirrors/push and the torrent's copy differ
  | 'signature'      // the signature does not verify
  | 'untrusted-key'  // a valid signature, by a key not trusted for this origin
  | 'project'        // signed for another project
  | 'not-yet-valid'  // created in the future
  | 'expired'
  | 'rollback'       // older than the last push object this client accepted
  | 'fork'           // same sequence as the accepted one, different content
  | 'chain'          // the next sequence, but PREV is not the accepted one
  | 'bundle-size'
  | 'bundle-digest'
  | 'refs'           // the bundle's refs differ from the signed ones
  | 'index-digest'   // the pack index (or reverse index) shipped beside the bundle is not the signed one
  | 'pointer'        // the DHT pointer's seq is not the sequence of the push object its torrent carries

/** The last push object this client accepted for a (key, project). */
export interface Accepted { sequence: number, id: string }

export interface TrustPolicy {
  trusted: PublicKey[]
  project: string
  /** Unix seconds. */
  now: number
  accepted: Accepted | null
}

/** Clocks disagree; a push object created up to this far in the future is still taken. */
export const CLOCK_SKEW_SECONDS = 600

export function refused (check: VerifyCheck, message: string, data: Record<string, unknown> = {}): MirrorError {
  return new MirrorError('VERIFY_FAILED', `push object refused (${check}): ${message}`, { ...data, check })
}

/**
 * The checks that need only the push object, in order: signature, trusted
 * signer, project, validity period, then the chain against what this client
 * accepted last. Throws VERIFY_FAILED with `data.check` naming the check.
 * Returns a notice when the chain could not be checked link by link.
 * `signatureVerifies`: the signature's check, when made elsewhere.
 */
export function checkPushObject (
  po: PushObject, p: TrustPolicy,
  // a browser verifies with WebCrypto, which is asynchronous, and passes the result (browser/check-signed.ts)
  signatureVerifies = verifySignature(po.signer, po.signed, po.signature)
): { notice: string | null } {
  if (!signatureVerifies) {
    throw refused('signature', `the signature does not verify for key ${po.signer.id}`, { key: po.signer.id })
  }
  if (!p.trusted.some(k => k.raw.equals(po.signer.raw))) {
    throw refused('untrusted-key', `signed by ${po.signer.text}, which is not a trusted key for this origin`, { key: po.signer.id })
  }
  if (po.project !== p.project) {
    throw refused('project', `signed for project "${po.project}", expected "${p.project}"`, { project: po.project, expected: p.project })
  }
  if (po.created > p.now + CLOCK_SKEW_SECONDS) {
    throw refused('not-yet-valid', `created ${iso(po.created)}, in the future`, { created: po.created })
  }
  if (po.expires <= p.now) {
    throw refused('expired', `expired ${iso(po.expires)}`, { expires: po.expires })
  }
  const a = p.accepted
  if (a === null) return { notice: null }
  if (po.sequence < a.sequence) {
    throw refused('rollback', `sequence ${po.sequence} is older than sequence ${a.sequence}, accepted before`, { sequence: po.sequence, accepted: a.sequence })
  }
  if (po.sequence === a.sequence && po.id !== a.id) {
    throw refused('fork', `sequence ${po.sequence} was accepted before with id ${a.id}; this one is ${po.id}`, { sequence: po.sequence, accepted: a.id, id: po.id })
  }
  if (po.sequence === a.sequence + 1 && po.prev !== a.id) {
    throw refused('chain', `sequence ${po.sequence} names prev ${po.prev}, but the accepted sequence ${a.sequence} is ${a.id}`, { prev: po.prev, accepted: a.id })
  }
  if (po.sequence > a.sequence + 1) {
    const gap = po.sequence - a.sequence - 1
    return { notice: `push object ${po.sequence} follows ${a.sequence}, accepted before; ${gap === 1 ? 'the one' : `the ${gap}`} in between ${gap === 1 ? 'was' : 'were'} not seen, so its prev could not be checked` }
  }
  return { notice: null }
}

/** The bundle against the signed size, SHA-256 and ref list (HEAD included). */
export function checkBundleAgainst (po: PushObject, bundle: { size: number, sha256: string, refs: Ref[] }): void {
  if (bundle.size !== po.bundle.size) {
    throw refused('bundle-size', `the bundle is ${bundle.size} bytes, the signed size is ${po.bundle.size}`, { size: bundle.size })
  }
  if (bundle.sha256 !== po.bundle.sha256) {
    throw refused('bundle-digest', `the bundle's SHA-256 is ${bundle.sha256}, the signed one is ${po.bundle.sha256}`, { sha256: bundle.sha256 })
  }
  const have = formatRefList(bundle.refs)
  if (have !== formatRefList(po.refs)) {
    const signed = new Map(po.refs.map(r => [r.name, r.oid]))
    const first = sortRefs(bundle.refs).find(r => signed.get(r.name) !== r.oid)?.name ?? po.refs.find(r => !bundle.refs.some(b => b.name === r.name))?.name
    throw refused('refs', `the bundle's refs differ from the signed ones (first: ${first ?? '?'})`, { ref: first })
  }
}

function iso (seconds: number): string {
  return new Date(seconds * 1000).toISOString()
}
