import { MirrorError } from '../core/errors.js'
import { formatBytes, formatRate } from '../core/format.js'
import { gitProgressTo, type OnProgress } from '../core/progress.js'
import { RateWatch } from '../core/rate-watch.js'
import type { Ref } from '../core/ref-list.js'
import { isMirrorError } from '../core/errors.js'
import type { Git } from '../io/git/run-git.js'

export interface FetchMirrorOptions {
  /** The staging namespace for this mirror: refs/mirror/<name>/. */
  prefix: string
  /** No answer for this long, or a pack slower than minBytesPerSecond over any window this long, is a stall. */
  stallTimeoutMs: number
  minBytesPerSecond?: number
  signal?: AbortSignal
  onProgress?: OnProgress
  /** The caller's tally of pack bytes the mirror sent, up to date also when the fetch fails. */
  tally?: { bytes: number }
}

/**
 * Fetches a full git mirror's branches and tags with native git into
 * `prefix` (refs/heads/x to <prefix>heads/x, refs/tags/v1 to
 * <prefix>tags/v1), never into real refs and without following tags into
 * refs/tags. git's index-pack hashes every object, and git checks that
 * what the staged refs reach is all there. Bounded: a mirror that does not
 * answer within the window, or whose pack trickles, is stopped
 * (DOWNLOAD_STALLED). Returns the refs staged.
 */
export async function fetchMirror (repo: Git, url: string, o: FetchMirrorOptions): Promise<Ref[]> {
  const stop = new AbortController()
  const signal = o.signal === undefined ? stop.signal : AbortSignal.any([o.signal, stop.signal])
  const window = o.stallTimeoutMs
  const seconds = Math.round(window / 1000)
  let lastOutput = Date.now()
  let packBytes = 0
  let watch: RateWatch | null = null   // from the pack's first byte: before it, any output from git or the mirror is life
  let stalled: MirrorError | null = null
  const progress = gitProgressTo('fetch', o.onProgress)
  const timer = setInterval(() => {
    const now = Date.now()
    const s = watch?.sample(now, packBytes) ?? (now - lastOutput > window ? { got: 0, needed: 1, windowMs: window } : null)
    if (s === null || stalled !== null) return
    stalled = new MirrorError('DOWNLOAD_STALLED', watch === null
      ? `${url} did not answer for ${seconds} s`
      : s.got === 0
        ? `no data from ${url} for ${seconds} s`
        : `too slow: ${formatBytes(s.got)} in ${seconds} s from ${url}, under the minimum of ${formatRate(s.needed / (s.windowMs / 1000))}`, { url })
    stop.abort()
  }, 250)
  try {
    await repo.run([
      'fetch', '--no-tags', '--no-write-fetch-head', '--no-auto-maintenance', '--no-recurse-submodules', '--progress', '--', url,
      `+refs/heads/*:${o.prefix}heads/*`, `+refs/tags/*:${o.prefix}tags/*`
    ], {
      signal,
      countPack: true,
      onStderr: chunk => { lastOutput = Date.now(); progress?.(chunk) },
      onPackBytes: total => {
        const now = Date.now()
        watch ??= new RateWatch({ windowMs: window, minBytesPerSecond: o.minBytesPerSecond ?? 0, now })
        if (o.tally !== undefined) o.tally.bytes += total - packBytes
        packBytes = total
        lastOutput = now
      }
    })
  } catch (err) {
    if (stalled !== null) throw stalled
    if (isMirrorError(err, 'ABORTED') && o.signal?.aborted !== true) throw new MirrorError('DOWNLOAD_STALLED', `${url} was stopped`, { url })
    throw err
  } finally {
    clearInterval(timer)
  }
  const staged = await repo.run(['for-each-ref', '--format=%(objectname) %(refname)', o.prefix])
  return staged.stdout.split('\n').filter(l => l !== '').map(line => ({ oid: line.slice(0, 40), name: line.slice(41) }))
}
