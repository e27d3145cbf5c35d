import { MirrorError } from './errors.js'

/**
 * refs/mirrors/bundle/list (DESIGN.md "Bundle list and incremental
 * bundles"): the bundle list git's own `clone --bundle-uri` reads, in git's
 * config syntax, plus our keys (infohash, size, sha256), which git ignores.
 * Pure: a canonical printer, and a parser of what `git config --list -z`
 * (git's own config parser, io/git/read-bundle-list.ts) makes of a list.
 */

export interface BundleListEntry {
  /** The `<id>` of `bundle.<id>.*`: letters, digits and '-'. */
  id: string
  /** Where the bundle is served over HTTP(S), when it is (git clone --bundle-uri downloads it from there). */
  uri: string | null
  /** Increasing along the list: the base first, then each increment (git 2.40+'s creationToken heuristic). */
  creationToken: number
  infoHash: string
  size: number
  sha256: string
}

export interface BundleList {
  entries: BundleListEntry[]
}

/** More bundles than a list should ever hold between collapses: bounds what an origin can make a client read. */
export const MAX_LIST_ENTRIES = 1000
const ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/
const HEX40 = /^[0-9a-f]{40}$/
const HEX64 = /^[0-9a-f]{64}$/
const DECIMAL = /^(0|[1-9][0-9]{0,14})$/

/**
 * The canonical text: the list's header (version 1, mode all, the
 * creationToken heuristic), then one section per entry in list order, every
 * value on one line; a uri is quoted (git reads `;` and `#` unquoted as a
 * comment). RangeError for an entry that could not be read back.
 */
export function formatBundleList (list: BundleList): string {
  const problem = listProblem(list)
  if (problem !== null) throw new RangeError(`bundle list: ${problem}`)
  const lines = ['[bundle]', '\tversion = 1', '\tmode = all', '\theuristic = creationToken']
  for (const e of list.entries) {
    lines.push(`[bundle "${e.id}"]`)
    if (e.uri !== null) lines.push(`\turi = "${e.uri.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
    lines.push(`\tcreationToken = ${e.creationToken}`, `\tinfohash = ${e.infoHash}`, `\tsize = ${e.size}`, `\tsha256 = ${e.sha256}`)
  }
  return lines.map(l => `${l}\n`).join('')
}

/**
 * Splits `git config --list -z` output into key/value pairs (a key, a
 * newline, the value, a NUL; a key without a value has no newline).
 */
export function parseConfigList (z: string): Array<[string, string | null]> {
  const pairs: Array<[string, string | null]> = []
  for (const item of z.split('\0')) {
    if (item === '') continue
    const nl = item.indexOf('\n')
    pairs.push(nl === -1 ? [item, null] : [item.slice(0, nl), item.slice(nl + 1)])
  }
  return pairs
}

/**
 * The list from git's reading of it (keys as git gives them: section and
 * key lower-cased, the id as written). Strict where a client depends on it:
 * version 1, mode all, each entry with a creationToken, infohash, size and
 * sha256, tokens strictly increasing in list order, a uri (if any) over
 * http(s); unknown keys are ignored, as git ignores ours. BAD_RECORD naming
 * `what` otherwise.
 */
export function parseBundleList (pairs: Array<[string, string | null]>, what: string): BundleList {
  const bad = (why: string): never => { throw new MirrorError('BAD_RECORD', `${what}: ${why}`, { what }) }
  const header = new Map<string, string | null>()
  const byId = new Map<string, Record<string, string | null>>()
  for (const [key, value] of pairs) {
    if (!key.startsWith('bundle.')) continue
    const rest = key.slice('bundle.'.length)
    const dot = rest.lastIndexOf('.')
    if (dot === -1) { header.set(rest, value); continue }
    const id = rest.slice(0, dot)
    if (!ID.test(id)) bad(`bundle id ${JSON.stringify(id.slice(0, 70))} is not letters, digits and '-'`)
    if (!byId.has(id)) {
      if (byId.size >= MAX_LIST_ENTRIES) bad(`more than ${MAX_LIST_ENTRIES} bundles`)
      byId.set(id, {})
    }
    const entry = byId.get(id)!
    const name = rest.slice(dot + 1)
    if (name in entry) bad(`bundle.${id}.${name} is given twice`)
    entry[name] = value
  }
  if (header.get('version') !== '1') bad('bundle.version is not 1')
  if (header.get('mode') !== 'all') bad('bundle.mode is not "all" (the list is a base and its increments)')
  const entries: BundleListEntry[] = []
  for (const [id, e] of byId) {
    const field = (name: string, shape: RegExp): string => {
      const v = e[name]
      if (typeof v !== 'string' || !shape.test(v)) bad(`bundle.${id}.${name} is missing or malformed`)
      return v as string
    }
    const uri = e.uri ?? null
    if (uri !== null && uriProblem(uri) !== null) bad(`bundle.${id}.uri ${uriProblem(uri)!}`)
    entries.push({ id, uri, creationToken: Number(field('creationtoken', DECIMAL)), infoHash: field('infohash', HEX40), size: Number(field('size', DECIMAL)), sha256: field('sha256', HEX64) })
  }
  const problem = listProblem({ entries })
  if (problem !== null) bad(problem)
  return { entries }
}

/** What keeps a list from being printed and read back the same, or null. */
function listProblem (list: BundleList): string | null {
  if (list.entries.length === 0) return 'no bundles'
  if (list.entries.length > MAX_LIST_ENTRIES) return `more than ${MAX_LIST_ENTRIES} bundles`
  const ids = new Set<string>()
  const hashes = new Set<string>()
  let token = -1
  for (const e of list.entries) {
    if (!ID.test(e.id)) return `bundle id ${JSON.stringify(e.id.slice(0, 70))} is not letters, digits and '-'`
    if (ids.has(e.id.toLowerCase())) return `bundle id ${e.id} is given twice`
    ids.add(e.id.toLowerCase())
    if (!Number.isSafeInteger(e.creationToken) || e.creationToken <= token) return `bundle.${e.id}.creationToken does not increase along the list`
    token = e.creationToken
    if (!HEX40.test(e.infoHash) || !HEX64.test(e.sha256)) return `bundle.${e.id}: infohash or sha256 malformed`
    if (hashes.has(e.infoHash)) return `bundle.${e.id} is a bundle the list names before (a cycle)`
    hashes.add(e.infoHash)
    if (!Number.isSafeInteger(e.size) || e.size <= 0 || e.size > 999_999_999_999_999) return `bundle.${e.id}.size is not a positive size`
    if (e.uri !== null && uriProblem(e.uri) !== null) return `bundle.${e.id}.uri ${uriProblem(e.uri)!}`
  }
  return null
}

/** An http(s) URL of printable ASCII, at most 2048 characters, without credentials; else why not. */
function uriProblem (uri: string): string | null {
  if (uri.length > 2048 || !/^[\x21-\x7e]+$/.test(uri)) return 'is not printable ASCII without spaces, or is over 2048 characters'
  let u: URL
  try { u = new URL(uri) } catch { return 'is not a URL' }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'is not http(s)'
  if (u.username !== '' || u.password !== '') return 'carries credentials'
  return null
}
