// writeRecords in a real temporary repository.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Git } from '../../src/io/git/run-git.js'
import { writeRecords } from '../../src/io/git/records.js'
import { RECORD_REFS } from '../../src/core/refs.js'
import { sandbox, type Sandbox } from './git-sandbox.js'

const TORRENT = Buffer.concat([Buffer.from('d8:announce'), Buffer.from([0, 0xff, 0x80, 0x0a, 0x0d]), Buffer.from('e')])
const MAGNET = Buffer.from(`magnet:?xt=urn:btih:${'a'.repeat(40)}&dn=repo.bundle\n`)
const HTTP = Buffer.from('https://cdn.example/repo.bundle\n')

/** refs/mirrors/* as {ref: oid}. */
async function records (sb: Sandbox, repo: string): Promise<Record<string, string>> {
  const { stdout } = await sb.git(repo, ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/mirrors/'])
  return Object.fromEntries(stdout.split('\n').filter(l => l !== '').map(l => l.split(' ') as [string, string]))
}

async function setup (t: Parameters<typeof sandbox>[0]): Promise<{ sb: Sandbox, repo: string, git: Git }> {
  const sb = await sandbox(t)
  const repo = await sb.init('repo')
  await sb.commit(repo, 'a.txt', 'one\n')
  return { sb, repo, git: new Git(repo, sb.env) }
}

test('writeRecords: refs point at blobs with the exact bytes', async (t) => {
  const { sb, repo, git } = await setup(t)
  const oids = await writeRecords(git, { torrent: TORRENT, magnet: MAGNET, http: HTTP })
  assert.deepEqual(await records(sb, repo), {
    [RECORD_REFS.torrent]: oids.torrent,
    [RECORD_REFS.magnet]: oids.magnet,
    [RECORD_REFS.http]: oids.http
  })
  for (const [name, bytes] of [['torrent', TORRENT], ['magnet', MAGNET], ['http', HTTP]] as const) {
    const ref = RECORD_REFS[name]
    assert.equal((await sb.git(repo, ['cat-file', '-t', ref])).stdout, 'blob\n', ref)
    assert.deepEqual(await sb.gitBuffer(repo, ['cat-file', 'blob', ref]), bytes, ref)
    assert.match(oids[name]!, /^[0-9a-f]{40}$/)
  }
})

test('writeRecords: an absent record is deleted, the others replaced', async (t) => {
  const { sb, repo, git } = await setup(t)
  await writeRecords(git, { torrent: TORRENT, magnet: MAGNET, http: HTTP })
  const torrent2 = Buffer.from('d4:infod4:name1:yee')
  const oids = await writeRecords(git, { torrent: torrent2 })
  assert.deepEqual(oids, { torrent: oids.torrent, magnet: null, http: null, list: null, fetchGit: null, fetchHttp: null, push: null })
  assert.deepEqual(await records(sb, repo), { [RECORD_REFS.torrent]: oids.torrent })
  assert.deepEqual(await sb.gitBuffer(repo, ['cat-file', 'blob', RECORD_REFS.torrent]), torrent2)

  // and nothing at all deletes every record
  assert.deepEqual(await writeRecords(git, {}), { torrent: null, magnet: null, http: null, list: null, fetchGit: null, fetchHttp: null, push: null })
  assert.deepEqual(await records(sb, repo), {})
})

test('writeRecords: deleting records that never existed is fine (first publish)', async (t) => {
  const { sb, repo, git } = await setup(t)
  const oids = await writeRecords(git, { magnet: MAGNET })
  assert.deepEqual(await records(sb, repo), { [RECORD_REFS.magnet]: oids.magnet })
})

test('writeRecords: writing the same records again changes nothing', async (t) => {
  const { sb, repo, git } = await setup(t)
  const a = await writeRecords(git, { torrent: TORRENT, magnet: MAGNET, http: HTTP })
  const before = await records(sb, repo)
  const b = await writeRecords(git, { torrent: TORRENT, magnet: MAGNET, http: HTTP })
  assert.deepEqual(b, a)
  assert.deepEqual(await records(sb, repo), before)
})

test('writeRecords: refs change in one transaction (all or nothing)', async (t) => {
  const { sb, repo, git } = await setup(t)
  const old = await writeRecords(git, { torrent: TORRENT, magnet: MAGNET })
  // refs/mirrors/bundle/http/x makes refs/mirrors/bundle/http impossible to create (a D/F conflict)
  const blob = (await sb.git(repo, ['hash-object', '-w', '--stdin'], 'x')).stdout.trim()
  await sb.git(repo, ['update-ref', 'refs/mirrors/bundle/http/x', blob])
  const before = await records(sb, repo)
  await assert.rejects(writeRecords(git, { torrent: Buffer.from('new torrent'), magnet: Buffer.from('new magnet'), http: HTTP }), (err: any) => {
    assert.equal(err.name, 'MirrorError')
    assert.equal(err.code, 'GIT_FAILED')
    assert.match(err.message, /^git update-ref failed: .*refs\/mirrors\/bundle\/http/)
    return true
  })
  assert.deepEqual(await records(sb, repo), before, 'torrent and magnet kept their old values')
  assert.equal(before[RECORD_REFS.torrent], old.torrent)
})
