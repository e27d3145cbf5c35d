/**
 * mirror-daemon's stdio protocol (DESIGN.md "mirror-daemon", after
 * git-annex's git-remote-daemon): one message a line, asynchronous, no
 * replies. Pure: the parser of what the caller sends, and the printer of
 * what the daemon says (and its parser, for callers and tests).
 *
 * In:  PAUSE | RESUME | PUSH <remote> | RELOAD
 * Out: CHANGED <remote> <ref> ... | STATUS <remote> <text> | ERROR <remote> <text>
 * `<remote>` is `-` for the daemon itself.
 */

/** Longest line the daemon reads; a longer one is an ERROR, and only this much of it is ever held. */
export const MAX_COMMAND_BYTES = 4096
/** Longest text of a STATUS or ERROR line: the rest is cut, with an ellipsis. */
export const MAX_TEXT_CHARS = 1000

export type Command =
  | { kind: 'PAUSE' }
  | { kind: 'RESUME' }
  | { kind: 'RELOAD' }
  | { kind: 'PUSH', remote: string }

export type Message =
  | { kind: 'CHANGED', remote: string, refs: string[] }
  | { kind: 'STATUS', remote: string, text: string }
  | { kind: 'ERROR', remote: string, text: string }

/** A git remote's name as `git remote add` takes it, and no longer than a name should be; `-` is the daemon's own. */
const REMOTE = /^(?!-)[A-Za-z0-9._][A-Za-z0-9._/-]{0,99}$/
/** A ref name in a CHANGED line: no space, no control character. */
const REF = /^refs\/[\x21-\x7e]{1,1000}$/

export function isRemoteName (name: string): boolean {
  return REMOTE.test(name) && !name.includes('..') && !name.includes('//') && !name.endsWith('/') && !name.endsWith('.lock')
}

/**
 * One line the caller sent (without its newline; a trailing \r is
 * ignored) as a command, or why it is not one: the text of the ERROR the
 * daemon answers with. Commands are upper case, as the protocol writes
 * them; arguments are separated by single spaces.
 */
export function parseCommand (line: string): Command | { kind: 'invalid', why: string } {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line
  if (Buffer.byteLength(text) > MAX_COMMAND_BYTES) return { kind: 'invalid', why: `a line over ${MAX_COMMAND_BYTES} bytes` }
  const words = text.split(' ')
  const verb = words[0] ?? ''
  const args = words.slice(1)
  const shown = JSON.stringify(clip(verb, 40))
  switch (verb) {
    case 'PAUSE':
    case 'RESUME':
    case 'RELOAD':
      if (args.length > 0) return { kind: 'invalid', why: `${verb} takes no argument` }
      return { kind: verb }
    case 'PUSH':
      if (args.length !== 1 || !isRemoteName(args[0]!)) return { kind: 'invalid', why: 'PUSH takes one remote name' }
      return { kind: 'PUSH', remote: args[0]! }
    case '':
      return { kind: 'invalid', why: 'an empty line' }
    default:
      return { kind: 'invalid', why: `unknown command ${shown}` }
  }
}

/** The line for a message, newline included: the text on one line, control characters as spaces, at most MAX_TEXT_CHARS. */
export function formatMessage (m: Message): string {
  const remote = m.remote === '-' || isRemoteName(m.remote) ? m.remote : '-'
  if (m.kind === 'CHANGED') {
    const refs = m.refs.filter(r => REF.test(r))
    if (refs.length === 0) throw new RangeError('a CHANGED message names at least one ref')
    return `CHANGED ${remote} ${refs.join(' ')}\n`
  }
  return `${m.kind} ${remote} ${oneLine(m.text)}\n`
}

/** A line the daemon wrote, read back (its callers' side), or null when it is not one. */
export function parseMessage (line: string): Message | null {
  const m = /^(CHANGED|STATUS|ERROR) (\S+) (.*)$/.exec(line.endsWith('\n') ? line.slice(0, -1) : line)
  if (m === null) return null
  const [, kind, remote, rest] = m as unknown as [string, Message['kind'], string, string]
  if (remote !== '-' && !isRemoteName(remote)) return null
  if (kind === 'CHANGED') {
    const refs = rest.split(' ')
    return refs.every(r => REF.test(r)) ? { kind, remote, refs } : null
  }
  return { kind, remote, text: rest }
}

function oneLine (text: string): string {
  const flat = text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim()
  return clip(flat === '' ? '-' : flat, MAX_TEXT_CHARS)
}

function clip (text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}
