/**
 * The project name shown in torrent file names: the last path component of
 * the remote URL (or of the repository's directory), without `.git`, reduced
 * to characters that are safe in a file name on every system.
 */
export function projectName (urlOrPath: string): string {
  const trimmed = urlOrPath.replace(/[/\\]+$/, '')
  const last = trimmed.split(/[/\\:]/).pop() ?? ''
  const base = last.replace(/\.git$/, '') || last
  return sanitizeName(base)
}

export function sanitizeName (name: string): string {
  // starts with a letter or digit (what torrent-policy and meta.json accept), ends without '-'
  const clean = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64).replace(/[-.]+$/, '')
  return clean === '' ? 'repository' : clean
}

/** `<project>-<first 12 hex of end>.bundle`: distinct per published state. */
export function bundleFileName (project: string, end: string): string {
  return `${bundleBaseName(project, end)}.bundle`
}

/** `<project>-<first 12 hex of end>`: also the folder of a signed publish's torrent. */
export function bundleBaseName (project: string, end: string): string {
  return `${sanitizeName(project)}-${end.slice(0, 12)}`
}

/** The push object beside the bundle in a signed torrent's folder: `<folder>.push`. */
export function pushFileName (folder: string): string {
  return `${folder}.push`
}

/**
 * Whether `file` is one of `project`'s bundles as mirror-publish names them:
 * `<project>-<12 hex>.bundle`, or an increment's
 * `<project>-<12 hex>-from-<12 hex>.bundle` (not another project whose name
 * only starts the same: `foo` does not own `foo-bar-…`).
 */
export function isProjectBundle (project: string, file: string): boolean {
  const name = sanitizeName(project)
  return file.startsWith(`${name}-`) && /^[0-9a-f]{12}(-from-[0-9a-f]{12})?\.bundle$/.test(file.slice(name.length + 1))
}

/** The project a bundle file name of mirror-publish's names (isProjectBundle), or null for another name. */
export function projectOfBundle (file: string): string | null {
  const m = /^(.+?)-[0-9a-f]{12}(-from-[0-9a-f]{12})?\.bundle$/.exec(file)
  return m === null ? null : m[1]!
}
