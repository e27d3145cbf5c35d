import type { Ref } from './ref-list.js'

/** A fetch refspec as git clone writes them: `[+]<src>:<dst>`, each side with at most one `*`. */
export interface Refspec { force: boolean, src: string, dst: string }

export function parseRefspec (text: string): Refspec | null {
  const m = /^(\+?)([^:]+):([^:]+)$/.exec(text)
  if (m === null) return null
  const [, plus, src, dst] = m as unknown as [string, string, string, string]
  const stars = (s: string): number => s.split('*').length - 1
  if (stars(src) !== stars(dst) || stars(src) > 1) return null
  return { force: plus === '+', src, dst }
}

/**
 * Where a fetch with these refspecs writes each advertised ref: the pairs
 * (advertised ref, local name, oid), one for every refspec that matches,
 * as `git fetch` writes them. Refs no refspec matches are left out.
 */
export function mapRefs (refs: Ref[], refspecs: Refspec[]): Array<{ src: string, dst: string, oid: string }> {
  const out: Array<{ src: string, dst: string, oid: string }> = []
  for (const r of refs) {
    for (const spec of refspecs) {
      const dst = mapName(r.name, spec)
      if (dst !== null) out.push({ src: r.name, dst, oid: r.oid })
    }
  }
  return out
}

function mapName (name: string, spec: Refspec): string | null {
  const star = spec.src.indexOf('*')
  if (star === -1) return name === spec.src ? spec.dst : null
  const prefix = spec.src.slice(0, star)
  const suffix = spec.src.slice(star + 1)
  if (!name.startsWith(prefix) || !name.endsWith(suffix) || name.length < prefix.length + suffix.length) return null
  const middle = name.slice(prefix.length, name.length - suffix.length)
  if (middle === '') return null
  return spec.dst.replace('*', () => middle)   // a function: '$&' in a branch name is text, not a pattern
}
