import { rm } from 'node:fs/promises'
import { MirrorError } from '../../core/errors.js'
import { formatBytes } from '../../core/format.js'
import { MAX_PUSH_OBJECT_BYTES } from '../../core/push-object.js'
import { RECORD_REFS, type RecordName } from '../../core/refs.js'
import { hiddenRemoteCause } from '../../core/remote-cause.js'
import { gitReason, type Git } from './run-git.js'

export interface FetchRecordsOptions {
  /** Largest record blob read; default 8 MiB (a .torrent of a huge bundle is well under 4 MiB), a push object's limit for refs/mirrors/push. */
  maxBlobBytes?: number
  timeoutMs?: number
  signal?: AbortSignal
  /** Most pack bytes the remote may send for all the records together; default MAX_RECORDS_PACK_BYTES. */
  maxPackBytes?: number
  /** The caller's count of the pack bytes the remote sent, up to date as they arrive (also when the fetch is refused). */
  tally?: { packBytes: number }
}

/**
 * What the records may cost together on the wire. They are a .torrent (under
 * 4 MiB even for a huge bundle), a push object and a few lines of URLs; a
 * record that is a 200 MB blob, or a commit with its history, used to be
 * fetched whole before any check. The transfer is stopped past this.
 */
export const MAX_RECORDS_PACK_BYTES = 16 * 1024 * 1024

/**
 * Fetches the remote's refs/mirrors/bundle/*, refs/mirrors/fetch/* and refs/mirrors/push blobs into `scratch` (a bare
 * repository the caller owns) and returns the known records' bytes. Nothing
 * outside `scratch` is written; the transfer stops past `maxPackBytes`, and
 * blob types and sizes are checked before a byte is read.
 */
export interface FetchedRecords {
  records: Partial<Record<RecordName, Buffer>>
  /** Pack bytes the remote sent (git's own count). */
  packBytes: number
}

export async function fetchRecords (scratch: Git, url: string, o: FetchRecordsOptions = {}): Promise<FetchedRecords> {
  const budget = o.maxPackBytes ?? MAX_RECORDS_PACK_BYTES
  const tally = o.tally ?? { packBytes: 0 }
  const over = new AbortController()
  let fetched
  try {
    fetched = await scratch.run(
      ['fetch', '--no-tags', '--no-write-fetch-head', '--quiet', '--', url, '+refs/mirrors/bundle/*:refs/mirrors/bundle/*', '+refs/mirrors/fetch/*:refs/mirrors/fetch/*', '+refs/mirrors/push*:refs/mirrors/push*'],
      {
        okCodes: [1, 128],
        timeoutMs: o.timeoutMs ?? 120_000,
        countPack: true,
        onPackBytes: n => { tally.packBytes = n; if (n > budget) over.abort() },
        signal: o.signal === undefined ? over.signal : AbortSignal.any([o.signal, over.signal])
      })
  } catch (err) {
    if (over.signal.aborted && o.signal?.aborted !== true) {
      throw new MirrorError('BAD_RECORD', `the records under refs/mirrors/ on ${url} take more than ${formatBytes(budget)} to fetch; not reading them (a record is a short blob)`, { url })
    }
    throw err
  }
  tally.packBytes = fetched.packBytes
  if (fetched.code !== 0) {
    throw new MirrorError('REMOTE_UNREACHABLE', `cannot fetch the records of ${url}: ${(hiddenRemoteCause(fetched.stderr) ?? gitReason(fetched.stderr)) || `exit status ${fetched.code}`}`, { url })
  }
  const listing = await scratch.run(['for-each-ref', '--format=%(objectname) %(objecttype) %(objectsize) %(refname)', 'refs/mirrors/'])
  const byRef = new Map<string, { oid: string, type: string, size: number }>()
  for (const line of listing.stdout.split('\n')) {
    const [oid, type, size, ref] = line.split(' ')
    if (ref !== undefined) byRef.set(ref, { oid: oid!, type: type!, size: Number(size) })
  }
  const out: Partial<Record<RecordName, Buffer>> = {}
  for (const [name, ref] of Object.entries(RECORD_REFS) as Array<[RecordName, string]>) {
    const obj = byRef.get(ref)
    if (obj === undefined) continue
    if (obj.type !== 'blob') throw new MirrorError('BAD_RECORD', `${ref} on ${url} points at a ${obj.type}, not a blob`, { ref, url })
    const maxBlobBytes = o.maxBlobBytes ?? (name === 'push' ? MAX_PUSH_OBJECT_BYTES : 8 * 1024 * 1024)
    if (obj.size > maxBlobBytes) throw new MirrorError('BAD_RECORD', `${ref} on ${url} is ${obj.size} bytes, over the ${maxBlobBytes}-byte limit for a record`, { ref, url })
    out[name] = await scratch.runBuffer(['cat-file', 'blob', obj.oid])
  }
  return { records: out, packBytes: fetched.packBytes }
}

/**
 * The same, through a throwaway bare repository created in `scratchDir`
 * (an empty directory the caller made) and removed afterwards: nothing of
 * the remote's records stays behind.
 */
export async function fetchRecordsVia (git: Git, scratchDir: string, url: string, o: FetchRecordsOptions = {}): Promise<FetchedRecords> {
  try {
    const scratch = git.at(scratchDir)
    await scratch.run(['init', '--bare', '--quiet', scratchDir])
    return await fetchRecords(scratch, url, o)
  } finally {
    await rm(scratchDir, { recursive: true, force: true })
  }
}
