/** What pipelines report while they work; the CLI's reporter renders it. */
export interface Progress {
  phase: string
  loaded?: number
  total?: number
  /** What loaded/total count: bytes (the default) or items such as git's objects. */
  unit?: 'bytes' | 'items'
  /** Free text for the current step (e.g. git's own progress line). */
  detail?: string
}

export type OnProgress = (p: Progress) => void

/** git's progress lines, e.g. "Writing objects:  45% (123/456)". */
export function parseGitProgress (line: string): { step: string, done: number, total: number } | null {
  const m = /^(?:remote: )?([A-Za-z ]+):\s+(\d+)% \((\d+)\/(\d+)\)/.exec(line.trim())
  return m === null ? null : { step: m[1]!, done: Number(m[3]), total: Number(m[4]) }
}

/**
 * An `onStderr` for a git command run with --progress: each progress line
 * becomes a Progress of `phase` (counting objects: loaded/total), the step
 * ("Receiving objects") as detail. Chunks may split a line; a partial line
 * is simply not reported.
 */
export function gitProgressTo (phase: string, onProgress?: OnProgress): ((chunk: string) => void) | undefined {
  if (onProgress === undefined) return undefined
  return (chunk: string) => {
    for (const line of chunk.split(/[\r\n]+/)) {
      const p = parseGitProgress(line)
      if (p !== null) onProgress({ phase, loaded: p.done, total: p.total, unit: 'items', detail: p.step.toLowerCase() })
    }
  }
}
