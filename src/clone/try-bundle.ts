import { rm } from 'node:fs/promises'
import { addressRefusal } from '../core/address-policy.js'
import { isLocalFailure, isMirrorError, MirrorError } from '../core/errors.js'
import { refused } from '../core/check-push-object.js'
import { RECORD_REFS, stagingPrefix } from '../core/refs.js'
import type { Ref } from '../core/ref-list.js'
import type { Candidate } from '../core/sources.js'
import { bundleSpace } from '../source/bundle-space.js'
import { startCopying, type CopiedPack } from '../source/copy-stream.js'
import { downloadBundle, type DownloadBundleOptions, type DownloadedBundle } from '../source/download-bundle.js'
import { downloadHttpBundle } from '../source/download-http-bundle.js'
import { freeOnFullDisk } from '../source/free-on-full-disk.js'
import { adoptPack, startIndexing, stopStreaming, type Indexing, type Streaming } from '../source/index-stream.js'
import { stageBundle, stagingRefs } from '../source/stage-bundle.js'
import { stageSignedPack } from '../source/stage-signed-pack.js'
import { checkTorrentRecord, readTorrentRecord, screenAddresses } from '../source/torrent-source.js'
import { checkSource, verifyBundle, type VerifiedBundle } from '../source/verify-bundle.js'
import { notUsed, type AttemptResult, type CloneContext, type Meter } from './attempt.js'
import { tryIncrements } from './try-increments.js'
import { namesLaterBundle } from '../source/verify-chain.js'

/**
 * One bundle source, torrent or plain HTTP: check what the records say,
 * download into the cache (git indexes an unsigned bundle while it
 * downloads; a signed one's pack is hashed and copied out when its index
 * came with it), verify it against a trusted push object, and stage it
 * under refs/mirror/<torrent|http>/. Nothing reaches the clone before the
 * checks pass. A refused download is deleted; one that stalled or was
 * skipped stays in the cache for a rerun.
 */
