import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { open, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parseGitProgress, type OnProgress } from '../core/progress.js'
import { formatRefList, type RefState } from '../core/ref-list.js'
import { readBundleHeader } from '../io/fs/read-bundle-header.js'
import type { Repository } from '../io/git/repository.js'

export interface CreatedBundle { path: string, size: number, sha256: string, mtimeMs: number }

/**
 * `git bundle create` of exactly `state`, streamed to `dir/fileName` while
 * its SHA-256 is computed. The refs are laid out in a scratch repository that
 * borrows the objects through alternates, so the bundle names them as the
 * remote does (refs/heads/*, refs/tags/*) whatever this repository calls them.
 */
export async function createBundle (repo: Repository, state: RefState, dir: string, fileName: string, onProgress?: OnProgress): Promise<CreatedBundle> {
  const scratchDir = path.join(dir, 'scratch.git')
  const scratch = repo.git.at(dir)
  try {
    await scratch.run(['init', '--bare', '--quiet', scratchDir])
    const git = repo.git.at(scratchDir)
    await writeFile(path.join(scratchDir, 'objects', 'info', 'alternates'), `${path.join(repo.gitDir, 'objects')}\n`)
    const refs = state.refs.filter(r => r.name !== 'HEAD')
    await git.run(['update-ref', '--stdin'], { input: refs.map(r => `create ${r.name} ${r.oid}\n`).join('') })
    const headOid = state.refs.find(r => r.name === 'HEAD')?.oid
    if (headOid !== undefined) {
      if (state.head !== null && refs.some(r => r.name === state.head && r.oid === headOid)) {
        await git.run(['symbolic-ref', 'HEAD', state.head])
      } else {
        await git.run(['update-ref', '--no-deref', 'HEAD', headOid])
      }
    }

    const file = path.join(dir, fileName)
    const sha = createHash('sha256')
    let size = 0
    const tap = new Transform({
      transform (chunk: Buffer, _enc, cb) {
        sha.update(chunk)
        size += chunk.length
        onProgress?.({ phase: 'bundle', loaded: size })
        cb(null, chunk)
      }
    })
    const bundle = git.stream(
      ['bundle', 'create', '--progress', '-', '--branches', '--tags', ...(headOid === undefined ? [] : ['HEAD'])],
      { onStderr: text => reportGitProgress(text, size, onProgress) })
    await Promise.all([pipeline(bundle.child.stdout!, tap, createWriteStream(file, { flags: 'wx' })), bundle.done])
    const fh = await open(file, 'r+')
    try { await fh.sync() } finally { await fh.close() }

    const header = await readBundleHeader(file)
    if (formatRefList(header.refs) !== formatRefList(state.refs) || header.prerequisites.length > 0) {
      throw new Error(`git wrote a bundle whose refs differ from the requested ones:\n${formatRefList(header.refs)}`)
    }
    const st = await stat(file)
    return { path: file, size, sha256: sha.digest('hex'), mtimeMs: st.mtimeMs }
  } finally {
    await rm(scratchDir, { recursive: true, force: true })
  }
}

function reportGitProgress (text: string, bytes: number, onProgress?: OnProgress): void {
  if (onProgress === undefined) return
  for (const line of text.split(/[\r\n]+/)) {
    const p = parseGitProgress(line)
    if (p !== null) onProgress({ phase: 'bundle', loaded: bytes, detail: `${p.step} ${p.done}/${p.total}` })
  }
}
