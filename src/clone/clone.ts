import { rm } from 'node:fs/promises'
import { cloneLayout, type CloneMode } from '../core/clone-target.js'
import { isMirrorError, MirrorError } from '../core/errors.js'
import type { RemoteListing } from '../core/ls-remote.js'
import type { Ref } from '../core/ref-list.js'
import type { NetworkOptions } from '../core/network-options.js'
import type { OnProgress } from '../core/progress.js'
import type { Git } from '../io/git/run-git.js'
import { commitDownload } from '../io/store/commit-download.js'
import type { Store, StoredBundle } from '../io/store/store.js'
import type { PushObjectStore } from '../io/store/push-objects.js'
import { RECORD_REFS } from '../core/refs.js'
import { checkSigned, checkSource, trustFor, verifyBundle, type VerifiedBundle } from './verify-bundle.js'
import type { TorrentClient } from '../io/torrent/client.js'
import { chooseSource, sourceInfoHash } from './choose-source.js'
import { cloneFromOrigin } from './clone-from-origin.js'
import { completeFromOrigin } from './complete-from-origin.js'
import { Destination } from './destination.js'
import { discover } from './discover.js'
import { downloadBundle, type DownloadedBundle } from './download-bundle.js'
import { dropStagingRefs } from './drop-staging-refs.js'
import { initClone } from './init-clone.js'
import { adoptPack, startIndexing, stopStreaming, type Indexing, type Streaming } from './index-stream.js'
import { startCopying, type CopiedPack } from './copy-stream.js'
import { stageBundle, stageRefs } from './stage-bundle.js'
import { stageSignedPack } from './stage-signed-pack.js'

export interface CloneArgs {
  url: string
  dir: string
  mode: CloneMode
  checkout: boolean
  maxSize: number
  /** Bounds discovery, and a download that gets no data for this long falls back to the origin. */
  timeoutMs: number
  /** Keep the downloaded bundle in the store (the cache) instead of deleting it after the clone. */
  keepBundle: boolean
  /** Public keys trusted for this run (--trust), besides git config's mirror.trustedKey. */
  trust?: string[]
  /** The project a push object must name (default: from the URL, as mirror-publish names it). */
  project?: string
  signal?: AbortSignal
}

export interface CloneDeps {
  git: Git
  /** The cache: partial downloads (tmp/download-<infohash>) and kept bundles. */
  store: Store
  client: TorrentClient
  net: NetworkOptions
  onProgress?: OnProgress
  /** Push objects this user accepted before (default: the user's state directory). */
  accepted?: PushObjectStore
  /** Unix seconds (tests). */
  now?: () => number
  /** A line worth telling the user as it happens (why the swarm is not used). */
  onNotice?: (message: string) => void
  /** The destination, once claimed: what a forced exit must remove. */
  onClaimed?: (dest: Destination | null) => void
}

/** DESIGN.md's report, plus where the clone is and what the origin overruled. */
export interface CloneReport {
  method: 'torrent' | 'origin'
  fallbackReason: string | null
  infoHash: string | null
  bytes: { swarm: number, webSeed: number, origin: number }
  /** 'signature': the bundle matched a push object signed by a trusted key before anything was staged. */
  verified: 'origin' | 'signature'
  /** The push object verified, when one was. */
  pushObject: { id: string, sequence: number, key: string } | null
  /** How the bundle's pack became usable: 'git' indexed it here; 'signed-index' is the publisher's index under a trusted signature; null: no bundle used. */
  indexedBy: 'git' | 'signed-index' | null
  seconds: { discover: number, download: number, index: number, originFetch: number, total: number }
  directory: string
  /** Staging refs the origin's refs do not reach: the bundle disagreed and the origin won. */
  discardedRefs: string[]
  /** The bundle's store entry when it stays in the cache. */
  bundle: StoredBundle | null
}


/**
 * mirror-clone: discover -> download -> stage -> complete from the origin
 * -> drop staging refs. The swarm only ever fills refs/mirror/torrent/*;
 * real refs come from the origin's final fetch, so the result is what
 * `git clone` makes. Whatever keeps the swarm from serving (no record, a
 * refused torrent, no data within the timeout, a bundle git refuses) ends
 * in a plain clone from the origin, with the reason in the report.
 */
