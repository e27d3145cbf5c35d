import createDebug from 'debug'
import { accessOfAnswer, accessOfUrl, type AnonymousAnswer, type OriginAccess } from '../../core/visibility.js'
import { VERSION } from '../../core/version.js'

const debug = createDebug('mirror:http')

/** How long the anonymous request may take before the origin counts as unknown. */
export const ORIGIN_ACCESS_TIMEOUT_MS = 15_000

/**
 * Whether anyone may read the origin at `url`, as far as can be told
 * without credentials (core/visibility.ts: the URL first). An http(s) URL
 * is asked the way git starts a fetch (GET <url>/info/refs?service=
 * git-upload-pack), but by node's own HTTP client, not git: git would
 * bring the user's credential helpers, ~/.netrc (libcurl reads it for any
 * host) and http.extraHeader along, and an origin would look public to
 * the user's credentials. No prompt, no helper, no cookie.
 */
export async function originAccess (url: string, o: { timeoutMs?: number, signal?: AbortSignal } = {}): Promise<OriginAccess> {
  const byUrl = accessOfUrl(url)
  if (byUrl.kind !== 'ask') return byUrl
  return accessOfAnswer(await askAnonymously(byUrl.url, o.timeoutMs ?? ORIGIN_ACCESS_TIMEOUT_MS, o.signal))
}

async function askAnonymously (url: string, timeoutMs: number, signal?: AbortSignal): Promise<AnonymousAnswer> {
  const discovery = `${url.replace(/\/+$/, '')}/info/refs?service=git-upload-pack`
  const signals = [AbortSignal.timeout(timeoutMs), ...(signal === undefined ? [] : [signal])]
  try {
    const res = await fetch(discovery, {
      headers: { 'User-Agent': `git/2 (git-torrent-mirror/${VERSION})`, 'Git-Protocol': 'version=2' },
      redirect: 'follow',
      credentials: 'omit',
      signal: AbortSignal.any(signals)
    })
    await res.body?.cancel().catch(() => {})   // the status and type tell; the advertisement itself is not needed
    debug('anonymous %s: %d %s', discovery, res.status, res.headers.get('content-type'))
    return { status: res.status, contentType: res.headers.get('content-type') }
  } catch (err) {
    const e = err as Error & { cause?: { code?: string, message?: string } }
    const why = e.name === 'TimeoutError' ? `no answer within ${Math.round(timeoutMs / 1000)} s` : (e.cause?.code ?? e.cause?.message ?? e.message)
    debug('anonymous %s failed: %s', discovery, why)
    return { error: why }
  }
}
