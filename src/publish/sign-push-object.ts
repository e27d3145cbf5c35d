import createDebug from 'debug'
import { MirrorError } from '../core/errors.js'
import { verifySignature } from '../core/public-key.js'
import { RECORD_REFS } from '../core/refs.js'
import { encodePushObject, parsePushObject, ZERO_ID, type FileDigest, type PushObject } from '../core/push-object.js'
import type { RefState } from '../core/ref-list.js'
import { gitReason, type Git } from '../io/git/run-git.js'
import type { SigningKey } from '../io/keys/signing-key.js'
import type { PushObjectStore } from '../io/store/push-objects.js'

const debug = createDebug('mirror:publish')

export interface SignArgs {
  project: string
  state: RefState
  bundle: { sha256: string, size: number, infoHash: string }
  /** The pack's .idx and .rev shipped beside the bundle, if they are. */
  index?: FileDigest | null
  reverseIndex?: FileDigest | null
  /** The origin a clone by the key alone may fetch from, signed into the push object (null: none). */
  origin?: string | null
  /** Push objects published before, wherever they were found (the chain continues from the newest). */
  previous: PushObject[]
  now: number
  validForSeconds: number
}

/** The next push object of (key, project): sequence and PREV follow the newest earlier one by this key. */
export function signPushObject (key: SigningKey, a: SignArgs): PushObject {
  const last = newest(a.previous.filter(p => p.signer.raw.equals(key.publicKey.raw) && p.project === a.project))
  return encodePushObject({
    project: a.project,
    sequence: (last?.sequence ?? 0) + 1,
    created: a.now,
    expires: a.now + a.validForSeconds,
    prev: last?.id ?? ZERO_ID,
    bundle: a.bundle,
    index: a.index ?? null,
    reverseIndex: a.reverseIndex ?? null,
    origin: a.origin ?? null,
    refs: a.state.refs
  }, key.publicKey, key.sign)
}

/** The highest sequence; of equals, the last given (callers list the remote's record last: it is what clients saw). */
export function newest (pos: PushObject[]): PushObject | null {
  return pos.reduce<PushObject | null>((best, p) => best === null || p.sequence >= best.sequence ? p : best, null)
}

/**
 * The push objects this publish continues from: the store's chain HEAD, the
 * repository's own refs/mirrors/push, and the one the remote advertises
 * (fetched by oid), so that a publish from a fresh clone or a new CI
 * machine does not restart the sequence and look like a rollback.
 */
export async function earlierPushObjects (
  git: Git, chain: PushObjectStore, key: SigningKey, project: string, remote: { name: string, oid: string } | null
): Promise<PushObject[]> {
  const found: PushObject[] = []
  const head = await chain.head(key.publicKey.id, project)
  if (head !== null) found.push(head)
  const local = await git.run(['rev-parse', '-q', '--verify', 'refs/mirrors/push^{blob}'], { okCodes: [1, 128] })
  for (const [where, oid] of [['refs/mirrors/push', local.code === 0 ? local.stdout.trim() : null], [`${remote?.name ?? ''} refs/mirrors/push`, remote?.oid ?? null]] as const) {
    if (oid === null) continue
    const isRemote = where !== 'refs/mirrors/push'
    if (isRemote && (await git.run(['cat-file', '-e', oid], { okCodes: [1, 128] })).code !== 0) {
      const fetched = await git.run(['fetch', '--no-tags', '--no-write-fetch-head', '--quiet', '--', remote!.name, oid], { okCodes: [1, 128] })
      if (fetched.code !== 0) {
        // signing without it could restart the chain over the published one: every client would call that a rollback
        throw new MirrorError('GIT_FAILED', `cannot fetch ${where} (${gitReason(fetched.stderr) || `exit status ${fetched.code}`}), which the next push object must follow; retry, or delete that ref on the remote to start a new chain`, { remote: remote!.name })
      }
    }
    let po: PushObject
    try {
      po = parsePushObject(await git.runBuffer(['cat-file', 'blob', oid]), where)
    } catch (err) {
      if (isRemote) throw new MirrorError('BAD_PUSH_OBJECT', `${(err as Error).message}; the next push object must follow the published one: delete ${RECORD_REFS.push} on the remote to start a new chain`, { remote: remote!.name })
      debug('ignoring %s: %s', where, (err as Error).message)
      continue
    }
    found.push(po)
  }
  // only our own, genuinely signed chain counts: a forged "sequence 2^53" must not derail it
  return found.filter(p => p.signer.raw.equals(key.publicKey.raw) && p.project === project && verifySignature(p.signer, p.signed, p.signature))
}
