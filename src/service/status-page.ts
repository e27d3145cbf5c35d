import { formatBytes, formatRate } from '../core/format.js'
import type { StatusView } from './status-view.js'

/** Seconds between two reloads the page asks the browser for (a meta refresh: no script). */
const REFRESH_SECONDS = 30

/**
 * The status page of mirror-daemon --http: one HTML document, rendered
 * here, readable without JavaScript and with no external asset (its
 * style is inline; the server's Content-Security-Policy forbids anything
 * else). Every text that comes from outside (remote names and URLs,
 * error messages, file names) goes through escapeHtml.
 */
export function renderStatusPage (v: StatusView): string {
  const now = Date.parse(v.at)
  const t = v.totals
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${REFRESH_SECONDS}">
<title>mirror-daemon</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>mirror-daemon</h1>
<p class="summary">${v.paused ? '<span class="paused">Paused</span> (no looks or downloads until RESUME; seeding goes on)' : '<span class="running">Running</span>'}
 · ${v.remotes.length} remote${v.remotes.length === 1 ? '' : 's'} · ${t.bundles} bundle${t.bundles === 1 ? '' : 's'} seeded
 · ${t.peers} peer${t.peers === 1 ? '' : 's'} · ${escapeHtml(formatRate(t.uploadRate))} · ${escapeHtml(formatBytes(t.uploaded))} uploaded</p>
<p class="at">As of <time datetime="${escapeHtml(v.at)}">${escapeHtml(v.at)}</time>; reloads every ${REFRESH_SECONDS} s.</p>
</header>
<main>
<section>
<h2>Remotes</h2>
${v.remotes.length === 0
    ? '<p>No remote is watched (git config mirror.daemon.remote, or the repository\'s remotes).</p>'
    : `<table id="remotes">
<thead><tr><th>Name</th><th>URL</th><th>Last check</th><th>Last change</th><th>Last error</th><th>Bundles</th></tr></thead>
<tbody>
${v.remotes.map(r => `<tr data-remote="${escapeHtml(r.name)}">
<td class="name">${escapeHtml(r.name)}</td>
<td class="url">${escapeHtml(r.url)}</td>
<td>${r.checking ? '<em>checking now</em>' : when(r.lastCheck, now)}</td>
<td>${when(r.lastChange, now)}</td>
<td>${r.lastError === null ? '<span class="none">none</span>' : `<span class="error">${escapeHtml(r.lastError.message)}</span><br><small>${when(r.lastError.at, now)}</small>`}</td>
<td class="num">${r.bundles.length}</td>
</tr>`).join('\n')}
</tbody>
</table>`}
</section>
<section>
<h2>Bundles</h2>
${v.bundles.length === 0
    ? '<p>Nothing seeded yet.</p>'
    : `<table id="bundles">
<thead><tr><th>Infohash</th><th>File</th><th>Remotes</th><th>State</th><th>Peers</th><th>Upload rate</th><th>Uploaded</th><th>Peers served</th></tr></thead>
<tbody>
${v.bundles.map(b => `<tr data-infohash="${escapeHtml(b.infoHash)}">
<td class="hash">${escapeHtml(b.infoHash)}</td>
<td class="file">${b.file === null ? '<span class="none">-</span>' : escapeHtml(b.file)}</td>
<td>${escapeHtml(b.remotes.join(', ')) || '<span class="none">-</span>'}</td>
<td>${b.seeding ? 'seeding' : '<span class="error">not seeded</span>'}</td>
<td class="num">${b.peers}</td>
<td class="num">${escapeHtml(formatRate(b.uploadRate))}</td>
<td class="num uploaded" data-bytes="${b.uploaded}">${escapeHtml(formatBytes(b.uploaded))}</td>
<td class="num">${b.peersServed}</td>
</tr>`).join('\n')}
</tbody>
</table>`}
</section>
</main>
<footer>
<p>Also here: <a href="/status.json">/status.json</a> (this page as JSON), <a href="/metrics">/metrics</a> (Prometheus),
<code>/bundles/&lt;file&gt;</code> (web seeds), <code>/&lt;project&gt;/bundle-list</code> (for <code>git clone --bundle-uri</code>),
<code>/announce</code> (a tracker for the infohashes above only).</p>
</footer>
</body>
</html>
`
}

/** Text for HTML content and attribute values (double- or single-quoted). */
export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, c => ESCAPES[c]!)
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** An ISO time as a <time> with how long ago it was; "never" for null. */
function when (iso: string | null, now: number): string {
  if (iso === null) return '<span class="none">never</span>'
  return `<time datetime="${escapeHtml(iso)}" title="${escapeHtml(iso)}">${escapeHtml(ago(now - Date.parse(iso)))}</time>`
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function ago (ms: number): string {
  const s = Math.round(ms / 1000)
  if (!Number.isFinite(s)) return 'unknown'
  if (s < 1) return 'just now'
  if (s < 60) return `${s} s ago`
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`
  return `${Math.floor(s / 86400)} d ago`
}

const STYLE = `
:root { color-scheme: light; --fg: #1d2328; --muted: #66707a; --line: #d8dde2; --head: #f3f5f7; --ok: #1a7f37; --bad: #b42318; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 78rem; padding: 1.5rem 2rem; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: #fff; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 1.75rem 0 .5rem; }
.summary { margin: 0; font-size: 1rem; }
.at, footer, small { color: var(--muted); }
.at { margin: .25rem 0 0; font-size: .85rem; }
.running { color: var(--ok); font-weight: 600; }
.paused { color: var(--bad); font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--head); font-weight: 600; white-space: nowrap; }
td.num, th:nth-last-child(-n+4) { text-align: right; white-space: nowrap; }
#remotes th:nth-last-child(-n+4) { text-align: left; }
#remotes th:last-child { text-align: right; }
td.hash, td.file, td.url, code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: .85rem; }
td.url, td.file { word-break: break-all; }
.error { color: var(--bad); }
.none { color: var(--muted); }
footer { margin-top: 2rem; font-size: .85rem; border-top: 1px solid var(--line); padding-top: .75rem; }
a { color: #0b5cad; }
`
