import { checkBundleAgainst, checkPushObject, refused } from '../core/check-push-object.js'
import type { PublicKey } from '../core/public-key.js'
import { parsePushObject, type FileDigest, type PushObject } from '../core/push-object.js'
import { RECORD_REFS } from '../core/refs.js'
import { hashFile } from '../io/fs/hash-file.js'
import type { Git } from '../io/git/run-git.js'
import { trustedKeysFor } from '../io/keys/trusted-keys.js'
import { PushObjectStore } from '../io/store/push-objects.js'
import { projectName } from '../core/project-name.js'
import { MirrorError } from '../core/errors.js'
import type { TorrentSource } from './torrent-source.js'
import type { DownloadedBundle } from './download-bundle.js'

/** What a clone or seeder checks a signed publish against. */
export interface Trust {
  /** Keys trusted for this origin; none means nothing is required. */
  keys: PublicKey[]
  /** The project the push object must name. */
  project: string
  /** Push objects accepted before (the user's state): rollbacks and forks are refused against it. */
  accepted: PushObjectStore
  /** Unix seconds. */
  now: () => number
}

export interface VerifiedBundle {
  po: PushObject
  sha256: string
  /** The pack's index files, when the torrent carries them and they match the signed digests: the pack needs no indexing. */
  packIndex: { idx: string, rev: string | null } | null
  /** Something worth telling that did not refuse the push object (a gap in the chain). */
  notice: string | null
}

/**
 * The trust a clone or reseed applies to an origin (`urls`: its spellings):
 * the keys trusted for it in the user's and system's config and `extra`
 * (--trust), the project a push object must name (default from the URL, as
 * mirror-publish names it), the user's accepted push objects. null when no
 * key is trusted: unsigned, the origin alone decides.
 */
export async function trustFor (
  git: Git, urls: string[], o: { extra?: string[], project?: string, accepted?: PushObjectStore, now?: () => number }
): Promise<Trust | null> {
  const keys = await trustedKeysFor(git, [...new Set(urls)], o.extra ?? [], { userOnly: true })   // the last URL: as resolved
  if (keys.length === 0) return null
  return {
    keys,
    project: o.project ?? projectName(urls.at(-1)!),
    accepted: o.accepted ?? PushObjectStore.forUser(),
    now: o.now ?? (() => Math.floor(Date.now() / 1000))
  }
}

/**
 * A push object's own checks (signature, trusted key, project, validity,
 * chain against the accepted one). VERIFY_FAILED or BAD_PUSH_OBJECT, whose
 * `data.check` names what failed.
 */
export async function checkSigned (t: Trust, bytes: Buffer, what: string): Promise<{ po: PushObject, notice: string | null }> {
  const po = parsePushObject(bytes, what)
  const accepted = await t.accepted.accepted(po.signer.id, po.project)
  return { po, notice: checkPushObject(po, { trusted: t.keys, project: t.project, now: t.now(), accepted }).notice }
}

/** A signed chain's base: its push object's own checks, and older than the chain's tip (which was checked against the accepted one). */
function checkChainBase (t: Trust, bytes: Buffer, what: string, tip: PushObject): { po: PushObject, notice: string | null } {
  const po = parsePushObject(bytes, what)
  checkPushObject(po, { trusted: t.keys, project: t.project, now: t.now(), accepted: null })
  if (po.sequence >= tip.sequence) throw refused('chain', `the base's push object is sequence ${po.sequence}, not before the newest (${tip.sequence}) that ${RECORD_REFS.push} names`, { sequence: po.sequence })
  return { po, notice: null }
}

/**
 * What the torrent record already tells, before a download: a torrent
 * without a push object (a downgrade to unsigned), or a bundle whose size
 * is not the signed one (`signed`: the origin's refs/mirrors/push, checked),
 * would be refused after downloading it, so it is refused now. A magnet's
 * metadata is only known from the swarm: checked after the download.
 */
