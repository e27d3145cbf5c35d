// A strict reader of the Prometheus text exposition format (version 0.0.4),
// written from its specification rather than by the library that writes
// it, so that a test of /metrics checks the format and not the library
// against itself. Throws, naming the line, on anything the format does not
// allow.

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Exposition {
  /** metric family name -> its TYPE (counter, gauge, histogram, summary, untyped) */
  types: Map<string, string>
  help: Map<string, string>
  samples: Sample[]
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])
/** The suffixes a histogram's or summary's samples add to its family name. */
const SUFFIXES = ['_bucket', '_sum', '_count']

export function parseExposition (text: string): Exposition {
  const types = new Map<string, string>()
  const help = new Map<string, string>()
  const samples: Sample[] = []
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline')
  for (const [i, line] of text.slice(0, -1).split('\n').entries()) {
    const where = `line ${i + 1} (${JSON.stringify(line.slice(0, 80))})`
    if (line.trim() === '') continue
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line)
      if (m === null) continue   // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string]
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name`)
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type`)
        if (types.has(name)) throw new Error(`${where}: a second TYPE for ${name}`)
        if (samples.some(s => familyOf(s.name, types) === name)) throw new Error(`${where}: TYPE after its samples`)
        types.set(name, rest)
      } else {
        help.set(name, rest)
      }
      continue
    }
    samples.push(parseSample(line, where))
  }
  return { types, help, samples }
}

/** The values of samples named `name` whose labels include `labels`. */
export function valuesOf (e: Exposition, name: string, labels: Record<string, string> = {}): number[] {
  return e.samples.filter(s => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).map(s => s.value)
}

/** The one value of `name` with these labels; throws unless exactly one sample matches. */
export function valueOf (e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const v = valuesOf(e, name, labels)
  if (v.length !== 1) throw new Error(`${v.length} samples of ${name} ${JSON.stringify(labels)}`)
  return v[0]!
}

export function familyOf (sample: string, types: Map<string, string>): string {
  if (types.has(sample)) return sample
  const suffix = SUFFIXES.find(s => sample.endsWith(s))
  return suffix === undefined ? sample : sample.slice(0, -suffix.length)
}

function parseSample (line: string, where: string): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? ([^ ]+)( -?\d+)?$/.exec(line)
  if (m === null) throw new Error(`${where}: not a sample`)
  const [, name, braces, raw] = m as unknown as [string, string, string | undefined, string]
  return { name, labels: braces === undefined ? {} : parseLabels(braces.slice(1, -1), where), value: parseValue(raw, where) }
}

function parseLabels (body: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {}
  let rest = body
  while (rest !== '') {
    const m = /^([^=]+)="((?:[^"\\]|\\.)*)"(,?)/.exec(rest)
    if (m === null) throw new Error(`${where}: bad label set`)
    const [all, key, quoted, comma] = m as unknown as [string, string, string, string]
    if (!LABEL.test(key)) throw new Error(`${where}: bad label name ${key}`)
    if (key in labels) throw new Error(`${where}: label ${key} twice`)
    if (/\\[^\\"n]/.test(quoted.replace(/\\\\/g, ''))) throw new Error(`${where}: bad escape in label ${key}`)
    labels[key] = quoted.replace(/\\(["\\n])/g, (_, c: string) => c === 'n' ? '\n' : c)
    rest = rest.slice(all.length)
    if (comma === '' && rest !== '') throw new Error(`${where}: labels not separated by commas`)
  }
  return labels
}

function parseValue (raw: string, where: string): number {
  // the format takes what Go's strconv.ParseFloat takes: NaN and Inf in any case (prom-client writes "Nan")
  if (/^[+-]?(inf|infinity)$/i.test(raw)) return raw.startsWith('-') ? -Infinity : Infinity
  if (/^nan$/i.test(raw)) return NaN
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) throw new Error(`${where}: bad value ${raw}`)
  return Number(raw)
}
