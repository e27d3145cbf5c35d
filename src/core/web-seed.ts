import { MirrorError } from './errors.js'

/**
 * A BEP 19 web seed for the published (single-file) torrent. The URL is
 * recorded publicly and handed to other people's clients, so it must be a
 * plain http(s) URL without credentials. A URL ending in '/' names a folder:
 * the bundle's file name is appended, as BEP 19 does for single-file torrents.
 */
export function normalizeWebSeed (input: string, fileName: string): string {
  if (/[\s\x00-\x1f\x7f]/.test(input)) throw bad(input, 'contains white space or control characters')
  let url: URL
  try { url = new URL(input) } catch { throw bad(input, 'is not a URL') }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(input, 'is not http(s)')
  if (url.username !== '' || url.password !== '') throw bad(input, 'contains credentials, which would be published')
  if (url.hash !== '') throw bad(input, 'has a #fragment')
  if (url.pathname.endsWith('/')) url.pathname += encodeURIComponent(fileName)
  return url.href
}

function bad (input: string, why: string): MirrorError {
  return new MirrorError('BAD_WEB_SEED', `web seed ${JSON.stringify(input)} ${why}`, { url: input })
}

/**
 * The web seed to record for a torrent: for a single-file one as
 * normalizeWebSeed says; for a signed publish's folder torrent, a folder URL
 * (ending in '/') under which BEP 19 clients fetch `<folder>/<file>` for
 * each file, so a URL naming one file cannot serve it.
 */
export function webSeedFor (input: string, fileName: string, folder: string | null): string {
  if (folder === null) return normalizeWebSeed(input, fileName)
  const url = normalizeWebSeed(input, fileName)
  if (!input.endsWith('/')) {
    throw bad(input, `names one file, but a signed publish's torrent is a folder (${folder}/ holding the bundle and its push object): give the URL of the directory that holds ${folder}/, ending in /`)
  }
  return url.slice(0, url.length - encodeURIComponent(fileName).length)
}
