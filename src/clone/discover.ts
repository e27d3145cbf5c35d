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
export async function discover (git: Git, url: string, o: { scratchDir: string, timeoutMs: number }): Promise<Discovery> {
  const origin = originUrl(url)
  const [listing, fetched] = await Promise.all([
    listRemote(git, origin, { timeoutMs: o.timeoutMs }),
    fetchRecordsVia(git, o.scratchDir, origin, { timeoutMs: o.timeoutMs }).catch((err: unknown) => {
      if (!isMirrorError(err)) throw err
      return err
    })
  ])
  if (!('records' in fetched)) return { url: origin, listing, records: {}, recordsError: fetched, packBytes: 0 }
  return { url: origin, listing, records: fetched.records, recordsError: null, packBytes: fetched.packBytes }
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