export async function clone (deps: CloneDeps, a: CloneArgs): Promise<CloneReport> {
  const clock = new Laps()
  const dest = await Destination.claim(a.dir)
  deps.onClaimed?.(dest)
  deps.onNotice?.(`Cloning into ${a.mode === 'normal' ? '' : 'bare repository '}'${a.dir}'...`)
  let bundle: DownloadedBundle | null = null
  let stream = null as Indexing | null   // set from the download's callback: unsigned
  let copying = null as Streaming<CopiedPack> | null   // signed
  try {
    const remote = await remoteName(deps.git)
    const layout = cloneLayout(a.mode, remote)
    const origin = await discover(deps.git, a.url, { scratchDir: await deps.store.makeTemp('records'), timeoutMs: a.timeoutMs, ...optional(a.signal) })
    clock.lap('discover')

    let fallbackReason: string | null = null
    let infoHash: string | null = null
    const refused = { swarm: 0, webSeed: 0 }   // bytes of a download that was not used
    const discard = async (b: DownloadedBundle): Promise<void> => {
      if (b.dir !== null) await rm(b.dir, { recursive: true, force: true })
      await b.release()
      refused.swarm += b.fromPeers
      refused.webSeed += b.fromWebSeeds
    }
    const head = defaultBranch(origin.listing)
    // a trusted key that does not parse fails the clone: it is the user's to fix
    const trust = await trustFor(deps.git, [a.url, origin.url], { extra: a.trust, project: a.project, accepted: deps.accepted, now: deps.now })
    let verified: VerifiedBundle | null = null
    let copied: CopiedPack | null = null   // the signed pack, copied out of the bundle as it downloaded
    try {
      if (origin.recordsError !== null) throw origin.recordsError
      if (head === null) throw new MirrorError('NO_RECORDS', 'the origin\'s HEAD names no branch it has, so git clone decides what to check out')
      const recordPush = origin.records.push ?? null
      // what the records tell is refused before a download: a replay, a downgrade, a wrong size
      const signed = trust !== null && recordPush !== null ? (await checkSigned(trust, recordPush, `${RECORD_REFS.push} on ${origin.url}`)).po : null
      const source = await chooseSource(origin.records, { url: origin.url, maxSize: a.maxSize })
      infoHash = sourceInfoHash(source)
      if (trust !== null) checkSource(trust, source, signed, origin.url)
      // unsigned: git indexes the pack while it downloads; signed with the pack's index: it is hashed and copied
      // out, and checked once whole (signed without: the file is checked, then indexed by git)
      bundle = await downloadBundle(deps, source, {
        maxSize: a.maxSize,
        stallTimeoutMs: a.timeoutMs,
        ...optional(a.signal, deps.onProgress),
        onStream: (read, torrent) => {
          if (trust === null) stream = startIndexing(deps, read, a.signal)
          else if (torrent.packIndex) copying = startCopying(deps, read, a.signal)
        }
      })
      stream?.downloaded()
      if (trust !== null) {
        deps.onProgress?.({ phase: 'verify', detail: 'push object and bundle digest' })
        copied = await copying?.done.catch(() => null) ?? null   // when it failed, the file is read instead
        if (copied !== null && copied.header.length !== bundle.header.length) copied = null
        verified = await verifyBundle(trust, bundle, { recordPush, url: origin.url, digest: copied?.bundle ?? null, ...optional(a.signal) })
        await trust.accepted.add(verified.po)
        if (verified.notice !== null) deps.onNotice?.(verified.notice)
      }
    } catch (err) {
      if (!isMirrorError(err) || err.code === 'ABORTED') throw err
      fallbackReason = err.message
      infoHash ??= typeof err.data.infoHash === 'string' ? err.data.infoHash : null
      refused.swarm += Number(err.data.fromPeers ?? 0)
      refused.webSeed += Number(err.data.fromWebSeeds ?? 0)
      if (bundle !== null) await discard(bundle)   // refused by a check: not one byte of it is staged
      bundle = null
      verified = null
      stream = await stopStreaming(stream)
      copying = await stopStreaming(copying)
      copied = null
      deps.onNotice?.(`not using the swarm: ${fallbackReason}; cloning from the origin`)
    }
    clock.lap('download')

    let repo: Git | null = null
    let staged: Ref[] = []
    let indexedBy: CloneReport['indexedBy'] = null
    if (bundle !== null) {
      repo = await initClone(deps.git, dest.dir, { url: origin.url, layout, remote })
      try {
        // a trusted signature over the pack's index as well: the pack goes in as it is, not indexed again
        const packIndex = verified?.packIndex ?? null
        // indexed as it downloaded: the refs once index-pack is through
        if (stream !== null) staged = await stageRefs(repo, await adoptPack(await stream.done, repo))
        else staged = packIndex === null
          ? await stageBundle(repo, bundle.file, optional(a.signal, deps.onProgress))
          : await stageSignedPack(repo, { file: bundle.file, header: bundle.header, ...packIndex, copied }, optional(a.signal, deps.onProgress))
        indexedBy = packIndex === null ? 'git' : 'signed-index'
      } catch (err) {
        if (!isMirrorError(err) || err.code === 'ABORTED' || isLocalTrouble(err)) throw err
        fallbackReason = `git refuses the bundle from the swarm: ${err.message}`
        deps.onNotice?.(`${fallbackReason}; cloning from the origin`)
        await discard(bundle)
        bundle = null
        verified = null
        indexedBy = null
        stream = await stopStreaming(stream)
        copying = await stopStreaming(copying)
        copied = null
        repo = null
        await dest.undo()
      }
    }
    clock.lap('index')
    throwIfAborted(a.signal)

    let originBytes = origin.packBytes
    let discardedRefs: string[] = []
    if (repo !== null && head !== null) {
      const done = await completeFromOrigin(repo, { remote, url: origin.url, layout, head, checkout: a.checkout, ...optional(a.signal, deps.onProgress) })
      originBytes += done.packBytes
      const dropped = await dropStagingRefs(repo, staged, new Set(origin.listing.refs.map(r => r.name)))
      discardedRefs = dropped.discarded
      if (dropped.reachable.length === 0) fallbackReason = 'none of the bundle\'s refs is in the origin\'s history: the origin sent everything'
    } else {
      originBytes += (await cloneFromOrigin(deps.git, { url: origin.url, dir: dest.dir, mode: a.mode, checkout: a.checkout, remote, ...optional(a.signal, deps.onProgress) })).packBytes
    }
    clock.lap('originFetch')

    const kept = bundle === null ? null : await settleBundle(deps.store, bundle, a.keepBundle, verified)
    return {
      method: fallbackReason === null ? 'torrent' : 'origin',
      fallbackReason,
      infoHash,
      bytes: { swarm: refused.swarm + (bundle?.fromPeers ?? 0), webSeed: refused.webSeed + (bundle?.fromWebSeeds ?? 0), origin: originBytes },
      verified: fallbackReason === null && verified !== null ? 'signature' : 'origin',
      pushObject: verified === null ? null : { id: verified.po.id, sequence: verified.po.sequence, key: verified.po.signer.text },
      indexedBy: fallbackReason === null ? indexedBy : null,
      seconds: clock.report(),
      directory: dest.dir,
      discardedRefs,
      bundle: kept
    }
  } catch (err) {
    await dest.undo()
    throw keptNote(err, bundle)
  } finally {
    await stopStreaming(stream)
    await stopStreaming(copying)
    deps.onClaimed?.(null)   // complete, or removed already
    await bundle?.release()
  }
}

