import { parseBundleList, parseConfigList, type BundleList } from '../../core/bundle-list.js'
import { MirrorError } from '../../core/errors.js'
import type { Git } from './run-git.js'

/** A list of a thousand bundles is about 300 KB: more is refused before git reads it. */
export const MAX_LIST_BYTES = 1024 * 1024

/**
 * A bundle list record (refs/mirrors/bundle/list, or one served over HTTP)
 * read by git's own config parser (`git config --file - --list -z`, includes
 * off), then checked (core/bundle-list.ts). BAD_RECORD naming `what` for a
 * list too large, one git cannot parse, or one that fails the checks.
 */
export async function readBundleList (git: Git, blob: Buffer, what: string): Promise<BundleList> {
  if (blob.length > MAX_LIST_BYTES) throw new MirrorError('BAD_RECORD', `${what}: ${blob.length} bytes, over the ${MAX_LIST_BYTES}-byte limit`, { what })
  const r = await git.run(['config', '--no-includes', '--file', '-', '--list', '-z'], { input: blob, okCodes: [1, 3, 128], timeoutMs: 10_000 })
  if (r.code !== 0) throw new MirrorError('BAD_RECORD', `${what}: git cannot read it as a bundle list (${r.stderr.trim().split('\n').at(-1) ?? `exit status ${r.code}`})`, { what })
  return parseBundleList(parseConfigList(r.stdout), what)
}
