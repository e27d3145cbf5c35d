import type { CloneLayout } from '../core/clone-target.js'
import type { RemoteListing } from '../core/ls-remote.js'
import { isPublishedRef } from '../core/refs.js'
import { mapRefs, parseRefspec, type Refspec } from '../core/refspec.js'
import type { SourceKind } from '../core/sources.js'
import type { StoredBundle } from '../io/store/store.js'
import type { Attempt, ListBundle } from './attempt.js'
import type { SubmoduleReport } from './clone-submodules.js'

/** One entry of the report's `attempts`: source, url, outcome, reason, bytes, seconds, discardedRefs. */
export type AttemptReport = Pick<Attempt, 'source' | 'url' | 'outcome' | 'reason' | 'bytes' | 'seconds' | 'discardedRefs'>

/** DESIGN.md's report, plus where the clone is and what the origin overruled. */
export interface CloneReport {
  method: SourceKind | 'origin'
  fallbackReason: string | null
  infoHash: string | null
  bytes: { swarm: number, webSeed: number, http: number, mirror: number, origin: number }
  /** 'signature': the bundle matched a push object signed by a trusted key before anything was staged. */
  verified: 'origin' | 'signature'
  /** The push object verified, when one was. */
  pushObject: { id: string, sequence: number, key: string } | null
  /** How a source's pack entered the clone: 'git' indexed it here; 'signed-index' is the publisher's index under a trusted signature; null: no source's pack did. Also set when the origin then disagreed with every ref it staged. */
  indexedBy: 'git' | 'signed-index' | null
  /** Whether the origin was fetched from after the sources (false: they held every ref it advertised). */
  originFetched: boolean
  attempts: AttemptReport[]
  seconds: { discover: number, download: number, index: number, originFetch: number, total: number }
  directory: string
  /** Staged refs the origin's refs do not reach, from every source: the origin won. */
  discardedRefs: string[]
  /** The bundle's store entry when it stays in the cache. */
  bundle: StoredBundle | null
  /** The origin publishes a bundle list: each of its bundles (base, then increments) with what became of it; null otherwise. */
  bundles: ListBundle[] | null
  /** --recurse-submodules: how each submodule was cloned (path, url, method, fallbackReason), nested ones as a/b. */
  submodules: SubmoduleReport[]
}

/**
 * The oids of the branches and tags the final fetch wants (what the
 * layout's refspec and all tags map), as the origin advertised them: what
 * sources can bring. Once every one is staged, later sources are skipped.
 * (A --mirror clone also wants the origin's other refs, refs/mirrors/*
 * among them, which no source carries: the final fetch brings those.)
 */
export function wantedOids (listing: RemoteListing, layout: CloneLayout): Set<string> {
  const specs = [layout.fetchRefspec, ...(layout.tags === 'all' ? ['refs/tags/*:refs/tags/*'] : [])].map(parseRefspec) as Refspec[]
  return new Set(mapRefs(listing.refs.filter(r => isPublishedRef(r.name)), specs).map(t => t.oid))
}

const round = (s: number): number => Math.round(s * 100) / 100

export function cloneReport (r: {
  attempts: Attempt[]
  originBytes: number
  originFetched: boolean
  /** Why no source could even be tried (none published, the records unreadable, no branch to check out). */
  fallbackReason: string | null
  directory: string
  kept: StoredBundle | null
  clock: { started: number, discovered: number, sourced: number, completed: number }
}): CloneReport {
  const used = r.attempts.filter(x => x.outcome === 'used')
  const first = used[0] ?? null
  // who put objects into the clone, refused at the end (the origin disagreed) or not: git indexed them either way
  const indexed = r.attempts.find(x => x.staged.length > 0)
  const tried = r.attempts.filter(x => x.outcome !== 'skipped' || x.reason?.includes('Ctrl-C') === true)
  const reasons = tried.length === 1 ? [tried[0]!.reason ?? ''] : tried.map(x => `${x.source} ${x.url}: ${x.reason ?? x.outcome}`)
  const swarm = r.attempts.find(x => x.swarm !== null)?.swarm ?? null
  const sum = (kind: SourceKind): number => r.attempts.filter(x => x.source === kind).reduce((n, x) => n + x.bytes, 0)
  const verified = first?.bundle?.verified ?? null
  const c = r.clock
  return {
    method: first?.source ?? 'origin',
    fallbackReason: first !== null ? null : r.fallbackReason ?? (reasons.join('; ') || 'no source was tried'),
    infoHash: swarm?.infoHash ?? null,
    bytes: {
      swarm: r.attempts.reduce((n, x) => n + (x.swarm?.fromPeers ?? 0), 0),
      webSeed: r.attempts.reduce((n, x) => n + (x.swarm?.fromWebSeeds ?? 0), 0),
      http: sum('http'),
      mirror: sum('mirror'),
      origin: r.originBytes
    },
    verified: verified !== null ? 'signature' : 'origin',
    pushObject: verified === null ? null : { id: verified.po.id, sequence: verified.po.sequence, key: verified.po.signer.text },
    indexedBy: indexed === undefined ? null : indexed.bundle?.indexedBy ?? 'git',
    originFetched: r.originFetched,
    attempts: r.attempts.map(x => ({ source: x.source, url: x.url, outcome: x.outcome, reason: x.reason, bytes: x.bytes, seconds: x.seconds, discardedRefs: x.discardedRefs })),
    seconds: {
      discover: round((c.discovered - c.started) / 1000),
      download: round(r.attempts.reduce((n, x) => n + x.phases.download, 0)),
      index: round(r.attempts.reduce((n, x) => n + x.phases.index, 0)),
      originFetch: round((c.completed - c.sourced) / 1000),
      total: round((Date.now() - c.started) / 1000)
    },
    directory: r.directory,
    discardedRefs: r.attempts.flatMap(x => x.discardedRefs),
    bundle: r.kept,
    bundles: first?.list?.bundles ?? null,
    submodules: []
  }
}
