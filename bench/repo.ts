// The repositories the benchmarks run on. The benchmark repository itself
// comes from bench/generate-repo.ts (a realistic history, cached in
// bench/.cache/); the ~1 GB repository of the RSS benchmark is made here with
// fixtures/make-repo.ts (incompressible binaries, few commits), cached beside it.
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { makeRepo, type RepoSpec } from '../fixtures/make-repo.js'
import { pinnedEnv } from '../test/helpers/env.js'
import { repoRoot } from '../test/helpers/processes.js'
import { installCached, repoStats, type BenchRepo, type BenchSize } from './generate-repo.js'

export { ensureBenchRepo, type BenchRepo, type BenchSize } from './generate-repo.js'

/** Names a made repository's cache entry; bump when `spec` changes. */
export interface MadeRepoSpec { name: string, version: number, spec: RepoSpec, size: BenchSize }

/**
 * A bare repository made by makeRepo from `spec`, cached in bench/.cache/
 * (made under a temporary name, renamed when complete; its stats beside it).
 */
export async function ensureMadeRepo (m: MadeRepoSpec, o: { log?: (line: string) => void } = {}): Promise<BenchRepo> {
  const cacheDir = path.join(repoRoot(), 'bench', '.cache')
  const dir = path.join(cacheDir, `${m.name}-v${m.version}.git`)
  const statsFile = path.join(dir, 'bench-repo.json')
  if (existsSync(statsFile)) {
    o.log?.(`using the cached ${dir}`)
    return { ...(JSON.parse(await readFile(statsFile, 'utf8')) as BenchRepo), dir }
  }
  await mkdir(cacheDir, { recursive: true })
  const tmp = `${dir}.tmp-${process.pid}`
  const env = pinnedEnv(cacheDir)
  o.log?.(`generating ${dir} (${JSON.stringify(m.spec)})`)
  const t0 = performance.now()
  try {
    await makeRepo(tmp, m.spec, { env, bare: true })
    return await installCached(tmp, { dir, size: m.size, ...await repoStats(tmp, env), generateSeconds: Math.round((performance.now() - t0) / 100) / 10, version: m.version })
  } catch (err) {
    await rm(tmp, { recursive: true, force: true })
    throw err
  }
}

