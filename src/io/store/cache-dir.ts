import os from 'node:os'
import path from 'node:path'

/** Where mirror-clone keeps partial downloads, and mirror-seed its store outside a repository: $XDG_CACHE_HOME/git-torrent-mirror. */
export function defaultCacheDir (): string {
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'git-torrent-mirror')
}
