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
