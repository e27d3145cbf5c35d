import { MirrorError } from '../../core/errors.js'
import { isRemoteName } from '../../core/daemon-protocol.js'
import type { Git } from './run-git.js'

/** What mirror-daemon does when a watched remote publishes anew. */
export type DaemonAction = 'none' | 'fetch'

export interface DaemonConfig {
  /** The remotes to watch, with their fetch URLs. */
  remotes: Array<{ name: string, url: string }>
  /** mirror.daemon.interval: seconds between two looks at one remote. */
  intervalSeconds: number | null
  /** mirror.daemon.action. */
  action: DaemonAction | null
}

/**
 * mirror-daemon's git config, read anew on every RELOAD:
 * - `mirror.daemon.remote` (multi-valued): the remotes to watch; unset,
 *   every remote of the repository (those that publish no records are
 *   told once and looked at again on schedule);
 * - `mirror.daemon.interval`: seconds between two looks at one remote;
 * - `mirror.daemon.action`: `none` (seed only, the default) or `fetch`
 *   (also mirror-fetch the remote into this repository when it changes).
 * A named remote that does not exist, or a value that does not parse, is
 * BAD_OPTION naming the key.
 */
export async function readDaemonConfig (git: Git): Promise<DaemonConfig> {
  const r = await git.run(['config', '--null', '--get-regexp', '^(mirror\\.daemon\\.|remote\\..*\\.url$)'], { okCodes: [1] })
  const urls = new Map<string, string>()
  const named: string[] = []
  let interval: string | undefined
  let action: string | undefined
  for (const item of r.stdout.split('\0')) {
    if (item === '') continue
    const nl = item.indexOf('\n')
    const key = nl === -1 ? item : item.slice(0, nl)
    const value = nl === -1 ? '' : item.slice(nl + 1)
    const lower = key.toLowerCase()
    if (lower === 'mirror.daemon.remote') named.push(value)
    else if (lower === 'mirror.daemon.interval') interval = value
    else if (lower === 'mirror.daemon.action') action = value
    else if (lower.startsWith('remote.') && lower.endsWith('.url')) urls.set(key.slice('remote.'.length, -'.url'.length), value)
  }
  const chosen = named.length > 0 ? [...new Set(named)] : [...urls.keys()].sort()
  const remotes = chosen.map(name => {
    const url = urls.get(name)
    if (!isRemoteName(name) || url === undefined) throw new MirrorError('BAD_OPTION', `git config mirror.daemon.remote=${JSON.stringify(name)}: no such remote (see git remote -v)`, { remote: name })
    return { name, url }
  })
  let intervalSeconds: number | null = null
  if (interval !== undefined) {
    intervalSeconds = Number(interval)
    if (!/^\d{1,7}(\.\d+)?$/.test(interval.trim()) || intervalSeconds <= 0) throw new MirrorError('BAD_OPTION', `git config mirror.daemon.interval=${JSON.stringify(interval)} is not a number of seconds`)
  }
  if (action !== undefined && action !== 'none' && action !== 'fetch') throw new MirrorError('BAD_OPTION', `git config mirror.daemon.action=${JSON.stringify(action)} is not none or fetch`)
  return { remotes, intervalSeconds, action: (action as DaemonAction | undefined) ?? null }
}
