/**
 * Whether a `mirror "<scope>".trustedKey` applies to an origin: the same
 * URL (ignoring a trailing `/` or `.git`), or, for a scope ending in `/`,
 * any URL under it. An unscoped `mirror.trustedKey` (scope null) applies to
 * every origin.
 */
export function scopeMatches (scope: string | null, url: string): boolean {
  if (scope === null) return true
  if (scope.endsWith('/') && url.startsWith(scope)) return true
  return bare(scope) === bare(url)
}

function bare (u: string): string {
  return u.replace(/\/+$/, '').replace(/\.git$/, '')
}

/** `mirror.trustedkey` -> null, `mirror.<scope>.trustedkey` -> scope (git config --get-regexp keeps the scope's case). */
export function trustedKeyScope (configKey: string): string | null | undefined {
  const lower = configKey.toLowerCase()
  if (!lower.startsWith('mirror.') || !lower.endsWith('.trustedkey')) return undefined
  const scope = configKey.slice('mirror.'.length, configKey.length - '.trustedkey'.length)
  return scope === '' ? null : scope
}
