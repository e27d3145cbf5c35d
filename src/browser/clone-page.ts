import { isMirrorError } from '../core/errors.js'
import { browserClone, type BrowserCloneResult } from './browser-clone.js'

/**
 * The largest bundle the page takes. It holds the bundle in memory several
 * times over and isomorphic-git indexes in JavaScript: a 32.6 MB bundle of
 * 31k objects peaked at 680 MB of the renderer and took 18.5 s to index
 * (bench/RESULTS.md section 8; docs/browser.md).
 */
const MAX_SIZE = 128 << 20
const STALL_MS = 60_000

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T

/**
 * The clone page's wiring: the form (prefilled from ?remote=, ?key=,
 * ?peers=0, ?webseeds=0), progress in #status and #progress, the result
 * in #result. #status carries data-state (idle, running, done, failed)
 * and, on failure, data-code (the error's code, as mirror-clone's).
 * Everything shown is set as text, never as markup.
 */
function main (): void {
  const q = new URLSearchParams(location.search)
  $<HTMLInputElement>('remote').value = q.get('remote') ?? ''
  $<HTMLInputElement>('key').value = q.get('key') ?? ''
  $<HTMLInputElement>('peers').checked = q.get('peers') !== '0'
  $<HTMLInputElement>('webseeds').checked = q.get('webseeds') !== '0'
  void listRemotes()
  if (!window.isSecureContext) {
    status('failed', 'This page needs a secure context (https://, or http:// on 127.0.0.1 or localhost): WebCrypto checks the pieces and signatures.', 'USAGE')
    $<HTMLButtonElement>('clone').disabled = true
    return
  }
  $<HTMLFormElement>('form').addEventListener('submit', e => { e.preventDefault(); void run() })
}

async function run (): Promise<void> {
  const button = $<HTMLButtonElement>('clone')
  const progress = $<HTMLProgressElement>('progress')
  button.disabled = true
  $('result').hidden = true
  progress.hidden = false
  progress.removeAttribute('value')
  const remote = $<HTMLInputElement>('remote').value.trim()
  const key = $<HTMLInputElement>('key').value.trim()
  try {
    const r = await browserClone({
      server: location.origin,
      remote,
      trustedKeys: key === '' ? [] : [key],
      peers: $<HTMLInputElement>('peers').checked,
      webSeeds: $<HTMLInputElement>('webseeds').checked,
      maxSize: MAX_SIZE,
      stallMs: STALL_MS,
      signal: new AbortController().signal,
      onProgress: p => {
        if (p.phase === 'download' && p.total !== undefined && p.total > 0) {
          progress.value = p.loaded! / p.total
          status('running', `downloading: ${mib(p.loaded!)} of ${mib(p.total)}`)
        } else {
          progress.removeAttribute('value')
          status('running', { records: 'reading the records', verify: 'verifying the bundle', index: 'indexing the pack' }[p.phase as 'records'] ?? p.phase)
        }
      }
    })
    show(r)
    status('done', `cloned ${r.name} (${r.url}): ${r.refs.length} refs, ${r.objects} objects, in ${(r.times.total / 1000).toFixed(2)} s`)
  } catch (err) {
    console.error(err)
    status('failed', isMirrorError(err) ? err.message : `${(err as Error).name}: ${(err as Error).message}`, isMirrorError(err) ? err.code : 'INTERNAL')
  } finally {
    button.disabled = false
    progress.hidden = true
  }
}

function show (r: BrowserCloneResult): void {
  $('title').textContent = `${r.name} — ${r.url}`
  const summary = $('summary')
  summary.replaceChildren()
  const row = (k: string, v: string): void => { summary.append(el('dt', k), el('dd', v)) }
  row('Bundle', `${mib(r.size)}, torrent ${r.infoHash}`)
  row('From WebRTC peers', `${mib(r.fromPeers)} (${r.peers} peer${r.peers === 1 ? '' : 's'})`)
  row('From web seeds', mib(r.fromWebSeeds))
  row('Signed', r.signed === null ? 'not checked (no trusted key given)' : `push object ${r.signed.sequence} (${r.signed.id.slice(0, 12)}), by the trusted key`)
  if (r.laterBundles > 0) row('Not applied', `${r.laterBundles} later bundle(s) of the bundle list: the page clones the base`)
  row('Time', `${(r.times.total / 1000).toFixed(2)} s (download ${(r.times.download / 1000).toFixed(2)} s, index ${(r.times.index / 1000).toFixed(2)} s)`)
  if (r.heapBytes !== null) row('JS heap', mib(r.heapBytes))
  $('refs').querySelector('tbody')!.replaceChildren(...r.refs.map(ref => {
    const tr = el('tr', '')
    tr.append(el('td', ref.name), el('td', ref.oid, 'oid'))
    tr.dataset.ref = ref.name
    return tr
  }))
  $('log-title').textContent = `Log of ${r.head ?? 'HEAD'}`
  $('log').replaceChildren(...r.view.log.map(e => el('li', `${e.oid.slice(0, 10)}  ${new Date(e.time * 1000).toISOString().slice(0, 10)}  ${e.author}: ${e.subject}`)))
  $('files-title').textContent = `Files (${r.view.files.length + r.view.moreFiles})`
  $('tree').replaceChildren(tree(r.view.files), ...(r.view.moreFiles > 0 ? [el('p', `and ${r.view.moreFiles} more`)] : []))
  $('result').hidden = false
}

/** Paths as nested lists: a folder is a <details>, open at the top level. */
function tree (paths: string[]): HTMLElement {
  interface Dir { dirs: Map<string, Dir>, files: string[] }
  const root: Dir = { dirs: new Map(), files: [] }
  for (const p of paths) {
    const parts = p.split('/')
    let d = root
    for (const part of parts.slice(0, -1)) {
      if (!d.dirs.has(part)) d.dirs.set(part, { dirs: new Map(), files: [] })
      d = d.dirs.get(part)!
    }
    d.files.push(parts.at(-1)!)
  }
  const render = (d: Dir, depth: number): HTMLElement => {
    const ul = el('ul', '')
    for (const [name, sub] of [...d.dirs].sort()) {
      const details = document.createElement('details')
      details.open = depth === 0
      details.append(el('summary', `${name}/`), render(sub, depth + 1))
      const li = el('li', '')
      li.append(details)
      ul.append(li)
    }
    for (const f of d.files.sort()) ul.append(el('li', f))
    return ul
  }
  return render(root, 0)
}

async function listRemotes (): Promise<void> {
  try {
    const s = await (await fetch('/status.json', { cache: 'no-store' })).json() as { remotes?: Array<{ name: string, url: string }> }
    $('remotes').replaceChildren(...(s.remotes ?? []).flatMap(r => [r.name, r.url]).map(v => { const o = document.createElement('option'); o.value = v; return o }))
  } catch {}
}

function status (state: 'running' | 'done' | 'failed', text: string, code?: string): void {
  const s = $('status')
  s.dataset.state = state
  if (code === undefined) delete s.dataset.code
  else s.dataset.code = code
  s.textContent = text
}

function el (tag: string, text: string, cls?: string): HTMLElement {
  const e = document.createElement(tag)
  e.textContent = text
  if (cls !== undefined) e.className = cls
  return e
}

function mib (n: number): string {
  return n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`
}

main()
