import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { isMirrorError } from '../../src/core/errors.js'
import { RECORD_REFS } from '../../src/core/refs.js'
import { pushRecords, writeRecords } from '../../src/io/git/records.js'
import { Git } from '../../src/io/git/run-git.js'
import { git, makeTestEnv } from '../helpers/env.js'

test('pushRecords leases each record at the advertised value: a concurrent publish is never overwritten blindly', { timeout: 30_000 }, async t => {
  const te = await makeTestEnv('gtm-push-')
  t.after(() => te.cleanup())
  const remote = path.join(te.dir, 'remote.git')
  const a = path.join(te.dir, 'a')
  const b = path.join(te.dir, 'b')
  await git(['init', '--bare', '--quiet', remote], { cwd: te.dir, env: te.env })
  for (const dir of [a, b]) await git(['init', '--quiet', dir], { cwd: te.dir, env: te.env })

  const ga = new Git(a, te.env)
  const gb = new Git(b, te.env)
  const mine = await writeRecords(ga, { torrent: Buffer.from('torrent A'), magnet: Buffer.from('magnet A\n') })
  assert.equal(await pushRecords(ga, remote, mine, new Map()), 'pushed')
  assert.equal(await pushRecords(ga, remote, mine, new Map([[RECORD_REFS.torrent, mine.torrent!], [RECORD_REFS.magnet, mine.magnet!]])), 'up-to-date')

  // B publishes meanwhile
  const theirs = await writeRecords(gb, { torrent: Buffer.from('torrent B'), magnet: Buffer.from('magnet B\n') })
  assert.equal(await pushRecords(gb, remote, theirs, new Map([[RECORD_REFS.torrent, mine.torrent!], [RECORD_REFS.magnet, mine.magnet!]])), 'pushed')

  // A pushes again, still believing the remote holds its own records: refused, nothing changed
  const again = await writeRecords(ga, { torrent: Buffer.from('torrent A2'), magnet: Buffer.from('magnet A2\n') })
  await assert.rejects(
    pushRecords(ga, remote, again, new Map([[RECORD_REFS.torrent, mine.torrent!], [RECORD_REFS.magnet, mine.magnet!]])),
    (err: unknown) => isMirrorError(err, 'PUSH_REJECTED') && /stale info/.test(err.message) && /run mirror-publish again/.test(err.message))
  const onRemote = await git(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/mirrors/'], { cwd: remote, env: te.env })
  assert.equal(onRemote, `${theirs.magnet!} ${RECORD_REFS.magnet}\n${theirs.torrent!} ${RECORD_REFS.torrent}`)

  // an absent record is deleted on the remote, under the same lease
  const noMagnet = await writeRecords(ga, { torrent: Buffer.from('torrent A3') })
  assert.equal(await pushRecords(ga, remote, noMagnet, new Map([[RECORD_REFS.torrent, theirs.torrent!], [RECORD_REFS.magnet, theirs.magnet!]])), 'pushed')
  assert.equal(await git(['for-each-ref', '--format=%(refname)', 'refs/mirrors/'], { cwd: remote, env: te.env }), RECORD_REFS.torrent)
})
