import { MirrorError } from '../../core/errors.js'
import type { MirrorConfig } from '../../core/network-options.js'
import { Git } from './run-git.js'

export interface Repository {
  git: Git
  /** Absolute path of the git directory. */
  gitDir: string
  bare: boolean
  shallow: boolean
}

/** The repository containing `cwd`, or NOT_A_REPOSITORY. */
export async function openRepository (cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Repository> {
  const git = new Git(cwd, env)
  const r = await git.run(['rev-parse', '--absolute-git-dir', '--is-bare-repository', '--is-shallow-repository'], { okCodes: [128] })
  if (r.code !== 0) {
    throw new MirrorError('NOT_A_REPOSITORY', `${cwd} is not in a git repository`, { cwd })
  }
  const [gitDir, bare, shallow] = r.stdout.trim().split('\n')
  return { git, gitDir: gitDir!, bare: bare === 'true', shallow: shallow === 'true' }
}

/**
 * A remote by name, or a URL used as is (as `git push <url>` accepts).
 * NO_SUCH_REMOTE when a plain name is not configured.
 */
export async function resolveRemote (git: Git, remote: string): Promise<{ name: string, url: string }> {
  if (looksLikeUrl(remote)) return { name: remote, url: remote }
  const r = await git.run(['remote', 'get-url', '--', remote], { okCodes: [2, 128] })
  if (r.code !== 0) throw new MirrorError('NO_SUCH_REMOTE', `no such remote '${remote}' (see git remote -v)`, { remote })
  return { name: remote, url: r.stdout.trim() }
}

function looksLikeUrl (s: string): boolean {
  return s.includes('/') || s.includes(':') || s.startsWith('.')
}

/** `mirror.*` from git config (repository, user, system), as strings. */
export async function readMirrorConfig (git: Git): Promise<MirrorConfig> {
  const r = await git.run(['config', '--null', '--get-regexp', '^mirror\\.'], { okCodes: [1] })
  const all = new Map<string, string[]>()
  for (const item of r.stdout.split('\0')) {
    if (item === '') continue
    const nl = item.indexOf('\n')
    const key = (nl === -1 ? item : item.slice(0, nl)).toLowerCase()
    const value = nl === -1 ? 'true' : item.slice(nl + 1)   // a bare key means true
    all.set(key, [...(all.get(key) ?? []), value])
  }
  const last = (k: string): string | undefined => all.get(k)?.at(-1)
  const config: MirrorConfig = {}
  if (all.has('mirror.tracker')) config.tracker = all.get('mirror.tracker')!.filter(v => v !== '')
  if (all.has('mirror.dhtbootstrap')) config.dhtBootstrap = all.get('mirror.dhtbootstrap')!
  const dht = last('mirror.dht'); if (dht !== undefined) config.dht = dht
  const lsd = last('mirror.lsd'); if (lsd !== undefined) config.lsd = lsd
  const upnp = last('mirror.upnp'); if (upnp !== undefined) config.upnp = upnp
  const sources = last('mirror.sources'); if (sources !== undefined) config.sources = sources
  const allow = last('mirror.allowprotocols'); if (allow !== undefined) config.allowProtocols = allow
  const minRate = last('mirror.minrate'); if (minRate !== undefined) config.minRate = minRate
  const visibility = last('mirror.visibility'); if (visibility !== undefined) config.visibility = visibility
  if (all.has('mirror.fetchmirror')) config.fetchMirror = all.get('mirror.fetchmirror')!.filter(v => v !== '')
  return config
}