export function checkSource (t: Trust, source: TorrentSource, signed: PushObject | null, url: string): void {
  if (source.kind !== 'torrent') return
  if (source.shape.push === null) throw unsigned(t, url)
  if (signed !== null && source.shape.length !== signed.bundle.size) {
    throw refused('bundle-size', `the torrent's bundle is ${source.shape.length} bytes, the signed size is ${signed.bundle.size}`, { size: source.shape.length })
  }
}

function unsigned (t: Trust, url: string): MirrorError {
  return refused('missing', `the torrent carries no push object (an unsigned publish), and ${t.keys.length === 1 ? 'a key is' : 'keys are'} trusted for ${url}`)
}

/**
 * The downloaded bundle against the push object its torrent carries: that
 * push object's checks, then the bundle's size, SHA-256 (one streaming
 * read, unless it was taken as the bundle downloaded) and refs against the
 * signed ones. The origin's refs/mirrors/push,
 * when it publishes one, must be the same push object.
 */
export async function verifyBundle (t: Trust, b: DownloadedBundle, o: {
  recordPush: Buffer | null
  /**
   * The origin's refs/mirrors/push when it names a later bundle of a signed
   * chain (this is the chain's base): the base's push object is then not
   * held against what this client accepted (the tip was), only signed
   * earlier than the tip; the increments link it to the tip.
   */
  chainTip?: PushObject | null
  url: string
  /** The bundle's digest, taken as it downloaded (startCopying): then the file is not read again. */
  digest?: { sha256: string, size: number } | null
  signal?: AbortSignal
}): Promise<VerifiedBundle> {
  if (b.pushObject === null) {
    if (b.infoHash !== null) throw unsigned(t, o.url)
    throw refused('missing', `${o.url} publishes no ${RECORD_REFS.push} for its bundle (an unsigned publish), and ${t.keys.length === 1 ? 'a key is' : 'keys are'} trusted for it`)
  }
  if (o.recordPush !== null && !o.recordPush.equals(b.pushObject)) {
    throw refused('mismatch', `the push object in the torrent differs from ${RECORD_REFS.push} on ${o.url}`)
  }
  const what = b.infoHash === null ? `${RECORD_REFS.push} on ${o.url}` : `the push object in torrent ${b.infoHash}`
  const { po, notice } = o.chainTip == null ? await checkSigned(t, b.pushObject, what) : checkChainBase(t, b.pushObject, what, o.chainTip)
  const { sha256, size } = o.digest ?? await hashFile(b.file, o.signal).catch((err: unknown) => {
    if ((err as Error).name === 'AbortError') throw new MirrorError('ABORTED', 'interrupted while verifying the bundle')
    throw new MirrorError('BAD_BUNDLE', `the bundle cannot be read to verify it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file: b.file })
  })
  checkBundleAgainst(po, { size, sha256, refs: b.header.refs })
  return { po, sha256, notice, packIndex: await checkPackIndex(po, b) }
}

/**
 * The pack's .idx (and .rev) the torrent carries, against the digests the
 * push object signs. Files the push object does not name are not used
 * (the pack is indexed here); named ones that differ refuse the publish.
 */
async function checkPackIndex (po: PushObject, b: DownloadedBundle): Promise<VerifiedBundle['packIndex']> {
  if (po.index === null || b.index === null) return null
  const check = async (file: string, signed: FileDigest, name: string): Promise<void> => {
    const got = await hashFile(file).catch((err: unknown) => {
      throw new MirrorError('BAD_BUNDLE', `the ${name} beside the bundle cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file })
    })
    if (got.size !== signed.size || got.sha256 !== signed.sha256) {
      throw refused('index-digest', `the ${name} beside the bundle (${got.size} bytes, SHA-256 ${got.sha256}) is not the signed one (${signed.size} bytes, ${signed.sha256})`)
    }
  }
  await check(b.index, po.index, 'pack index')
  const rev = po.reverseIndex !== null && b.reverseIndex !== null ? b.reverseIndex : null
  if (rev !== null) await check(rev, po.reverseIndex!, 'reverse index')
  return { idx: b.index, rev }
}
