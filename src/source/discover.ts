import path from 'node:path'
import { existsSync } from 'node:fs'
import { isMirrorError, type MirrorError } from '../core/errors.js'
import { isLocalPath } from '../core/clone-target.js'
import type { RemoteListing } from '../core/ls-remote.js'
import type { RecordName } from '../core/refs.js'
import { fetchRecordsVia } from '../io/git/fetch-records.js'
import { listRemote } from '../io/git/list-remote.js'
import type { Git } from '../io/git/run-git.js'

export interface Discovery {
  /** The origin as the clone records it (git clone makes local paths absolute). */
  url: string
  /** Every ref the origin advertised: the target of the final fetch. */
  listing: RemoteListing
  records: Partial<Record<RecordName, Buffer>>
  /** Why the records could not be read (the clone then falls back to the origin). */
  recordsError: MirrorError | null
  /** Pack bytes the origin sent for the records. */
  packBytes: number
}

/**
 * One round trip's worth of talk with the origin, through the user's own git
 * (config, credentials, ssh): its ref listing and, at the same time, the
 * blobs under refs/mirrors/bundle/* (fetched into a throwaway repository in
 * `scratchDir`; nothing else is transferred). An origin that cannot be
 * listed fails the clone (REMOTE_UNREACHABLE), as git clone would.
 */
export async function discover (git: Git, url: string, o: { scratchDir: string, timeoutMs: number, signal?: AbortSignal }): Promise<Discovery> {
  const origin = originUrl(url)
  const bounds = { timeoutMs: o.timeoutMs, ...(o.signal === undefined ? {} : { signal: o.signal }) }
  // both settle before anything is decided: no git is left running, no scratch repository left behind
  const tally = { packBytes: 0 }   // what the origin sent for the records, also when they are refused
  const [listed, fetched] = await Promise.allSettled([listRemote(git, origin, bounds), fetchRecordsVia(git, o.scratchDir, origin, { ...bounds, tally })])
  if (listed.status === 'rejected') throw listed.reason
  if (fetched.status === 'rejected') {
    if (!isMirrorError(fetched.reason) || fetched.reason.code === 'ABORTED') throw fetched.reason
    return { url: origin, listing: listed.value, records: {}, recordsError: fetched.reason, packBytes: tally.packBytes }
  }
  return { url: origin, listing: listed.value, records: fetched.value.records, recordsError: null, packBytes: fetched.value.packBytes }
}

/**
 * git clone writes a local repository's path as the current directory joined
 * with the path given, not normalised ("/home/me/../src"); URLs stay as given.
 */
export function originUrl (url: string, cwd = process.cwd()): string {
  if (!isLocalPath(url) || path.isAbsolute(url)) return url
  const exists = ['', '.git', '/.git'].some(suffix => existsSync(url + suffix))
  return exists ? `${cwd}/${url}` : url
}
