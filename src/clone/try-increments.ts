import type { BundleHeader } from '../core/bundle-header.js'
import { isMirrorError } from '../core/errors.js'
import type { Ref } from '../core/ref-list.js'
import { refListId } from '../core/ref-list.js'
import { RECORD_REFS } from '../core/refs.js'
import { readBundleList } from '../io/git/read-bundle-list.js'
import { applyIncrements } from '../source/apply-increments.js'
import type { DownloadedBundle } from '../source/download-bundle.js'
import { ChainVerifier } from '../source/verify-chain.js'
import type { BundleListEntry } from '../core/bundle-list.js'
import type { PushObject } from '../core/push-object.js'
import type { CloneContext, ListBundle, Meter } from './attempt.js'

/**
 * After the base is staged: the increments of the origin's bundle list
 * (refs/mirrors/bundle/list), when it publishes one whose first bundle is
 * the base just used (from the swarm, or over HTTP), applied in order
 * (source/apply-increments.ts). A
 * list that does not read, or names another base, is left alone with a
 * notice: the clone goes on from the base, and the origin sends the rest.
 * Under a trusted key each increment's push object must link to the one
 * before it, from the base's (source/verify-chain.ts); reaching the one
 * the origin names, that one is accepted. null when there is no list to
 * follow.
 */
export async function tryIncrements (
  ctx: CloneContext, base: { infoHash: string | null, url: string | null, signed: PushObject | null, announce: string[], header: BundleHeader, bytes: number, seconds: number }, o: { prefix: string, keep: boolean, signal: AbortSignal, meter: Meter }
): Promise<{ bundles: ListBundle[], token: number, staged: Ref[] | null } | null> {
  const blob = ctx.origin.records.list
  if (blob === undefined) return null
  let entries
  try {
    entries = (await readBundleList(ctx.git, blob, `${RECORD_REFS.list} on ${ctx.origin.url}`)).entries
  } catch (err) {
    if (!isMirrorError(err, 'BAD_RECORD')) throw err
    ctx.onNotice?.(`not using the increments: ${err.message}`)
    return null
  }
  const first = entries[0]!
  // the base came from the swarm (the torrent record's infohash) or over HTTP (refs/mirrors/bundle/http's URL, the entry's uri)
  if (base.infoHash !== null ? first.infoHash !== base.infoHash : first.uri === null || first.uri !== base.url) {
    ctx.onNotice?.(`not using the increments: the first bundle of ${RECORD_REFS.list} is not the one ${base.infoHash !== null ? RECORD_REFS.torrent : base.url ?? ''} names`)
    return null
  }
  const bundles: ListBundle[] = [{ id: first.id, infoHash: first.infoHash, creationToken: first.creationToken, outcome: 'used', reason: null, bytes: base.bytes, seconds: base.seconds }]
  const increments = entries.slice(1)
  if (increments.length === 0) return { bundles, token: first.creationToken, staged: null }
  if (ctx.trust !== null && base.signed === null) throw new Error('a trusted clone\'s base without its verified push object')
  const chain = ctx.trust === null ? null : new ChainVerifier(ctx.trust, base.signed)
  const userTrackers = ctx.swarm.net.trackers !== null
  const applied = await applyIncrements(ctx, await ctx.repo(), increments, {
    origin: ctx.origin.url,
    trackers: userTrackers ? ctx.swarm.net.trackers! : base.announce,
    userTrackers,
    prefix: o.prefix,
    maxSize: ctx.maxSize,
    stallTimeoutMs: ctx.timeoutMs,
    minBytesPerSecond: ctx.minBytesPerSecond,
    start: refListId(base.header.refs),
    keep: o.keep,
    // a base from web seeds alone (no peer): its increments' uris first; a signed chain needs each torrent's push object
    via: base.infoHash === null ? 'http' : o.meter.fromPeers === 0 && o.meter.fromWebSeeds > 0 && chain === null ? 'web-first' : 'swarm',
    ...(chain === null ? {} : { verify: async (b: DownloadedBundle, e: BundleListEntry) => { await chain.check(b, e) } }),
    signal: o.signal,
    ...(ctx.onProgress === undefined ? {} : { onProgress: ctx.onProgress }),
    ...(ctx.onNotice === undefined ? {} : { onNotice: ctx.onNotice })
  })
  for (const x of applied.outcomes) {
    if (base.infoHash === null) o.meter.bytes += x.fromWebSeeds   // over HTTP: the attempt's bytes
    else {
      o.meter.fromPeers += x.fromPeers
      o.meter.fromWebSeeds += x.fromWebSeeds
    }
    if (x.outcome !== 'used' && x.outcome !== 'skipped') ctx.onNotice?.(`increment ${x.id} not used (${x.reason ?? x.outcome}): the origin sends what it brings`)
  }
  if (chain !== null && chain.tip !== null) {
    const record = await ctx.signedRecord()
    if (record !== null && chain.tip.id === record.id) await ctx.trust!.accepted.add(record)   // the chain reached what the origin names
    else if (record !== null) ctx.onNotice?.(`the signed chain stopped at push object ${chain.tip.sequence}, before ${record.sequence}, which ${RECORD_REFS.push} names: the origin sends the rest`)
  }
  return {
    bundles: [...bundles, ...applied.outcomes.map(x => ({ id: x.id, infoHash: x.infoHash, creationToken: x.creationToken, outcome: x.outcome, reason: x.reason, bytes: x.fromPeers + x.fromWebSeeds, seconds: x.seconds }))],
    token: applied.applied?.creationToken ?? first.creationToken,
    staged: applied.staged
  }
}

