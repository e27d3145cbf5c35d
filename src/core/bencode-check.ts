/**
 * A check of bencoded bytes before any decoder sees them. bencode 4.0.1
 * (under parse-torrent) loops forever on a string length that points
 * backwards (`d-3:` never returns and takes a core; `l-3:` grows a list
 * until the heap is gone), and decodes a "__proto__" key into an object
 * whose prototype is whatever value followed. Torrent records come from
 * the origin, so each one is checked here first: one value, nothing after
 * it, string lengths that are plain non-negative decimals within the
 * bytes, integers of at most 20 digits, no "__proto__" key, containers at
 * most `maxDepth` deep. One pass, no recursion, no allocation per value.
 */
export const MAX_BENCODE_DEPTH = 64

const I = 0x69, L = 0x6c, D = 0x64, E = 0x65, COLON = 0x3a, MINUS = 0x2d, ZERO = 0x30, NINE = 0x39
const PROTO = Buffer.from('__proto__')

/** What is wrong with `bytes` as one bencoded value, or null when nothing is. */
export function bencodeProblem (bytes: Uint8Array, maxDepth = MAX_BENCODE_DEPTH): string | null {
  /** per open container: 'l', or 'd' expecting a key ('k') or a value ('v') */
  const stack: Array<'l' | 'k' | 'v'> = []
  let pos = 0
  const isDigit = (b: number | undefined): boolean => b !== undefined && b >= ZERO && b <= NINE
  do {
    const top = stack.at(-1)
    const b = bytes[pos]
    if (b === undefined) return stack.length === 0 ? 'is empty' : `ends inside ${stack.length} open list(s) or dictionary(s)`
    if (b === E) {
      if (top === undefined) return `an "e" at byte ${pos} closes nothing`
      if (top === 'v') return `a dictionary key without a value at byte ${pos}`
      stack.pop()
      pos++
      afterValue(stack)
      continue
    }
    if (top === 'k' && !isDigit(b)) return `a dictionary key at byte ${pos} is not a string`
    if (b === L || b === D) {
      if (stack.length >= maxDepth) return `nested deeper than ${maxDepth} at byte ${pos}`
      stack.push(b === L ? 'l' : 'k')
      pos++
      continue
    }
    if (b === I) {
      let end = pos + 1
      if (bytes[end] === MINUS) end++
      const first = end
      while (isDigit(bytes[end])) end++
      if (end === first || end - first > 20 || bytes[end] !== E) return `a malformed integer at byte ${pos}`
      pos = end + 1
      afterValue(stack)
      continue
    }
    if (isDigit(b)) {
      let end = pos
      while (isDigit(bytes[end]) && end - pos <= 20) end++
      if (bytes[end] !== COLON || end - pos > 20) return `a malformed string length at byte ${pos}`
      const length = Number(Buffer.from(bytes.subarray(pos, end)).toString('latin1'))
      const start = end + 1
      if (length > bytes.length - start) return `a string at byte ${pos} runs past the end (${length} bytes)`
      if (top === 'k' && length === PROTO.length && PROTO.equals(bytes.subarray(start, start + length))) return `a "__proto__" dictionary key at byte ${pos}`
      pos = start + length
      afterValue(stack)
      continue
    }
    return `an unexpected byte 0x${b.toString(16).padStart(2, '0')} at byte ${pos}`
  } while (stack.length > 0)
  return pos === bytes.length ? null : `${bytes.length - pos} bytes after the value`
}

/** A value completed: in a dictionary, a key now wants its value, a value the next key. */
function afterValue (stack: Array<'l' | 'k' | 'v'>): void {
  const top = stack.length - 1
  if (stack[top] === 'k') stack[top] = 'v'
  else if (stack[top] === 'v') stack[top] = 'k'
}
