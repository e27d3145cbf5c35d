// The bundle list against real git: our printer read by git's config parser
// and back, includes never followed, junk refused; and stock
// `git clone --bundle-uri` (git 2.39 here) taking our list and both bundles.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { formatBundleList, type BundleList } from '../../src/core/bundle-list.js'
import { isMirrorError } from '../../src/core/errors.js'
import { readBundleList, MAX_LIST_BYTES } from '../../src/io/git/read-bundle-list.js'
import { Git } from '../../src/io/git/run-git.js'
import { startStaticServer } from '../helpers/static-server.js'
import { sandbox } from './git-sandbox.js'

const entry = (id: string, token: number, uri: string | null): BundleList['entries'][number] =>
  ({ id, uri, creationToken: token, infoHash: String(token).padStart(40, 'c'), size: 100 * token, sha256: 'd'.repeat(64) })

test('readBundleList: what we print, git reads back the same; includes are not followed; junk is BAD_RECORD', { timeout: 30_000 }, async t => {
  const sb = await sandbox(t)
  const git = new Git(sb.dir, sb.env)
  const list: BundleList = { entries: [entry('base', 1, 'https://dl.example.org/a;b#c".bundle'), entry('Inc-2', 7, null)] }
  assert.deepEqual(await readBundleList(git, Buffer.from(formatBundleList(list)), 'the list'), list)
  const secret = path.join(sb.dir, 'secret')
  await writeFile(secret, '[bundle "leak"]\n\tcreationToken = 99\n')
  const withInclude = Buffer.from(`[include]\n\tpath = ${secret}\n${formatBundleList(list)}`)
  assert.deepEqual((await readBundleList(git, withInclude, 'l')).entries.map(e => e.id), ['base', 'Inc-2'], 'an include is not followed')
  for (const [bytes, why] of [
    [Buffer.from('[bundle\n'), /git cannot read it as a bundle list/],
    [Buffer.from('not a config at all = ['), /git cannot read it/],
    [Buffer.alloc(MAX_LIST_BYTES + 1, 0x20), /over the 1048576-byte limit/],
    [Buffer.from('[bundle]\n\tversion = 2\n'), /bundle\.version is not 1/]
  ] as Array<[Buffer, RegExp]>) {
    await assert.rejects(readBundleList(git, bytes, 'the list'), (err: unknown) => isMirrorError(err, 'BAD_RECORD') && why.test((err as Error).message), String(why))
  }
})

test('git clone --bundle-uri takes our list: a base and an increment, unbundled, then the rest fetched', { timeout: 60_000 }, async t => {
  const sb = await sandbox(t)
  const origin = await sb.init('origin')
  await sb.commit(origin, 'a', '1')
  await sb.commit(origin, 'b', '2')
  await sb.git(origin, ['tag', 'v1'])
  await sb.commit(origin, 'c', '3')
  const served = path.join(sb.dir, 'served')
  await sb.git(sb.dir, ['init', '-q', '--bare', served])   // just a directory to serve from
  await sb.git(origin, ['bundle', 'create', '-q', path.join(served, 'base.bundle'), 'main~1', 'v1'])
  await sb.git(origin, ['bundle', 'create', '-q', path.join(served, 'inc.bundle'), 'main~1..main'])
  await sb.commit(origin, 'd', '4')   // newer than any bundle: the clone's fetch brings it
  const server = await startStaticServer(served)
  t.after(async () => await server.close())
  const list: BundleList = { entries: [entry('base', 1, server.url('base.bundle')), entry('inc', 2, server.url('inc.bundle'))] }
  await writeFile(path.join(served, 'list'), formatBundleList(list))

  await sb.git(sb.dir, ['-c', 'protocol.file.allow=always', 'clone', '-q', `--bundle-uri=${server.url('list')}`, `file://${origin}`, 'clone'])
  const clone = path.join(sb.dir, 'clone')
  const refs = (await sb.git(clone, ['for-each-ref', '--format=%(refname)'])).stdout.split('\n')
  assert.ok(refs.includes('refs/bundles/main'), `git unbundled our bundles: ${refs.join(' ')}`)
  assert.equal((await sb.git(clone, ['rev-parse', 'HEAD'])).stdout, (await sb.git(origin, ['rev-parse', 'HEAD'])).stdout)
  const fetched = server.requests.map(r => r.path)
  assert.ok(['/list', '/base.bundle', '/inc.bundle'].every(p => fetched.includes(p)), `served: ${fetched.join(' ')}`)
})
