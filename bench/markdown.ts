// The Markdown pieces every section of bench/RESULTS.md is made of: tables,
// and the targets table whose rows the Summary collects.
import { fmtRatio, type Target } from './measure.js'

export const table = (head: string[], rows: string[][]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map(r => `| ${r.join(' | ')} |`)].join('\n')

const verdict = (t: Target): string => t.pass === null ? 'n/a' : t.pass ? '**PASS**' : '**FAIL**'
const fmtValue = (t: Target): string => t.value === null ? '—' : t.unit === 'ratio' ? fmtRatio(t.value) : `${t.value.toFixed(t.unit === '%' ? 2 : 1)} ${t.unit}`

export function targetsTable (targets: Target[]): string {
  return table(['target', 'measured (medians)', 'limit', 'result'], targets.map(t => [t.name, fmtValue(t), `${t.op} ${t.limit}${t.unit === 'ratio' ? '' : ` ${t.unit}`}`, verdict(t)]))
}
