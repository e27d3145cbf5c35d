// fetchRecords against a real repository (file:// URL: git's own transport,
// with a real upload-pack and pack): what a record may cost on the wire.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { fetchRecordsVia } from '../../src/io/git/fetch-records.js'
import { Git } from '../../src/io/git/run-git.js'
import { isMirrorError } from '../../src/core/errors.js'
import { RECORD_REFS } from '../../src/core/refs.js'
import { sandbox, type Sandbox } from './git-sandbox.js'

const MAGNET = `magnet:?xt=urn:btih:${'a'.repeat(40)}\n`

/** An origin with a magnet record and, under refs/mirrors/bundle/torrent, whatever `torrent` makes. */
async function origin (sb: Sandbox, torrent: (repo: string) => Promise<string>): Promise<{ url: string, git: Git }> {
  const repo = await sb.init('origin')
  await sb.commit(repo, 'a.txt', 'one\n')
  const magnet = (await sb.git(repo, ['hash-object', '-w', '--stdin'], MAGNET)).stdout.trim()
  await sb.git(repo, ['update-ref', RECORD_REFS.magnet, magnet])
  await sb.git(repo, ['update-ref', RECORD_REFS.torrent, await torrent(repo)])
  return { url: pathToFileURL(repo).href, git: new Git(sb.dir, sb.env) }
}

async function scratch (sb: Sandbox, name: string): Promise<string> {
  const dir = path.join(sb.dir, name)
  await mkdir(dir)
  return dir
}

test('fetchRecords: a record blob over the budget stops the transfer once it passes it, and the bytes sent are counted', async (t) => {
  const sb = await sandbox(t)
  const blob = randomBytes(4 << 20)   // incompressible: the pack is at least as large
  const { url, git } = await origin(sb, async repo => (await sb.git(repo, ['hash-object', '-w', '--stdin'], blob)).stdout.trim())
  const tally = { packBytes: 0 }
  await assert.rejects(fetchRecordsVia(git, await scratch(sb, 's1'), url, { maxPackBytes: 1 << 20, tally }), (err: unknown) => {
    assert.ok(isMirrorError(err, 'BAD_RECORD'), String(err))
    assert.match(err.message, /^the records under refs\/mirrors\/ on file:\S+ take more than 1\.00 MiB to fetch; not reading them/)
    return true
  })
  assert.ok(tally.packBytes > 1 << 20, `counted ${tally.packBytes}`)
  assert.ok(tally.packBytes < blob.length, `stopped at ${tally.packBytes}, before the whole ${blob.length}-byte blob`)

  // within the budget, the same origin's records are read, and the oversized blob is refused by its size before a byte of it is read
  const tally2 = { packBytes: 0 }
  await assert.rejects(fetchRecordsVia(git, await scratch(sb, 's2'), url, { maxPackBytes: 8 << 20, maxBlobBytes: 1 << 20, tally: tally2 }),
    /refs\/mirrors\/bundle\/torrent on file:\S+ is 4194304 bytes, over the 1048576-byte limit for a record/)
  assert.ok(tally2.packBytes > blob.length)
})

test('fetchRecords: a record that is a commit (with its history) or a tree is refused by its type', async (t) => {
  for (const kind of ['commit', 'tree'] as const) {
    await t.test(kind, async () => {
      const sb = await sandbox(t)
      const { url, git } = await origin(sb, async repo => (await sb.git(repo, ['rev-parse', kind === 'commit' ? 'HEAD' : 'HEAD^{tree}'])).stdout.trim())
      await assert.rejects(fetchRecordsVia(git, await scratch(sb, 's'), url), new RegExp(`refs/mirrors/bundle/torrent on file:\\S+ points at a ${kind}, not a blob`))
    })
  }
})

test('fetchRecords: short blobs are read, and what they cost is counted', async (t) => {
  const sb = await sandbox(t)
  const { url, git } = await origin(sb, async repo => (await sb.git(repo, ['hash-object', '-w', '--stdin'], 'd4:infod4:name1:xee')).stdout.trim())
  const tally = { packBytes: 0 }
  const got = await fetchRecordsVia(git, await scratch(sb, 's'), url, { tally })
  assert.equal(got.records.magnet?.toString(), MAGNET)
  assert.equal(got.records.torrent?.toString(), 'd4:infod4:name1:xee')
  assert.ok(got.packBytes > 0 && got.packBytes < 1024)
  assert.equal(tally.packBytes, got.packBytes)
})
