// bench/RESULTS.md is made of marked sections, each naming the run that wrote
// it, so that a run of some parts (--only) replaces their sections and keeps
// the others as they were:
//
//   <!-- bench:begin clone {"date":"…","command":"npm run bench -- …","seconds":717.2,"repeat":3} -->
//   ## 1. Clone
//   …
//   <!-- bench:end clone -->
//
// What is made from the sections is never kept: the header line (which run
// wrote which section), the Summary (the rows of the sections' own target
// tables) and how to reproduce. Pure: text in, text out.

/** The run that wrote a section. */
export interface Stamp { date: string, command: string, seconds: number, repeat: number }

export interface Section {
  name: string
  stamp: Stamp
  /** the markdown between the markers, starting with its `## ` heading */
  text: string
}

const BEGIN = /^<!-- bench:begin ([a-z]+) (\{.*\}) -->$/
const END = /^<!-- bench:end ([a-z]+) -->$/

/** A section with its markers; `<` and `>` in the stamp are escaped, so that it cannot end the comment. */
export function printSection (s: Section): string {
  const stamp = JSON.stringify(s.stamp).replace(/[<>]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  return `<!-- bench:begin ${s.name} ${stamp} -->\n\n${s.text.trim()}\n\n<!-- bench:end ${s.name} -->`
}

/** The marked sections of a results file, in order; throws on markers that do not pair. */
export function parseSections (text: string): Section[] {
  const out: Section[] = []
  let open: { name: string, stamp: Stamp, lines: string[], line: number } | null = null
  for (const [i, line] of text.split('\n').entries()) {
    const begin = BEGIN.exec(line)
    const end = END.exec(line)
    if (begin !== null) {
      if (open !== null) throw new Error(`line ${i + 1}: section ${begin[1]!} begins inside section ${open.name} (line ${open.line})`)
      open = { name: begin[1]!, stamp: parseStamp(begin[2]!, i + 1), lines: [], line: i + 1 }
    } else if (end !== null) {
      if (open === null || open.name !== end[1]) throw new Error(`line ${i + 1}: the end of section ${end[1]!}${open === null ? ', which did not begin' : ` inside section ${open.name}`}`)
      if (out.some(s => s.name === open!.name)) throw new Error(`line ${open.line}: section ${open.name} appears twice`)
      out.push({ name: open.name, stamp: open.stamp, text: open.lines.join('\n').trim() })
      open = null
    } else open?.lines.push(line)
  }
  if (open !== null) throw new Error(`line ${open.line}: section ${open.name} does not end`)
  return out
}

function parseStamp (json: string, line: number): Stamp {
  const s = JSON.parse(json) as Partial<Stamp>
  if (typeof s.date !== 'string' || typeof s.command !== 'string' || typeof s.seconds !== 'number' || typeof s.repeat !== 'number') {
    throw new Error(`line ${line}: a section's stamp needs date, command, seconds and repeat: ${json}`)
  }
  return { date: s.date, command: s.command, seconds: s.seconds, repeat: s.repeat }
}

/**
 * The sections to write after a run of some parts: `fresh`'s, in its order,
 * where `replaced` names them or `old` lacks them; `old`'s otherwise.
 */
export function mergeSections (fresh: Section[], old: Section[], replaced: ReadonlySet<string>): Section[] {
  return fresh.map(s => replaced.has(s.name) ? s : old.find(o => o.name === s.name) ?? s)
}

/**
 * Whether two versions of a section say the same once the lines matching
 * `ignore` are left out (a machine's load average, say).
 */
export function sameExcept (a: Section, b: Section, ignore: RegExp): boolean {
  const keep = (s: Section): string => s.text.split('\n').filter(l => !ignore.test(l)).join('\n')
  return keep(a) === keep(b)
}

export const TARGETS_HEAD = '| target | measured (medians) | limit | result |'

/** The rows of every target table in the sections, in order: the Summary. */
export function targetRows (sections: Section[]): string[] {
  const rows: string[] = []
  for (const s of sections) {
    const lines = s.text.split('\n')
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] !== TARGETS_HEAD) continue
      for (i += 2; i < lines.length && lines[i]!.startsWith('| '); i++) rows.push(lines[i]!)
    }
  }
  return rows
}

/** The runs that wrote the sections, oldest first, each with the headings of its sections. */
export function provenance (sections: Section[]): Array<{ stamp: Stamp, headings: string[] }> {
  const runs = new Map<string, { stamp: Stamp, headings: string[] }>()
  for (const s of sections) {
    const heading = /^## (.*)$/m.exec(s.text)?.[1] ?? s.name
    const run = runs.get(s.stamp.date) ?? { stamp: s.stamp, headings: [] }
    run.headings.push(heading)
    runs.set(s.stamp.date, run)
  }
  return [...runs.values()].sort((a, b) => a.stamp.date.localeCompare(b.stamp.date))
}
