import { MirrorError } from './errors.js'
import type { Ref } from './ref-list.js'
import { isOid, isSafeRefName } from './refs.js'

/**
 * A git bundle header (gitformat-bundle(5)):
 *   "# v2 git bundle\n" | "# v3 git bundle\n" ("@key[=value]\n")*
 *   ("-<oid>[ <comment>]\n")*   prerequisites
 *   ("<oid> <refname>\n")*      references
 *   "\n"                         then the pack
 */
export interface BundleHeader {
  version: 2 | 3
  capabilities: Record<string, string | true>
  prerequisites: string[]
  refs: Ref[]
  /** Bytes up to and including the blank line: the pack starts here. */
  length: number
}

const SIGNATURES: Record<string, 2 | 3> = { '# v2 git bundle': 2, '# v3 git bundle': 3 }
const utf8 = new TextDecoder('utf-8', { fatal: true })

function bad (message: string, line?: number): never {
  throw new MirrorError('BAD_BUNDLE', line === undefined ? message : `bundle header line ${line}: ${message}`, { line })
}

/**
 * Parses the header at the start of `bytes`. Returns null when `bytes` ends
 * before the header does (read more and call again); throws BAD_BUNDLE when
 * what is there is not a bundle header we accept.
 */
export function parseBundleHeader (bytes: Uint8Array): BundleHeader | null {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let pos = 0
  let lineNo = 0
  let version: 2 | 3 | undefined
  const capabilities: Record<string, string | true> = {}
  const prerequisites: string[] = []
  const refs: Ref[] = []
  const seen = new Set<string>()

  for (;;) {
    const nl = buf.indexOf(0x0a, pos)
    if (nl === -1) {
      if (version === undefined && buf.length >= 16 && SIGNATURES[buf.toString('latin1', 0, 15)] === undefined) bad('not a git bundle (no "# v2 git bundle" or "# v3 git bundle" signature)')
      return null
    }
    let line: string
    try {
      line = utf8.decode(buf.subarray(pos, nl))
    } catch {
      bad('not valid UTF-8', lineNo + 1)
    }
    pos = nl + 1
    lineNo++

    if (version === undefined) {
      version = SIGNATURES[line]
      if (version === undefined) bad('not a git bundle (no "# v2 git bundle" or "# v3 git bundle" signature)')
      continue
    }
    if (line === '') break
    if (line.startsWith('@')) {
      if (version !== 3 || prerequisites.length > 0 || refs.length > 0) bad('capability outside a v3 header', lineNo)
      const eq = line.indexOf('=')
      const key = eq === -1 ? line.slice(1) : line.slice(1, eq)
      const value = eq === -1 ? true : line.slice(eq + 1)
      if (!/^[a-z][a-z0-9-]*$/.test(key)) bad('malformed capability', lineNo)
      // gitformat-bundle(5): a reader must abort on a capability it does not know
      if (key === 'object-format' && value !== 'sha1') bad(`unsupported object format ${String(value)}`, lineNo)
      if (key === 'filter') bad('filtered (partial) bundles are not supported', lineNo)
      if (key !== 'object-format') bad(`unknown capability @${key}`, lineNo)
      capabilities[key] = value
      continue
    }
    if (line.startsWith('-')) {
      const oid = line.slice(1, 41)
      if (!isOid(oid) || (line.length > 41 && line[41] !== ' ')) bad('malformed prerequisite', lineNo)
      prerequisites.push(oid)
      continue
    }
    const oid = line.slice(0, 40)
    const name = line.slice(41)
    if (!isOid(oid) || line[40] !== ' ' || !isSafeRefName(name)) bad('malformed reference', lineNo)
    if (seen.has(name)) bad(`duplicate reference ${name}`, lineNo)
    seen.add(name)
    refs.push({ name, oid })
  }

  if (refs.length === 0) bad('the bundle names no references')
  return { version, capabilities, prerequisites, refs, length: pos }
}
