/** A single byte range of a file, 'unsatisfiable' (416), or null: serve the whole file. */
export type ByteRange = { start: number; end: number } | 'unsatisfiable' | null

/**
 * A Range header against a file's size (RFC 9110, one range only, as web
 * seeds and git's bundle-uri ask): `bytes=a-b`, `bytes=a-`, `bytes=-n`.
 * null when absent, malformed, multi-range or inverted (the whole file is
 * served, as the RFC allows); 'unsatisfiable' past the end.
 */
export function parseRange (header: string | undefined, size: number): ByteRange {
  if (header === undefined) return null
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim())
  if (m === null) return null
  const [, a = '', b = ''] = m
  if (a === '' && b === '') return null
  if (a === '') { // suffix: the last b bytes
    const n = Number(b)
    if (n === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - n), end: size - 1 }
  }
  const start = Number(a)
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1)
  if (b !== '' && Number(b) < start) return null // invalid: ignore the header
  if (start >= size) return 'unsatisfiable'
  return { start, end }
}
