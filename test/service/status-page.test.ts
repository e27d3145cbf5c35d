import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { RemoteStatus } from '../../src/service/daemon.js'
import { ago, escapeHtml, renderStatusPage } from '../../src/service/status-page.js'
import { redactUrl, statusView } from '../../src/service/status-view.js'

const IH1 = '1'.repeat(40)
const IH2 = '2'.repeat(40)
const IH3 = '3'.repeat(40)
const NOW = new Date('2024-01-01T00:10:00Z')

function remote (o: Partial<RemoteStatus> & { name: string }): RemoteStatus {
  return { url: 'https://git.example.org/p.git', lastCheck: null, lastChange: null, lastError: null, bundles: [], checking: false, ...o }
}

const torrent = (infoHash: string, uploaded: number): { name: string, infoHash: string, peers: number, uploadRate: number, uploaded: number, peersServed: number } =>
  ({ name: `p-${infoHash.slice(0, 4)}.bundle`, infoHash, peers: 2, uploadRate: 100, uploaded, peersServed: 3 })

test('escapeHtml: the five characters that matter in text and quoted attributes', () => {
  const cases: Array<[string, string]> = [
    ['plain', 'plain'],
    ['<script>', '&lt;script&gt;'],
    ['a & b', 'a &amp; b'],
    ['"double" \'single\'', '&quot;double&quot; &#39;single&#39;'],
    ['&amp;', '&amp;amp;']
  ]
  for (const [text, want] of cases) assert.equal(escapeHtml(text), want)
})

test('redactUrl: user names and passwords become ***, anything else stays', () => {
  const cases: Array<[string, string]> = [
    ['https://git.example.org/p.git', 'https://git.example.org/p.git'],
    ['https://user:s3cret@git.example.org/p.git', 'https://***@git.example.org/p.git'],
    ['https://ghp_token@github.com/o/p.git', 'https://***@github.com/o/p.git'],
    ['ssh://git@host:2222/p.git', 'ssh://***@host:2222/p.git'],
    ['git@github.com:o/p.git', 'git@github.com:o/p.git'],
    ['/srv/git/p.git', '/srv/git/p.git']
  ]
  for (const [url, want] of cases) assert.equal(redactUrl(url), want, url)
})

test('ago: table', () => {
  const cases: Array<[number, string]> = [[0, 'just now'], [400, 'just now'], [1000, '1 s ago'], [59_000, '59 s ago'], [60_000, '1 min ago'], [3_599_000, '59 min ago'], [3_600_000, '1 h ago'], [86_400_000, '1 d ago'], [NaN, 'unknown']]
  for (const [ms, want] of cases) assert.equal(ago(ms), want, String(ms))
})

test('statusView: each seeded torrent once with the remotes listing it, then what is listed and not seeded; totals of what is seeded', () => {
  const v = statusView({
    paused: true,
    remotes: [
      remote({ name: 'origin', url: 'https://me:pw@git.example.org/p.git', bundles: [IH1, IH2] }),
      remote({ name: 'fork', bundles: [IH1, IH3] })
    ]
  }, [torrent(IH1, 1000), torrent(IH2, 24)], NOW)
  assert.equal(v.at, NOW.toISOString())
  assert.equal(v.paused, true)
  assert.equal(v.remotes[0]!.url, 'https://***@git.example.org/p.git', 'no credential on the page')
  assert.deepEqual(v.bundles.map(b => [b.infoHash, b.remotes, b.seeding, b.uploaded]), [
    [IH1, ['origin', 'fork'], true, 1000],
    [IH2, ['origin'], true, 24],
    [IH3, ['fork'], false, 0]
  ])
  assert.deepEqual(v.totals, { bundles: 2, peers: 4, uploadRate: 200, uploaded: 1024 })
})

test('renderStatusPage: what comes from outside is escaped everywhere, and the page has no script', () => {
  const evil = '<script>alert(1)</script>"\'><img src=x onerror=alert(2)>'
  const v = statusView({
    paused: false,
    remotes: [remote({
      name: evil,
      url: `https://git.example.org/${evil}`,
      lastCheck: '2024-01-01T00:09:18Z',
      lastChange: evil,
      lastError: { at: '2024-01-01T00:05:00Z', message: evil },
      bundles: [IH1]
    })]
  }, [{ ...torrent(IH1, 5 << 20), name: evil }], NOW)
  const html = renderStatusPage(v)
  assert.doesNotMatch(html, /<script|<img|onerror=alert\(2\)>/i)
  assert.ok(html.includes(escapeHtml(evil)))
  assert.match(html, /<td class="num uploaded" data-bytes="5242880">5\.00 MiB<\/td>/)
  assert.match(html, /42 s ago/)
  assert.match(html, /5 min ago/)
  assert.match(html, /<span class="running">Running<\/span>/)
  assert.match(html, /<meta http-equiv="refresh" content="30">/)
  assert.doesNotMatch(html, /https?:\/\/(?!git\.example\.org)/, 'no external asset')
})

test('renderStatusPage: nothing watched, nothing seeded, paused', () => {
  const html = renderStatusPage(statusView({ paused: true, remotes: [] }, [], NOW))
  assert.match(html, /<span class="paused">Paused<\/span>/)
  assert.match(html, /No remote is watched/)
  assert.match(html, /Nothing seeded yet/)
  assert.match(html, /0 remotes · 0 bundles seeded/)
})
