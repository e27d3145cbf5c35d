import type { BundleListEntry } from '../core/bundle-list.js'
import { checkBundleAgainst, checkPushObject, refused } from '../core/check-push-object.js'
import { parsePushObject, type PushObject } from '../core/push-object.js'
import type { DownloadedBundle } from './download-bundle.js'
import { readBundleList } from '../io/git/read-bundle-list.js'
import type { Git } from '../io/git/run-git.js'
import type { Trust } from './verify-bundle.js'

/**
 * The links of a signed chain (docs/bundle-list.md), checked in list
 * order: each increment's torrent carries its push object, which must be
 * signed by a trusted key for the project, valid, the next sequence after
 * the push object of the bundle before it and naming that one as prev,
 * and describe exactly this bundle (size, SHA-256, refs). `last` is the
 * push object verified before the first increment (the base's), or null
 * when none is known (mirror-fetch: the chain is checked from its first
 * increment on).
 */
export class ChainVerifier {
  constructor (private readonly t: Trust, private last: PushObject | null) {}

  /** The newest push object verified so far. */
  get tip (): PushObject | null {
    return this.last
  }

  async check (bundle: DownloadedBundle, e: BundleListEntry): Promise<PushObject> {
    if (bundle.pushObject === null) {
      throw refused('missing', `increment ${e.id} comes without a push object (an unsigned publish, or over plain HTTP), and a key is trusted for this origin`)
    }
    const po = parsePushObject(bundle.pushObject, `the push object of increment ${e.id}`)
    const last = this.last
    checkPushObject(po, { trusted: this.t.keys, project: this.t.project, now: this.t.now(), accepted: last === null ? null : { sequence: last.sequence, id: last.id } })
    if (last !== null && po.sequence !== last.sequence + 1) {
      throw refused('chain', `increment ${e.id} is signed as sequence ${po.sequence}, not the next after the bundle before it (${last.sequence})`, { sequence: po.sequence })
    }
    checkBundleAgainst(po, { size: e.size, sha256: e.sha256, refs: bundle.header.refs })
    this.last = po
    return po
  }
}

/**
 * Whether the origin's signed push object (refs/mirrors/push) names a
 * later bundle of its list (`blob`, refs/mirrors/bundle/list) than the
 * first, the torrent record's: a signed chain, whose base carries a push
 * object of its own. A list that does not read says no (it is refused,
 * with its reason, where the increments are read).
 */
export async function namesLaterBundle (git: Git, blob: Buffer | undefined, what: string, signed: PushObject): Promise<boolean> {
  if (blob === undefined) return false
  const entries = await readBundleList(git, blob, what).then(l => l.entries, () => null)
  return entries !== null && entries.length > 1 && entries.slice(1).some(e => e.sha256 === signed.bundle.sha256 && e.size === signed.bundle.size)
}
