// Seeded, machine-independent content for fixture repositories: a PRNG,
// incompressible byte chunks, and text that reads and compresses like C source.

/** mulberry32: a small seeded PRNG returning uint32s (not for cryptography). */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** `bytes` pseudo-random bytes from `seed`, in chunks of at most chunkSize (little-endian, same on every machine). */
export function * randomChunks (seed: number, bytes: number, chunkSize = 1 << 20): Generator<Buffer> {
  const next = prng(seed)
  for (let left = bytes; left > 0; left -= chunkSize) {
    const n = Math.min(left, chunkSize)
    const buf = Buffer.allocUnsafe(n)
    let i = 0
    for (; i + 4 <= n; i += 4) buf.writeUInt32LE(next(), i)
    for (let v = next(); i < n; i++, v >>>= 8) buf[i] = v & 0xff
    yield buf
  }
}

const NOUNS = ['buffer', 'index', 'object', 'packet', 'stream', 'table', 'cursor', 'entry', 'header', 'record',
  'chunk', 'peer', 'piece', 'bundle', 'commit', 'tree', 'blob', 'ref', 'remote', 'tracker', 'queue', 'cache']
const VERBS = ['read', 'write', 'parse', 'update', 'check', 'encode', 'decode', 'flush', 'reset', 'open',
  'close', 'find', 'insert', 'remove', 'hash', 'verify', 'split', 'load', 'store', 'grow']
const TYPES = ['int', 'size_t', 'uint32_t', 'long', 'unsigned']

export class SourceText {
  constructor (private readonly next: () => number) {}

  pick<T>(list: readonly T[]): T { return list[this.next() % list.length]! }
  int (lo: number, hi: number): number { return lo + (this.next() % (hi - lo + 1)) }
  noun (): string { return this.pick(NOUNS) }
  verb (): string { return this.pick(VERBS) }

  /** One C function, 8-25 lines. */
  func (): string {
    const type = this.pick(TYPES)
    const [verb, noun, arg, other] = [this.verb(), this.noun(), this.noun(), this.noun()]
    const name = `${verb}_${noun}_${this.int(1, 99)}`
    const lines = [
      '/*',
      ` * ${cap(verb)} the ${noun} of a ${arg} and return how many ${other}s changed.`,
      ...(this.int(0, 2) === 0 ? [` * The caller holds the ${this.noun()} lock.`] : []),
      ' */',
      `static ${type} ${name}(struct ${arg} *${arg}, ${type} ${other})`,
      '{',
      `\t${type} result = 0;`,
      '\tsize_t i;',
      ''
    ]
    const body = this.int(1, 4)
    for (let s = 0; s < body; s++) lines.push(...this.statement(type, arg, other))
    lines.push('\treturn result;', '}')
    return lines.join('\n')
  }

  private statement (type: string, arg: string, other: string): string[] {
    const v = this.verb()
    const n = this.noun()
    switch (this.int(0, 3)) {
      case 0: return [
        `\tfor (i = 0; i < ${arg}->nr; i++) {`,
        `\t\tif (!${arg}->items[i].${n})`,
        '\t\t\tcontinue;',
        `\t\tresult += ${v}_${n}(&${arg}->items[i], ${other});`,
        '\t}'
      ]
      case 1: return [
        `\tif (${v}_${n}(${arg}, ${other}) < 0)`,
        `\t\treturn error("could not ${v} ${n} %"PRIuMAX, (uintmax_t)${other});`
      ]
      case 2: return [`\t${arg}->${n}_nr = (${type})${this.int(2, 64)} * ${other};`]
      default: return [
        `\twhile (${arg}->${n} && result < ${this.int(4, 512)}) {`,
        `\t\t${arg}->${n} = ${arg}->${n}->next;`,
        '\t\tresult++;',
        '\t}'
      ]
    }
  }

  /** A file header: comment and includes. */
  header (file: string): string {
    return [
      `/* ${file}: ${this.verb()} and ${this.verb()} ${this.noun()}s. */`,
      '#include "cache.h"',
      `#include "${this.noun()}.h"`,
      `#include "${this.noun()}.h"`
    ].join('\n')
  }
}

function cap (s: string): string { return s.charAt(0).toUpperCase() + s.slice(1) }
