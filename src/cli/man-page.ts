import type { AddHelpTextContext, Command } from 'commander'

export interface ManPageMeta {
  /** The page's name, as `man NAME` finds it: `git-mirror-clone`, `mirror-clone`. */
  name: string
  /** The header's centre footer, e.g. `git-torrent-mirror 0.1.0`. */
  source: string
  /** The header's date, e.g. `2024-01-01`. */
  date: string
  /** Pages named in SEE ALSO, as `name(section)`. */
  seeAlso?: string[]
}

/**
 * A section 1 man page (roff, man macros) made from a commander Command:
 * the same usage, description, arguments, options (with their defaults),
 * subcommands and `addHelpText` text that `--help` prints, taken through
 * commander's own Help object, so the page says what `--help` says for
 * whatever options the command has.
 */
export function manPage (cmd: Command, meta: ManPageMeta): string {
  const help = cmd.createHelp()
  const out: string[] = [
    `.TH "${meta.name.toUpperCase()}" "1" "${meta.date}" "${escapeArg(meta.source)}" "User Commands"`,
    '.nh',   // no hyphenation: option and ref names stay whole
    '.ad l',
    '.SH NAME',
    `${escape(meta.name)} \\- ${escape(firstSentence(help.commandDescription(cmd)))}`,
    '.SH SYNOPSIS',
    `.B ${escape(commandPath(cmd))}`,
    escape(cmd.usage()),
    '.SH DESCRIPTION',
    ...text(help.commandDescription(cmd)),
    ...text(helpText(cmd, 'beforeHelp'))
  ]
  const items = (title: string, list: Array<[string, string]>): void => {
    if (list.length === 0) return
    out.push(`.SH ${title}`)
    for (const [term, description] of list) out.push('.TP', formatTerm(term), escape(description))
  }
  items('ARGUMENTS', help.visibleArguments(cmd).map(a => [help.argumentTerm(a), help.argumentDescription(a)]))
  items('OPTIONS', help.visibleOptions(cmd).map(o => [help.optionTerm(o), help.optionDescription(o)]))
  items('COMMANDS', help.visibleCommands(cmd).map(c => [help.subcommandTerm(c), help.subcommandDescription(c)]))
  const after = text(helpText(cmd, 'afterHelp'))
  if (after.length > 0) out.push('.SH DETAILS', ...after)
  if (meta.seeAlso !== undefined && meta.seeAlso.length > 0) {
    out.push('.SH SEE ALSO', meta.seeAlso.map(ref => `.BR ${ref.replace(/\((\w+)\)$/, ' ($1)')}`).join(',\n'))
  }
  return `${out.join('\n')}\n`
}

/** `git mirror clone`: the names of the command and its parents, as its usage line shows them. */
function commandPath (cmd: Command): string {
  const names: string[] = []
  for (let c: Command | null = cmd; c !== null; c = c.parent) names.unshift(c.name())
  return names.join(' ')
}

/** What `addHelpText(position)` added, captured the way commander writes it out. */
function helpText (cmd: Command, event: 'beforeHelp' | 'afterHelp'): string {
  let written = ''
  const context: AddHelpTextContext & { write: (s: string) => void } = { error: false, command: cmd, write: (s: string) => { written += s } }
  ;(cmd as unknown as NodeJS.EventEmitter).emit(event, context)   // a Command is an EventEmitter; its typings do not say so
  return written
}

function firstSentence (description: string): string {
  const m = /^(.*?[.!?])(\s|$)/s.exec(description)
  return (m?.[1] ?? description).replace(/\.$/, '').replace(/\s+/g, ' ')
}

/**
 * Help text into roff: paragraphs (lines between blank lines, not indented)
 * are filled; indented lines (examples, commands to type) are kept as they
 * are, indented.
 */
function text (s: string): string[] {
  const out: string[] = []
  let mode: 'none' | 'fill' | 'verbatim' = 'none'
  const end = (): void => { if (mode === 'verbatim') out.push('.fi', '.RE'); mode = 'none' }
  for (const line of s.replace(/\s+$/, '').split('\n')) {
    if (line.trim() === '') { end(); continue }
    if (/^\s/.test(line)) {
      if (mode !== 'verbatim') { end(); out.push('.RS 4', '.nf'); mode = 'verbatim' }
      out.push(escape(line.replace(/^ {1,4}/, '')))
    } else {
      if (mode !== 'fill') { end(); out.push('.PP'); mode = 'fill' }
      out.push(escape(line))
    }
  }
  end()
  return out
}

/** `-n, --no-checkout`, `--sources <list>`: flags in bold, placeholders in italics. */
function formatTerm (term: string): string {
  return term.split(' ').map(word => {
    const m = /^([<[].*?[>\]](?:\.\.\.)?)(,?)$/.exec(word)
    if (m !== null) return `\\fI${escape(m[1] ?? '')}\\fR${m[2] ?? ''}`
    const comma = word.endsWith(',') ? ',' : ''
    return `\\fB${escape(comma === '' ? word : word.slice(0, -1))}\\fR${comma}`
  }).join(' ')
}

/**
 * Text safe on a roff line: backslashes escaped, every `-` an ASCII minus
 * (`\-`: a plain `-` may render as a hyphen, which a copied option or a
 * search for `--sources` would miss), a leading `.` or `'` made literal.
 */
export function escape (s: string): string {
  return s.replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/^([.'])/, '\\&$1')
}

function escapeArg (s: string): string {
  return escape(s).replace(/"/g, '""')
}
