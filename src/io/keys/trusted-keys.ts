import { parsePublicKey, type PublicKey } from '../../core/public-key.js'
import { scopeMatches, trustedKeyScope } from '../../core/trust-scope.js'
import type { Git } from '../git/run-git.js'

/**
 * The keys trusted to sign for an origin: `--trust` values, and git config
 * `mirror.trustedKey` (every origin) and `mirror.<url>.trustedKey` (that
 * origin, or every origin under a URL ending in /), multi-valued, from
 * whatever config `git` reads in its directory, or with `userOnly` only
 * the user's and the system's (a clone or a reseed: the repository the
 * command happens to run in has no say over another origin). `urls` are the spellings of the origin to match
 * (as given, and as resolved). A value that is not a key is an error (BAD_KEY).
 */
export async function trustedKeysFor (git: Git, urls: string[], extra: string[], o: { userOnly?: boolean } = {}): Promise<PublicKey[]> {
  const keys = extra.map((k, i) => parsePublicKey(k, `--trust value ${i + 1}`))
  const scopes = o.userOnly === true ? [['--system'], ['--global']] : [[]]
  const items: string[] = []
  for (const scope of scopes) {
    const r = await git.run(['config', ...scope, '--null', '--get-regexp', '^mirror\\..*trustedkey$'], { okCodes: [1] })
    items.push(...r.stdout.split('\0'))
  }
  for (const item of items) {
    const nl = item.indexOf('\n')
    if (nl === -1) continue
    const name = item.slice(0, nl)
    const scope = trustedKeyScope(name)
    if (scope === undefined || (scope !== null && !urls.some(u => scopeMatches(scope, u)))) continue
    keys.push(parsePublicKey(item.slice(nl + 1), `git config ${name}`))
  }
  return keys.filter((k, i) => keys.findIndex(o => o.raw.equals(k.raw)) === i)
}
