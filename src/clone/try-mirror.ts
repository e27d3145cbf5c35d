import { stagingPrefix } from '../core/refs.js'
import type { Candidate } from '../core/sources.js'
import { fetchMirror } from '../source/fetch-mirror.js'
import type { AttemptResult, CloneContext, Meter } from './attempt.js'

/**
 * One full git mirror: native git fetches its branches and tags into
 * refs/mirror/<host>/ of the clone (git hashes every object and checks the
 * staged refs are complete), bounded by the timeout and the minimum rate.
 * What the mirror got wrong (refs the origin's do not reach) shows once
 * the origin has been fetched: the clone drops those and reports them.
 */
export async function tryMirror (ctx: CloneContext, c: Extract<Candidate, { kind: 'mirror' }>, signal: AbortSignal, meter: Meter): Promise<AttemptResult> {
  const started = Date.now()
  const prefix = stagingPrefix(c.staging)
  const staged = await fetchMirror(await ctx.repo(), c.url, {
    prefix,
    stallTimeoutMs: ctx.timeoutMs,
    minBytesPerSecond: ctx.minBytesPerSecond,
    signal,
    tally: meter,
    ...(ctx.onProgress === undefined ? {} : { onProgress: ctx.onProgress })
  })
  const seconds = (Date.now() - started) / 1000
  if (staged.length === 0) return { outcome: 'failed', reason: `${c.url} has no branches or tags`, staged, pending: false, prefix, bundle: null, phases: { download: seconds, index: 0 } }
  return { outcome: 'used', reason: null, staged, pending: false, prefix, bundle: null, phases: { download: seconds, index: 0 } }
}
