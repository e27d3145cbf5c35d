import { isCandidate, type Candidate, type NotTried, type SourceKind } from '../core/sources.js'
import { writeStagingRefs } from '../source/stage-bundle.js'
import { runAttempt, type Attempt, type CloneContext } from './attempt.js'
import { tryBundle } from './try-bundle.js'
import { tryMirror } from './try-mirror.js'

export interface TrySourcesHooks {
  /** A line worth telling the user as it happens (a source not used, and why). */
  onNotice?: ((line: string) => void) | undefined
  /** Told as each source is tried, with what skips it; null when none is running. */
  onAttempt?: ((attempt: { source: SourceKind, url: string, skip: () => void } | null) => void) | undefined
}

/**
 * The sources in the planned order, one at a time, until the clone holds
 * every branch and tag the origin advertised (`wanted`). A full bundle is
 * not tried once anything is staged (the origin sends the rest for less);
 * a mirror that is behind is used, and the next source tried for the rest.
 * What became of each is appended to `attempts` as it happens (the caller
 * releases the bundles of those it holds, also when this throws).
 */
export async function trySources (ctx: CloneContext, plan: Array<Candidate | NotTried>, wanted: Set<string>, hooks: TrySourcesHooks, attempts: Attempt[]): Promise<void> {
  const stagedOids = (): Set<string> => new Set(attempts.flatMap(x => x.staged.map(r => r.oid)))
  const needless = (c: Candidate, staged: Set<string>): string | null =>
    [...wanted].every(oid => staged.has(oid))
      ? 'the clone has every ref the origin advertised already'
      : c.kind !== 'mirror' && staged.size > 0 ? 'a full bundle adds nothing to what is staged already' : null
  const nextTried = (i: number): Candidate | undefined => plan.slice(i + 1).filter(isCandidate).find(c => needless(c, stagedOids()) === null)

  for (const [i, step] of plan.entries()) {
    if (!isCandidate(step)) {
      hooks.onNotice?.(`not using ${step.url}: ${step.reason}`)
      attempts.push(notTried(step.kind, step.url, step.outcome, step.reason))
      continue
    }
    const why = needless(step, stagedOids())
    if (why !== null) {
      attempts.push(notTried(step.kind, step.url, 'skipped', why))
      continue
    }
    await writePending(ctx, attempts)   // what is staged so far: this source's haves
    const attempt = await runAttempt(ctx, step, async (signal, meter) => step.kind === 'mirror' ? await tryMirror(ctx, step, signal, meter) : await tryBundle(ctx, step, signal, meter), {
      onStart: skip => hooks.onAttempt?.({ source: step.kind, url: step.url, skip })
    })
    hooks.onAttempt?.(null)
    attempts.push(attempt)
    const next = nextTried(i)
    const rest = stagedOids().size > 0 ? 'the origin sends the rest' : 'cloning from the origin'
    if (attempt.outcome !== 'used') {
      hooks.onNotice?.(`not using ${label(step)}: ${attempt.reason ?? attempt.outcome}; ${next === undefined ? rest : `trying ${label(next)}`}`)
    } else if (step.kind === 'mirror' && ![...wanted].every(oid => stagedOids().has(oid))) {
      attempt.reason = 'behind the origin: it lacks some of the origin\'s refs'
      hooks.onNotice?.(`${step.url} is behind the origin; ${next === undefined ? rest : `trying ${label(next)} for the rest`}`)
    }
  }
}

/** Writes the staging refs of used attempts that left them pending (their objects are in the clone already). */
export async function writePending (ctx: CloneContext, attempts: Attempt[]): Promise<void> {
  for (const x of attempts.filter(x => x.pending && x.outcome === 'used')) {
    await writeStagingRefs(await ctx.repo(), x.staged)
    x.pending = false
  }
}

/** An attempt that never ran: left out by a rule, or its record refused. */
function notTried (source: SourceKind, url: string, outcome: 'skipped' | 'refused', reason: string): Attempt {
  return { source, url, outcome, reason, bytes: 0, seconds: 0, staged: [], pending: false, prefix: null, swarm: null, bundle: null, phases: { download: 0, index: 0 }, discardedRefs: [] }
}

/** What the user is told of a source in one line. */
function label (c: Pick<Candidate, 'kind' | 'url'>): string {
  return c.kind === 'torrent' ? 'the swarm' : c.url
}
