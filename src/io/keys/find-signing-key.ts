import type { Git } from '../git/run-git.js'
import { loadSigningKey, type SigningKey } from './signing-key.js'

/**
 * The key mirror-publish signs with: `explicit` (--sign-key) if given, else
 * git config `mirror.signingKey` (a path; `~/` expands), else none.
 */
export async function findSigningKey (git: Git, explicit?: string): Promise<SigningKey | null> {
  if (explicit !== undefined) return await loadSigningKey(explicit)
  const r = await git.run(['config', '--path', '--get', 'mirror.signingKey'], { okCodes: [1] })
  const file = r.stdout.trim()
  return r.code === 0 && file !== '' ? await loadSigningKey(file) : null
}