/** What git clone names the remote: clone.defaultRemoteName from the user's or system config (no repository's), else origin. */
async function remoteName (git: Git): Promise<string> {
  for (const scope of ['--global', '--system']) {
    const r = await git.run(['config', scope, '--get', 'clone.defaultRemoteName'], { okCodes: [1] })
    const name = r.stdout.trim()
    if (r.code === 0 && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) return name
  }
  return 'origin'
}

/** A failure of this machine (disk, permissions), not of the bundle: no reason to throw a good download away. */
function isLocalTrouble (err: MirrorError): boolean {
  return /No space left|Disk quota|Read-only file system|Permission denied|Input\/output error|Too many open files/i.test(String(err.data.stderr ?? err.message))
}

/** The branch the origin's HEAD names, if it advertises it; null for an empty origin or a detached HEAD. */
function defaultBranch (listing: RemoteListing): string | null {
  const head = listing.head
  return head !== null && head.startsWith('refs/heads/') && listing.refs.some(r => r.name === head) ? head : null
}

/** A bundle that was in the store stays; a download is moved into the store (kept) or deleted. */
async function settleBundle (store: Store, bundle: DownloadedBundle, keep: boolean, verified: VerifiedBundle | null): Promise<StoredBundle | null> {
  if (bundle.entry !== null) return bundle.entry
  if (keep) return await commitDownload(store, bundle.dir!, { ...bundle, verified: verified === null ? null : { sha256: verified.sha256, pushObject: verified.po.id } })
  await rm(bundle.dir!, { recursive: true, force: true })
  return null
}

/** A failure after the download: say that the bundle stays for a rerun. */
function keptNote (err: unknown, bundle: DownloadedBundle | null): unknown {
  if (!isMirrorError(err) || bundle?.dir == null || err.code === 'ABORTED') return err
  return new MirrorError(err.code, `${err.message} (the downloaded bundle stays in ${bundle.dir}; a rerun uses it)`, err.data)
}

function throwIfAborted (signal?: AbortSignal): void {
  if (signal?.aborted === true) throw new MirrorError('ABORTED', 'interrupted; the clone was removed')
}

function optional (signal?: AbortSignal, onProgress?: OnProgress): { signal?: AbortSignal, onProgress?: OnProgress } {
  return { ...(signal === undefined ? {} : { signal }), ...(onProgress === undefined ? {} : { onProgress }) }
}

/** Seconds per phase, rounded to 10 ms. */
class Laps {
  private readonly start = Date.now()
  private last = this.start
  private readonly laps: Record<string, number> = {}

  lap (name: string): void {
    const now = Date.now()
    this.laps[name] = (now - this.last) / 1000
    this.last = now
  }

  report (): CloneReport['seconds'] {
    const r = (s: number | undefined): number => Math.round((s ?? 0) * 100) / 100
    return { discover: r(this.laps.discover), download: r(this.laps.download), index: r(this.laps.index), originFetch: r(this.laps.originFetch), total: r((Date.now() - this.start) / 1000) }
  }
}
