import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import type http from 'node:http'
import { pipeline } from 'node:stream/promises'
import { entryId, newestChain, nextList } from '../core/bundle-chain.js'
import { formatBundleList } from '../core/bundle-list.js'
import { parseRange } from '../core/byte-range.js'
import { isProjectBundle } from '../core/project-name.js'
import { hashFile } from '../io/fs/hash-file.js'
import type { Store } from '../io/store/store.js'
import { listenHttp, requestPath } from './listen-http.js'

const FILE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/
const PROJECT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
/** A Host header as a client sends it: a name or address, maybe a port. */
const HOST = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})(:[0-9]{1,5})?$/

/**
 * mirror-seed --http: the store over HTTP, read-only (mirror-daemon --http
 * serves the same paths through answerStore).
 * - `GET|HEAD /bundles/<file>`: a stored bundle, with single Range requests
 *   (206), as BitTorrent web seeds and git's bundle-uri download it;
 * - `GET|HEAD /bundles/<folder>/<file>`: a file of a signed publish's
 *   torrent (its bundle, push object, pack index), so that
 *   `http://HOST:PORT/bundles` is a web seed of a multi-file torrent
 *   (BEP 19: the URL, then the torrent's name and the file's);
 * - `GET /<project>/bundle-list`: the project's bundle list in git's format
 *   (core/bundle-list.ts) with `uri`s under this server, as the client named
 *   it (its Host header), so that stock `git clone --bundle-uri=<that URL>
 *   <origin>` takes the bundle from here and fetches the rest from the origin.
 * Nothing else: 404; other methods: 405. The list is the project's newest
 * chain in the store (core/bundle-chain.ts newestChain): its newest full
 * bundle and the increments that follow it; bundles that left the
 * published list (retired) are served but not listed.
 */
export async function serveStore (store: Store, o: { host: string, port: number }): Promise<{ url: string, close: () => Promise<void> }> {
  const { url, close } = await listenHttp(async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') res.writeHead(405, { Allow: 'GET, HEAD' }).end()
    else if (!await answerStore(store, req, res)) res.writeHead(404).end()
  }, { ...o, what: '--http' })
  return { url, close }
}

/**
 * The store's two paths, for any server that serves them (mirror-seed
 * --http, mirror-daemon --http): answers a GET or HEAD of `/bundles/<file>`
 * or `/<project>/bundle-list` (404 when the store has no such thing, 400
 * when the name does not decode) and resolves true; false, having written
 * nothing, for any other path.
 */
export async function answerStore (store: Store, req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
  const path = requestPath(req)
  const decoded = (s: string): string | null => { try { return decodeURIComponent(s) } catch { return null } }
  const bundle = /^\/bundles\/([^/]+)$/.exec(path)
  const inFolder = /^\/bundles\/([^/]+)\/([^/]+)$/.exec(path)
  const list = /^\/([^/]+)\/bundle-list$/.exec(path)
  if (bundle === null && list === null && inFolder === null) return false
  const [name, file] = ((bundle ?? inFolder ?? list)!.slice(1)).map(decoded)
  if (name === null || file === null) res.writeHead(400).end()
  else if (bundle !== null) await sendBundle(store, name!, req, res)
  else if (inFolder !== null) await sendFolderFile(store, name!, file!, req, res)
  else await sendList(store, name!, req, res)
  return true
}

async function sendBundle (store: Store, file: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const entry = FILE.test(file) ? (await store.list()).find(e => e.meta.file === file) : undefined
  if (entry === undefined) { res.writeHead(404).end(); return }
  await sendFile(entry.bundlePath, entry.meta.size, req, res)
}

/** A file of a signed publish's torrent folder: its bundle, push object, pack index or reverse index, nothing else. */
async function sendFolderFile (store: Store, folder: string, file: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const entry = FILE.test(folder) && FILE.test(file) ? (await store.list()).find(e => e.meta.folder === folder) : undefined
  const names = entry === undefined ? [] : [entry.meta.file, ...['push', 'idx', 'rev'].map(ext => `${folder}.${ext}`)]
  const st = names.includes(file) ? await stat(path.join(entry!.dir, folder, file)).catch(() => null) : null
  if (st === null || !st.isFile()) { res.writeHead(404).end(); return }
  await sendFile(path.join(entry!.dir, folder, file), st.size, req, res)
}

async function sendFile (file: string, size: number, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const range = parseRange(req.headers.range, size)
  if (range === 'unsatisfiable') { res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end(); return }
  const { start, end } = range ?? { start: 0, end: size - 1 }
  res.writeHead(range === null ? 200 : 206, {
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(end - start + 1),
    'Accept-Ranges': 'bytes',
    ...(range === null ? {} : { 'Content-Range': `bytes ${start}-${end}/${size}` })
  })
  if (req.method === 'HEAD') { res.end(); return }
  await pipeline(createReadStream(file, { start, end }), res)
}

async function sendList (store: Store, project: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const host = req.headers.host ?? ''
  if (!PROJECT.test(project) || !HOST.test(host)) { res.writeHead(404).end(); return }
  const mine = (await store.list()).filter(e => isProjectBundle(project, e.meta.file) && e.meta.retired === null)
  const chain = newestChain(mine.map(e => ({ ...e.meta, created: Date.parse(e.meta.created) }))).map(i => mine[i]!)
  if (chain.length === 0) { res.writeHead(404).end(); return }
  const entries = []
  for (let e of chain) {
    // a reseeder's unsigned download: its SHA-256 (a key of the list) is taken once, when first asked for, and kept
    if (e.meta.sha256 === null) e = await store.update(e, { ...e.meta, sha256: (await hashFile(e.bundlePath)).sha256 })
    const uri = `http://${host}/bundles/${encodeURIComponent(e.meta.file)}`
    entries.push({ id: entryId(e.meta), uri, creationToken: Math.max(1, Math.floor(Date.parse(e.meta.created) / 1000)), infoHash: e.meta.infoHash, size: e.meta.size, sha256: e.meta.sha256! })
  }
  const text = formatBundleList(nextList(entries, Math.floor(Date.now() / 1000)))
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) })
  res.end(req.method === 'HEAD' ? undefined : text)
}
