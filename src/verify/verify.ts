import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { checkBundleAgainst, checkPushObject, refused } from '../core/check-push-object.js'
import { isMirrorError, MirrorError } from '../core/errors.js'
import { choosePieceLength } from '../core/piece-length.js'
import { bundleFileName, projectName } from '../core/project-name.js'
import { parsePushObject, type PushObject } from '../core/push-object.js'
import { refListId } from '../core/ref-list.js'
import { infoHashOf } from '../core/torrent-info.js'
import { RECORD_REFS } from '../core/refs.js'
import { digestFile } from '../io/fs/hash-file.js'
import { readBundleHeader } from '../io/fs/read-bundle-header.js'
import { fetchRecordsVia } from '../io/git/fetch-records.js'
import type { Git } from '../io/git/run-git.js'
import { findSigningKey } from '../io/keys/find-signing-key.js'
import { trustedKeysFor } from '../io/keys/trusted-keys.js'
import type { PushObjectStore } from '../io/store/push-objects.js'

export interface VerifyArgs {
  /** A push object file, a revision naming its blob, or a remote URL (its refs/mirrors/push); default refs/mirrors/push here. */
  target?: string
  /** Also check this bundle against it. */
  bundle?: string
  trust: string[]
  project?: string
}

export interface VerifyReport {
  valid: boolean
  /** The check that failed, or null. */
  check: string | null
  reason: string | null
  source: string
  pushObject: PushObject | null
  /** Whether the project name was checked (not for a file outside a repository without --project). */
  projectChecked: boolean
  bundleChecked: boolean
}

/**
 * mirror-verify: reads a push object (a file, a blob in this repository, or
 * a remote's refs/mirrors/push), applies the checks a clone applies (trusted
 * signer, project, validity, no rollback against what this user accepted)
 * and, given a bundle, its size, SHA-256, refs and infohash. Read-only: it
 * accepts nothing into the user's state.
 */
export async function verify (deps: { git: Git, accepted: PushObjectStore, now: () => number }, a: VerifyArgs): Promise<VerifyReport> {
  const { bytes, source, originUrl } = await readTarget(deps.git, a.target)
  const report: VerifyReport = { valid: false, check: null, reason: null, source, pushObject: null, projectChecked: false, bundleChecked: false }
  try {
    const po = parsePushObject(bytes, source)
    report.pushObject = po
    const keys = await trustedKeysFor(deps.git, originUrl === null ? [] : [originUrl], a.trust)
    const own = await findSigningKey(deps.git).catch(() => null)   // a publisher trusts the key it signs with
    if (own !== null) keys.push(own.publicKey)
    if (keys.length === 0) throw refused('untrusted-key', 'no key is trusted here: pass --trust "ssh-ed25519 AAAA..." or set mirror.trustedKey')
    const project = a.project ?? (originUrl === null ? null : projectName(originUrl))
    report.projectChecked = project !== null
    const accepted = await deps.accepted.accepted(po.signer.id, po.project)
    checkPushObject(po, { trusted: keys, project: project ?? po.project, now: deps.now(), accepted })
    if (a.bundle !== undefined) {
      await checkBundleFile(po, a.bundle)
      report.bundleChecked = true
    }
    report.valid = true
  } catch (err) {
    refusedInto(report, err)
  }
  return report
}

/** A refused check becomes the report's verdict (the check's name and the reason); anything else is thrown on. */
export function refusedInto (report: VerifyReport, err: unknown): void {
  if (!isMirrorError(err, 'VERIFY_FAILED') && !isMirrorError(err, 'BAD_PUSH_OBJECT')) throw err
  report.check = String(err.data.check ?? 'format')
  report.reason = err.message
}

async function readTarget (git: Git, target: string | undefined): Promise<{ bytes: Buffer, source: string, originUrl: string | null }> {
  const here = async (): Promise<string | null> => {
    const r = await git.run(['remote', 'get-url', 'origin'], { okCodes: [2, 128] })
    return r.code === 0 ? r.stdout.trim() : null
  }
  const spec = target ?? RECORD_REFS.push
  if (target !== undefined && await stat(target).then(s => s.isFile(), () => false)) {
    return { bytes: await readFile(target), source: target, originUrl: await here() }
  }
  const blob = await git.run(['rev-parse', '-q', '--verify', '--end-of-options', `${spec}^{blob}`], { okCodes: [1, 128] })
  if (blob.code === 0) {
    return { bytes: await git.runBuffer(['cat-file', 'blob', blob.stdout.trim()]), source: spec, originUrl: await here() }
  }
  if (target === undefined) throw new MirrorError('USAGE', `no ${RECORD_REFS.push} here: name a push object file, a revision or a URL`)
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(target) && !/^[^/]+:/.test(target)) {
    throw new MirrorError('USAGE', `${target} is neither a file, a revision naming a blob, nor a URL`)
  }
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'mirror-verify-'))
  try {
    const { records } = await fetchRecordsVia(git, scratch, target)
    if (records.push === undefined) throw new MirrorError('NO_RECORDS', `${target} publishes no ${RECORD_REFS.push} (not a signed publish)`, { url: target })
    return { bytes: records.push, source: `${RECORD_REFS.push} on ${target}`, originUrl: target }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/** Size, SHA-256 and refs, then the infohash of the bundle as a torrent of its own (as signed). */
async function checkBundleFile (po: PushObject, file: string): Promise<void> {
  const header = await readBundleHeader(file)
  const { sha256, size, pieces } = await digestFile(file, { pieceLength: choosePieceLength })   // one read for both
  checkBundleAgainst(po, { size, sha256, refs: header.refs })
  const infoHash = infoHashOf({ name: bundleFileName(po.project, refListId(po.refs)), pieceLength: pieces!.pieceLength, pieces: pieces!.table(), files: { length: size } })
  if (infoHash !== po.bundle.infoHash) throw refused('bundle-digest', `the bundle's infohash is ${infoHash}, the signed one is ${po.bundle.infoHash}`)
}
