// parseGitProgress on the progress git really writes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { parseGitProgress } from '../../src/core/progress.js'
import { sandbox, type Sandbox } from './git-sandbox.js'

/** git's stderr split the way a reader sees it: updates end in \r, finished lines in \n. */
const lines = (stderr: string): string[] => stderr.split(/[\r\n]+/).filter(l => l.trim() !== '')

function check (all: string[], mustSee: string[]): void {
  const steps = new Map<string, Array<{ done: number, total: number }>>()
  for (const line of all) {
    const p = parseGitProgress(line)
    if (/\d+% \(\d+\/\d+\)/.test(line)) {
      assert.ok(p !== null, `a percentage line did not parse: ${JSON.stringify(line)}`)
    } else {
      assert.equal(p, null, `parsed a line without a percentage: ${JSON.stringify(line)}`)
      continue
    }
    assert.ok(p.done <= p.total, line)
    assert.doesNotMatch(p.step, /^remote|:|^\s|\s$/, `step ${JSON.stringify(p.step)}`)
    steps.set(p.step, [...(steps.get(p.step) ?? []), { done: p.done, total: p.total }])
  }
  for (const step of mustSee) {
    const seen = steps.get(step)
    assert.ok(seen !== undefined, `no "${step}" progress in ${JSON.stringify(all)}`)
    assert.equal(seen.at(-1)!.done, seen.at(-1)!.total, `${step} ends complete`)
  }
}

async function origin (sb: Sandbox): Promise<string> {
  const repo = await sb.init('origin')
  for (let i = 0; i < 5; i++) await sb.commit(repo, `f${i}.txt`, `content ${i}\n`.repeat(50 + i))
  return repo
}

test('parseGitProgress: git bundle create --progress', async (t) => {
  const sb = await sandbox(t)
  const repo = await origin(sb)
  const { stderr } = await sb.git(repo, ['bundle', 'create', '--progress', path.join(sb.dir, 'x.bundle'), '--all'])
  check(lines(stderr), ['Counting objects', 'Compressing objects'])
})

test('parseGitProgress: git clone --progress over file:// ("remote: " lines)', async (t) => {
  const sb = await sandbox(t)
  const repo = await origin(sb)
  const { stderr } = await sb.git(sb.dir, ['clone', '--progress', '--no-local', `file://${repo}`, path.join(sb.dir, 'clone')])
  const all = lines(stderr)
  assert.ok(all.some(l => l.startsWith('remote: ') && /%/.test(l)), 'remote progress present')
  check(all, ['Counting objects', 'Receiving objects'])
})

test('parseGitProgress: git fetch from a bundle with index-pack progress', async (t) => {
  const sb = await sandbox(t)
  const repo = await origin(sb)
  const bundle = path.join(sb.dir, 'x.bundle')
  await sb.git(repo, ['bundle', 'create', '-q', bundle, '--all'])
  const target = await sb.init('target')
  const { stderr } = await sb.git(target, ['fetch', '--progress', bundle, 'refs/heads/*:refs/mirror/torrent/refs/heads/*'])
  check(lines(stderr), ['Receiving objects'])
})
