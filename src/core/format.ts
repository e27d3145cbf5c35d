/** Human-readable figures for progress and summaries. */
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

export function formatBytes (n: number): string {
  let v = n
  let i = 0
  while (v >= 1024 && i < UNITS.length - 1) { v /= 1024; i++ }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${UNITS[i]}`
}

export function formatRate (bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`
}

export function formatDuration (seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--'
  const s = Math.max(0, Math.round(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const pad = (x: number): string => String(x).padStart(2, '0')
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`
}

/** "1048576", "512K", "20M", "64G", "1T" (binary units); null if it does not parse. */
export function parseSize (text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B?|B)?$/i.exec(text.trim())
  if (m === null) return null
  const unit = (m[2] ?? 'B').toUpperCase()[0]!
  const scale = { B: 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[unit as 'B' | 'K' | 'M' | 'G' | 'T']
  const n = Math.round(Number(m[1]) * scale)
  return Number.isSafeInteger(n) && n > 0 ? n : null
}

/** A rate: a size per second ("32K", "1M/s", "500000"), or 0 (no minimum); null if it does not parse. */
export function parseRate (text: string): number | null {
  const t = text.trim().replace(/\/s$/i, '')
  if (/^0+(\.0*)?\s*([KMGT]i?B?|B)?$/i.test(t)) return 0
  return parseSize(t)
}