export async function tryBundle (ctx: CloneContext, c: Extract<Candidate, { kind: 'torrent' | 'http' }>, signal: AbortSignal, meter: Meter): Promise<AttemptResult> {
  const started = Date.now()
  const trust = ctx.trust
  let indexing: Indexing | null = null
  let copying: Streaming<CopiedPack> | null = null
  let bundle: DownloadedBundle | null = null
  let announce: string[] = []   // the base torrent's trackers: the increments' too
  try {
    // what the records tell is refused before a download: a replay, a downgrade, a wrong size
    const signed = trust === null ? null : await ctx.signedRecord()
    // a signed chain: refs/mirrors/push is its newest push object, an increment's; the base's own comes in its torrent
    const tip = signed !== null && await namesLaterBundle(ctx.git, ctx.origin.records.list, `${RECORD_REFS.list} on ${ctx.origin.url}`, signed) ? signed : null
    const options: DownloadBundleOptions = {
      maxSize: ctx.maxSize,
      stallTimeoutMs: ctx.timeoutMs,
      minBytesPerSecond: ctx.minBytesPerSecond,
      signal,
      ...(ctx.onProgress === undefined ? {} : { onProgress: ctx.onProgress }),
      // unsigned: git indexes the pack while it downloads; signed with the pack's index: it is hashed and copied
      // out, and checked once whole (signed without: the file is checked, then indexed by git)
      onStream: (read, torrent) => {
        if (trust === null) indexing = startIndexing(ctx, read, signal)
        else if (torrent.packIndex) copying = startCopying(ctx, read, signal)
      }
    }
    if (c.kind === 'torrent') {
      const record = await readTorrentRecord(ctx.origin.records, ctx.origin.url)
      if (record === null) throw new Error('a torrent candidate without a torrent record')
      meter.infoHash = record.infoHash
      const screened = screenAddresses(checkTorrentRecord(record, { maxSize: ctx.maxSize }), ctx.origin.url, { userTrackers: ctx.swarm.net.trackers !== null })
      for (const r of screened.refused) ctx.onNotice?.(`not using ${r.what} ${r.url}: ${r.reason}`)
      const source = screened.source
      announce = (source.kind === 'torrent' ? source.parsed.announce : source.magnet.announce) ?? []
      if (trust !== null) checkSource(trust, source, tip === null ? signed : null, ctx.origin.url)
      const short = source.kind === 'torrent' ? await bundleSpace(ctx.store, ctx.destDir, source.infoHash, source.shape) : null
      if (short !== null) return notUsed('skipped', short)
      bundle = await downloadBundle(ctx, source, { ...options, stats: meter, onNotice: ctx.onNotice })
    } else {
      // signed over HTTP: the origin's push object vouches for the bundle; without one it would be refused once downloaded
      if (trust !== null && signed === null) throw refused('missing', `${ctx.origin.url} publishes no ${RECORD_REFS.push} for its bundle (an unsigned publish), and ${trust.keys.length === 1 ? 'a key is' : 'keys are'} trusted for it`)
      if (tip !== null) throw refused('missing', `${RECORD_REFS.push} on ${ctx.origin.url} vouches for the newest increment of its list; the base's own push object comes only with its torrent`)
      bundle = await downloadHttpBundle(ctx, c.url, { ...options, pushObject: ctx.origin.records.push ?? null, tally: meter, allowProtocols: ctx.allowProtocols, checkRedirect: u => addressRefusal(u, ctx.origin.url) })
    }
    ;(indexing as Indexing | null)?.downloaded()
    const downloaded = Date.now()

    let verified: VerifiedBundle | null = null
    let copied: CopiedPack | null = null
    if (trust !== null) {
      ctx.onProgress?.({ phase: 'verify', detail: 'push object and bundle digest' })
      copied = await (copying as Streaming<CopiedPack> | null)?.done.catch(() => null) ?? null   // when it failed, the file is read instead
      if (copied !== null && copied.header.length !== bundle.header.length) copied = null
      verified = await verifyBundle(trust, bundle, { recordPush: tip === null ? ctx.origin.records.push ?? null : null, chainTip: tip, url: ctx.origin.url, digest: copied?.bundle ?? null, signal })
      await trust.accepted.add(verified.po)
      if (verified.notice !== null) ctx.onNotice?.(verified.notice)
    }

    const prefix = stagingPrefix(c.kind)
    const from = c.kind === 'torrent' ? 'the swarm' : c.url
    const refusedByGit = (err: unknown): never => {
      // git's own verdict on the bytes (a bad pack, a missing object): the source's fault, not this machine's
      if (isMirrorError(err, 'GIT_FAILED')) throw new MirrorError('BAD_BUNDLE', `git refuses the bundle from ${from}: ${err.message}`, err.data)
      throw err
    }
    // a trusted signature over the pack's index as well: the pack goes in as it is, not indexed again
    const packIndex = verified?.packIndex ?? null
    const stagedBy = { prefix, signal, ...(ctx.onProgress === undefined ? {} : { onProgress: ctx.onProgress }) }
    const repo = await ctx.repo()
    // the pack goes in now; its refs are staged for the clone to write when it needs them (often never)
    let staged: Ref[]
    let pending = true
    if (indexing !== null) {
      const indexed = await (indexing as Indexing).done.catch(refusedByGit)   // indexed as it downloaded
      await adoptPack(indexed, repo)
      staged = stagingRefs(indexed.refs, prefix)
    } else if (packIndex === null) {
      staged = await stageBundle(repo, bundle.file, stagedBy).catch(refusedByGit)
      pending = false
    } else {
      staged = await stageSignedPack(repo, { file: bundle.file, header: bundle.header, ...packIndex, copied }, { ...stagedBy, writeRefs: false }).catch(refusedByGit)
    }
    // the base staged: the increments of the origin's bundle list, if it publishes one
    const list = await tryIncrements(ctx, {
      infoHash: c.kind === 'torrent' ? bundle.infoHash : null,
      url: c.kind === 'http' ? c.url : null,
      signed: verified?.po ?? null,
      announce,
      header: bundle.header,
      bytes: meter.fromPeers + meter.fromWebSeeds + meter.bytes,
      seconds: (downloaded - started) / 1000
    }, { prefix, keep: ctx.keepBundle, signal, meter })
    if (list?.staged != null) {
      staged = list.staged   // git wrote them: the newest state the list reaches
      pending = false
    }
    const result: AttemptResult = {
      outcome: 'used',
      reason: null,
      list,
      staged,
      pending,
      prefix,
      bundle: { downloaded: bundle, verified, indexedBy: packIndex === null ? 'git' : 'signed-index' },
      phases: { download: (downloaded - started) / 1000, index: (Date.now() - downloaded) / 1000 }
    }
    bundle = null   // the clone's now: it settles it
    return result
  } catch (err) {
    if (bundle === null) throw err   // a download that stalled or was skipped stays in the cache to resume
    await bundle.release()
    const refusedBySource = isMirrorError(err) && !isLocalFailure(err) && err.code !== 'ABORTED'
    if (bundle.dir === null) throw err
    if (isMirrorError(err, 'NO_SPACE')) throw await freeOnFullDisk(err, bundle.dir, 'downloaded bundle')
    // complete, then refused by a check: not one byte of it is kept; complete and stopped here: a rerun uses it
    if (refusedBySource) await rm(bundle.dir, { recursive: true, force: true })
    else if (isMirrorError(err) && err.code !== 'ABORTED') throw new MirrorError(err.code, `${err.message} (the downloaded bundle stays in ${bundle.dir}; a rerun uses it)`, err.data)
    throw err
  } finally {
    await stopStreaming(indexing)
    await stopStreaming(copying)
  }
}
