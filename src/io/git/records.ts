import { MirrorError } from '../../core/errors.js'
import { RECORD_REFS, type RecordName } from '../../core/refs.js'
import { hiddenRemoteCause } from '../../core/remote-cause.js'
import { gitReason, type Git } from './run-git.js'

export type RecordOids = Record<RecordName, string | null>
const NAMES = Object.keys(RECORD_REFS) as RecordName[]

/**
 * Writes the record blobs and points refs/mirrors/bundle/* at them in one
 * `update-ref --stdin` transaction; a record that is absent is deleted, so
 * the refs never describe two different bundles.
 */
export async function writeRecords (git: Git, blobs: Partial<Record<RecordName, Uint8Array>>): Promise<RecordOids> {
  const oids = {} as RecordOids
  for (const name of NAMES) {
    const blob = blobs[name]
    oids[name] = blob === undefined
      ? null
      : (await git.run(['hash-object', '-w', '--stdin'], { input: Buffer.from(blob) })).stdout.trim()
  }
  const lines = NAMES.map(n => oids[n] === null ? `delete ${RECORD_REFS[n]}\n` : `update ${RECORD_REFS[n]} ${oids[n]!}\n`)
  await git.run(['update-ref', '--stdin'], { input: lines.join('') })
  return oids
}

export type PushOutcome = 'pushed' | 'up-to-date'

/**
 * Pushes the records atomically. Each ref is leased at the value the remote
 * advertised when we listed it, so a concurrent publish is never overwritten
 * blindly; record blobs have no history, so the update itself is forced.
 */
export async function pushRecords (git: Git, remote: string, local: RecordOids, onRemote: Map<string, string>): Promise<PushOutcome> {
  const leases: string[] = []
  const refspecs: string[] = []
  for (const name of NAMES) {
    const ref = RECORD_REFS[name]
    const want = local[name]
    const have = onRemote.get(ref) ?? null
    if (want === have) continue
    leases.push(`--force-with-lease=${ref}:${have ?? ''}`)
    refspecs.push(want === null ? `:${ref}` : `${ref}:${ref}`)
  }
  if (refspecs.length === 0) return 'up-to-date'
  const r = await git.run(['push', '--atomic', '--porcelain', ...leases, '--', remote, ...refspecs], { okCodes: [1, 128] })
  if (r.code !== 0) {
    const rejected = r.stdout.split('\n').filter(l => l.startsWith('!\t')).map(l => l.split('\t')[2] ?? '')
    const reason = rejected.find(x => x !== '' && !x.includes('atomic push failed')) ?? ((hiddenRemoteCause(r.stderr) ?? gitReason(r.stderr)) || `exit status ${r.code}`)
    throw new MirrorError('PUSH_REJECTED',
      `push of refs/mirrors/* to ${remote} was rejected: ${reason}. The bundle, the torrent and the local records are kept; run mirror-publish again to retry (it reuses them)`,
      { remote, reason, stderr: r.stderr })
  }
  return 'pushed'
}
