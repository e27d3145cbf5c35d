import type { CheckoutTarget, CloneLayout } from '../core/clone-target.js'
import type { OnProgress } from '../core/progress.js'
import type { Discovery } from '../source/discover.js'
import type { Attempt, CloneContext } from './attempt.js'
import { completeFromOrigin, refsFromAdvertisement } from './complete-from-origin.js'
import { dropUnreachable } from '../io/git/drop-unreachable.js'
import { dropStagingRefs } from './drop-staging-refs.js'
import { writePending } from './try-sources.js'

/**
 * After the sources: the real refs from the origin (its final fetch, or
 * its advertisement when the staged refs hold all of it), HEAD and the
 * checkout; then the staging refs go, those the origin's refs do not reach
 * listed per attempt (their objects dropped from the clone), and a used
 * source none of whose refs the origin reaches becomes `refused`. Staging refs still pending are written only
 * when the fetch needs them as haves, or to judge a ref the origin does not
 * advertise. Returns the pack bytes the origin sent and whether it fetched.
 */
export async function finishClone (
  ctx: CloneContext, attempts: Attempt[],
  o: { origin: Discovery, remote: string, layout: CloneLayout, target: CheckoutTarget, checkout: boolean, onProgress?: OnProgress | undefined, signal?: AbortSignal | undefined }
): Promise<{ packBytes: number, fetched: boolean }> {
  const repo = await ctx.repo()
  const listing = o.origin.listing
  const advertised = new Set(listing.refs.map(r => r.oid))
  const stagedOids = new Set(attempts.flatMap(x => x.staged.map(r => r.oid)))
  const fromAdvertisement = await refsFromAdvertisement(repo, { remote: o.remote, layout: o.layout, listing, stagedOids })
  if (fromAdvertisement === null || attempts.some(x => x.pending && x.staged.some(r => !advertised.has(r.oid)))) await writePending(ctx, attempts)
  const done = await completeFromOrigin(repo, {
    remote: o.remote, url: o.origin.url, layout: o.layout, target: o.target, remoteHead: listing.head, checkout: o.checkout, fromAdvertisement,
    ...(o.signal === undefined ? {} : { signal: o.signal }), ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress })
  })
  const dropped = await dropStagingRefs(repo, attempts.filter(x => !x.pending).flatMap(x => x.staged), new Set(listing.refs.map(r => r.name)))
  if (dropped.discarded.length > 0) await dropUnreachable(repo, { onProgress: o.onProgress, signal: o.signal })
  const used = attempts.filter(x => x.outcome === 'used')
  for (const x of used) {
    x.discardedRefs = dropped.discarded.filter(name => x.staged.some(r => r.name === name))
    if (x.discardedRefs.length === x.staged.length) {
      x.outcome = 'refused'
      x.reason = `none of the ${x.bundle === null ? 'mirror' : 'bundle'}'s refs is in the origin's history${used.length === 1 ? ': the origin sent everything' : ''}`
    }
  }
  return done
}
