import { addressRefusal } from './address-policy.js'
import { isMirrorError, MirrorError, type ErrorCode } from './errors.js'
import type { MirrorUrl } from './mirror-url.js'
import { mirrorStagingName } from './mirror-url.js'
import { parseMirrorList, parseUrlList } from './records.js'
import { RECORD_REFS, type RecordName } from './refs.js'

/**
 * DESIGN.md "Sources": where a clone may take the bulk of a repository from
 * before the origin's final fetch, in the default order of preference.
 */
export const SOURCE_KINDS = ['torrent', 'http', 'mirror'] as const
export type SourceKind = typeof SOURCE_KINDS[number]
export const DEFAULT_SOURCE_ORDER: readonly SourceKind[] = SOURCE_KINDS

/** URL schemes a source may use unless mirror.allowProtocols says otherwise (git's own always-allowed set). */
export const DEFAULT_ALLOWED_PROTOCOLS: readonly string[] = ['https', 'http', 'ssh', 'git']

/** What became of one source a clone tried. */
export type Outcome = 'used' | 'failed' | 'refused' | 'skipped'

/** A source to try, in order; the origin is not one: it always comes last. */
export type Candidate =
  | { kind: 'torrent', url: string }
  | { kind: 'http', url: string }
  | { kind: 'mirror', url: string, staging: string }

/** What planning decided without trying: a source left out, and why. */
export interface NotTried { kind: SourceKind, url: string, outcome: 'skipped' | 'refused', reason: string }

/**
 * `--sources` / mirror.sources: a comma list of source kinds, each at most
 * once, in the order to try them. `origin` may end the list (the origin is
 * always tried last anyway); alone it means no other source.
 */
export function parseSourceList (text: string, what: string, code: ErrorCode = 'USAGE'): SourceKind[] {
  const items = text.split(',').map(s => s.trim().toLowerCase())
  const out: SourceKind[] = []
  for (const [i, item] of items.entries()) {
    if (item === 'origin' && i === items.length - 1) break
    if (!(SOURCE_KINDS as readonly string[]).includes(item)) {
      throw new MirrorError(code, `${what}: ${JSON.stringify(item)} is not a source (${SOURCE_KINDS.join(', ')}, and origin last)`, { value: text })
    }
    if (out.includes(item as SourceKind)) throw new MirrorError(code, `${what}: ${item} is named twice`, { value: text })
    out.push(item as SourceKind)
  }
  return out
}

/** mirror.allowProtocols: a comma list of URL schemes (as git's protocol.allow names them). */
export function parseProtocolList (text: string, what: string): string[] {
  const items = text.split(',').map(s => s.trim().toLowerCase()).filter(s => s !== '')
  for (const item of items) {
    if (!/^[a-z][a-z0-9+.-]*$/.test(item)) throw new MirrorError('BAD_OPTION', `${what}: ${JSON.stringify(item)} is not a protocol name`, { value: text })
  }
  return [...new Set(items)]
}

/** The records a clone plans from, parsed (a record that did not parse is an entry of `broken`). */
export interface SourceRecords {
  /** The torrent record, else the magnet record, is there: `url` says which (a magnet URI, or the ref). */
  torrent: { url: string } | null
  http: URL[]
  /** refs/mirrors/fetch/git, then refs/mirrors/fetch/http. */
  mirrors: MirrorUrl[]
  /** Records that did not parse: their source is refused, the others go on. */
  broken: Array<{ kind: SourceKind, ref: string, reason: string }>
}

/**
 * The record blobs an origin publishes, read as sources: each record on its
 * own, so that one that does not parse refuses its source only.
 */
export function sourceRecords (records: Partial<Record<RecordName, Buffer>>): SourceRecords {
  const broken: SourceRecords['broken'] = []
  const read = <T>(kind: SourceKind, ref: string, parse: () => T[]): T[] => {
    try {
      return parse()
    } catch (err) {
      if (!isMirrorError(err)) throw err
      broken.push({ kind, ref, reason: err.message })
      return []
    }
  }
  const text = (name: RecordName): string => records[name]?.toString('utf8') ?? ''
  return {
    torrent: records.torrent !== undefined ? { url: RECORD_REFS.torrent } : records.magnet !== undefined ? { url: RECORD_REFS.magnet } : null,
    http: read('http', RECORD_REFS.http, () => parseUrlList(text('http'), RECORD_REFS.http)),
    mirrors: [
      ...read('mirror', RECORD_REFS.fetchGit, () => parseMirrorList(text('fetchGit'), RECORD_REFS.fetchGit, 'git')),
      ...read('mirror', RECORD_REFS.fetchHttp, () => parseMirrorList(text('fetchHttp'), RECORD_REFS.fetchHttp, 'http'))
    ],
    broken
  }
}

/**
 * The candidates, in the order asked for; what the order leaves out is not
 * mentioned, what a protocol rule or a broken record keeps out is listed
 * in `notTried` in that same order (with the candidates it stands among),
 * as is a URL core/address-policy.ts keeps this machine from contacting.
 * Mirrors get their staging names here, so that two mirrors on one host
 * never share refs/mirror/<host>/.
 */
export function planSources (r: SourceRecords, o: { order: readonly SourceKind[], allowProtocols: readonly string[], origin: string }): Array<Candidate | NotTried> {
  const plan: Array<Candidate | NotTried> = []
  const taken = new Set<string>(['torrent', 'http'])
  const skipped = (kind: SourceKind, url: string, scheme: string, target: URL | { host: string, port: number | null }): NotTried | null => {
    if (!o.allowProtocols.includes(scheme)) return { kind, url, outcome: 'skipped', reason: `protocol ${scheme} is not allowed (mirror.allowProtocols)` }
    const refusal = addressRefusal(target instanceof URL ? target : { ...target, protocol: `${scheme}:` }, o.origin)
    return refusal === null ? null : { kind, url, outcome: 'skipped', reason: `not contacted: ${refusal}` }
  }
  for (const kind of o.order) {
    for (const b of r.broken.filter(x => x.kind === kind)) plan.push({ kind, url: b.ref, outcome: 'refused', reason: b.reason })
    if (kind === 'torrent' && r.torrent !== null) plan.push({ kind, url: r.torrent.url })
    if (kind === 'http') {
      for (const u of r.http) plan.push(skipped(kind, u.href, u.protocol.slice(0, -1), u) ?? { kind, url: u.href })
    }
    if (kind === 'mirror') {
      for (const m of r.mirrors) plan.push(skipped(kind, m.url, m.scheme, m) ?? { kind, url: m.url, staging: mirrorStagingName(m, taken) })
    }
  }
  return plan
}

export function isCandidate (p: Candidate | NotTried): p is Candidate {
  return !('outcome' in p)
}

/** Codes that mean a source sent something refused by a check; any other failure of a source is `failed`. */
const REFUSING: readonly ErrorCode[] = ['BAD_RECORD', 'UNSAFE_TORRENT', 'TOO_LARGE', 'BAD_BUNDLE', 'VERIFY_FAILED', 'BAD_PUSH_OBJECT']

export function outcomeOf (code: ErrorCode): 'failed' | 'refused' {
  return REFUSING.includes(code) ? 'refused' : 'failed'
}
