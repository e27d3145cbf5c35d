// What the signed-publish threat tests share: a world with a trusted key and
// a signed publish, forged publishes (a folder torrent of a bundle and a push
// object, seeded by aria2c, announced through the origin's records), push
// objects crafted in test code, and the checks every refused attack must pass.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { choosePieceLength } from '../../src/core/piece-length.js'
import { parsePublicKey } from '../../src/core/public-key.js'
import { encodePushObject, encodeUnsigned, parsePushObject, type PushObject, type PushObjectFields } from '../../src/core/push-object.js'
import type { Ref } from '../../src/core/ref-list.js'
import { readBundleHeader } from '../../src/io/fs/read-bundle-header.js'
import { loadSigningKey, type SigningKey } from '../../src/io/keys/signing-key.js'
import { makeTorrent, readTorrent } from '../../src/io/torrent/torrent-file.js'
import { aria2Seed, hasAria2 } from '../helpers/aria2.js'
import { git } from '../helpers/env.js'
import { assertSameAsGitClone, mirrorClone, plainClone, publish, T } from './clone-support.js'
import { json, makeWorld, type World } from './world.js'

export const SMALL = { binaryFiles: 2, binaryBytes: 256 << 10 }
export const NEEDS_ARIA2 = { ...T, skip: hasAria2() ? false : 'aria2c is not installed' }
export const RECORD = { torrent: 'refs/mirrors/bundle/torrent', magnet: 'refs/mirrors/bundle/magnet', push: 'refs/mirrors/push' } as const

type After = { after: (fn: () => Promise<void>) => void }

/** What a bundle file is, as a push object states it. */
export interface BundleFacts { sha256: string, size: number, infoHash: string, refs: Ref[] }

export interface SignedWorld {
  w: World
  /** The trusted key K: its public line (what --trust takes) and its private half, loaded. */
  key: { publicKey: string, file: string }
  signer: SigningKey
  /** mirror-publish --json of the signed publish. */
  pub: any
  /** That publish's bundle and push object, as published. */
  genuine: { bundle: Buffer, bundleFile: string, push: Buffer, po: PushObject, facts: BundleFacts }
}

/** A world with a small repository, a key from mirror-keygen (K) and one signed publish by K. */
export async function signedWorld (t: Parameters<typeof makeWorld>[0]): Promise<SignedWorld> {
  const { w, key, signer } = await keyedWorld(t)
  const pub = await publish(w)
  return { w, key, signer, pub, genuine: await genuineOf(pub) }
}

/** A world with a small repository and a key from mirror-keygen (K, also git config mirror.signingKey); nothing published. */
export async function keyedWorld (t: Parameters<typeof makeWorld>[0]): Promise<Pick<SignedWorld, 'w' | 'key' | 'signer'>> {
  const w = await makeWorld(t, { spec: SMALL })
  const keygen = await w.run('mirror-keygen', ['--json'])
  assert.equal(keygen.code, 0, keygen.stderr)
  const key = json(keygen) as { publicKey: string, file: string }
  const signer = await loadSigningKey(key.file)
  assert.equal(signer.publicKey.text, key.publicKey)
  return { w, key, signer }
}

/** The bundle and push object a signed mirror-publish --json reports. */
export async function genuineOf (pub: any): Promise<SignedWorld['genuine']> {
  assert.ok(pub.pushObject !== null, 'a signed publish')
  const push = await readFile(pub.pushObject.path)
  const bundleFile = path.join(path.dirname(pub.pushObject.path), pub.bundle.file)
  const bundle = await readFile(bundleFile)
  const po = parsePushObject(push, pub.pushObject.path)
  assert.equal(po.id, pub.pushObject.id)
  return { bundle, bundleFile, push, po, facts: await bundleFacts(bundleFile) }
}

/** SHA-256, size, the infohash of the bundle as a torrent of its own (as mirror-publish computes it), and its refs. */
export async function bundleFacts (file: string): Promise<BundleFacts> {
  const bytes = await readFile(file)
  const torrent = await makeTorrent(file, { name: path.basename(file), pieceLength: choosePieceLength(bytes.length), trackers: [], webSeeds: [] })
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    size: bytes.length,
    infoHash: (await readTorrent(torrent, file)).infoHash,
    refs: (await readBundleHeader(file)).refs
  }
}

/** The fields of a push object for `facts`, sequence 1 of project "project", valid for a day from now. */
export function fieldsFor (facts: BundleFacts, over: Partial<PushObjectFields> = {}): PushObjectFields {
  const now = Math.floor(Date.now() / 1000)
  return {
    project: 'project',
    sequence: 1,
    created: now,
    expires: now + 24 * 3600,
    prev: '0'.repeat(64),
    bundle: { sha256: facts.sha256, size: facts.size, infoHash: facts.infoHash },
    refs: facts.refs,
    ...over
  }
}

export function signWith (key: SigningKey, f: PushObjectFields): PushObject {
  return encodePushObject(f, key.publicKey, key.sign)
}

/** `po`'s signature line under other fields: what an attacker who edits a signed push object gets. */
export function keepSignature (po: PushObject, f: PushObjectFields): Buffer {
  return Buffer.concat([encodeUnsigned(f, po.signer), Buffer.from(`signature ${po.signature.toString('base64')}\n`)])
}

/** Points one of the origin's records at arbitrary bytes, as a hostile or broken server would. */
export async function setRecord (w: World, ref: string, bytes: Uint8Array): Promise<string> {
  const oid = await git(['hash-object', '-w', '--stdin'], { cwd: w.origin, env: w.env, input: Buffer.from(bytes) })
  await git(['update-ref', ref, oid], { cwd: w.origin, env: w.env })
  return oid
}

/** Points a record at a blob the origin has (an earlier publish's). */
export async function pointRecord (w: World, ref: string, oid: string): Promise<void> {
  await git(['update-ref', ref, oid], { cwd: w.origin, env: w.env })
}

export async function dropRecord (w: World, ref: string): Promise<void> {
  await git(['update-ref', '-d', ref], { cwd: w.origin, env: w.env })
}

export async function recordOid (w: World, ref: string): Promise<string | null> {
  const out = await git(['for-each-ref', '--format=%(objectname)', ref], { cwd: w.origin, env: w.env })
  return out === '' ? null : out
}

/**
 * A forged signed publish: the folder `<name>/` holding `<name>.bundle` and
 * `<name>.push`, its folder torrent seeded by aria2c (until the tracker has
 * heard it), and the origin's records pointing at it: the torrent record, no
 * magnet, and refs/mirrors/push = the same push object when `pushRecord`
 * (else none: only the torrent carries it).
 */
export async function forgePublish (
  t: After, w: World, name: string, o: { bundle: Buffer, push: Buffer, pushRecord: boolean }
): Promise<{ infoHash: string, torrent: Buffer }> {
  const data = path.join(w.dir, 'forged')
  const folder = path.join(data, name)
  await mkdir(folder, { recursive: true })
  await writeFile(path.join(folder, `${name}.bundle`), o.bundle)
  await writeFile(path.join(folder, `${name}.push`), o.push)
  const torrent = await makeTorrent(folder, { name, pieceLength: 16384, trackers: [w.tracker.announceUrl], webSeeds: [] })
  await seedTorrent(t, w, torrent, name, data)
  await serveTorrent(w, torrent, o.pushRecord ? o.push : null)
  return { infoHash: (await readTorrent(torrent, name)).infoHash, torrent }
}

/** An unsigned single-file publish `<name>.bundle`, seeded by aria2c, as the origin's only record. */
export async function forgeUnsigned (t: After, w: World, name: string, bundle: Buffer): Promise<{ infoHash: string }> {
  const data = path.join(w.dir, 'forged')
  await mkdir(data, { recursive: true })
  const file = path.join(data, `${name}.bundle`)
  await writeFile(file, bundle)
  const torrent = await makeTorrent(file, { name: `${name}.bundle`, pieceLength: 16384, trackers: [w.tracker.announceUrl], webSeeds: [] })
  await seedTorrent(t, w, torrent, name, data)
  await serveTorrent(w, torrent, null)
  return { infoHash: (await readTorrent(torrent, name)).infoHash }
}

async function seedTorrent (t: After, w: World, torrent: Buffer, name: string, data: string): Promise<void> {
  const torrentFile = path.join(w.dir, `${name}.torrent`)
  await writeFile(torrentFile, torrent)
  const seeder = await aria2Seed(torrentFile, data, { tracker: w.tracker, env: w.env, timeoutMs: 200_000 })
  t.after(async () => await seeder.stop())
}

/** The origin's records: this torrent, no magnet, and refs/mirrors/push = `push` (or none). */
export async function serveTorrent (w: World, torrent: Buffer, push: Buffer | null): Promise<void> {
  await setRecord(w, RECORD.torrent, torrent)
  if (await recordOid(w, RECORD.magnet) !== null) await dropRecord(w, RECORD.magnet)
  if (push !== null) await setRecord(w, RECORD.push, push)
  else if (await recordOid(w, RECORD.push) !== null) await dropRecord(w, RECORD.push)
}

/**
 * A bundle with one thing the origin does not have: the refs `refs`, with
 * HEAD and refs/heads/main moved to a new commit on top of main that adds
 * EVIL.txt. Made in a scratch repository borrowing the origin's objects.
 */
export async function evilBundle (w: World, refs: Ref[], tag = 'evil'): Promise<{ bundle: Buffer, file: string, oid: string, blob: string, facts: BundleFacts }> {
  const scratch = path.join(w.dir, `${tag}.git`)
  const g = async (args: string[], o: { input?: string, env?: NodeJS.ProcessEnv } = {}): Promise<string> =>
    await git(args, { cwd: scratch, env: o.env ?? w.env, ...(o.input === undefined ? {} : { input: o.input }) })
  await git(['init', '--quiet', '--bare', scratch], { cwd: w.dir, env: w.env })
  await writeFile(path.join(scratch, 'objects', 'info', 'alternates'), `${path.join(w.origin, 'objects')}\n`)
  const main = refs.find(r => r.name === 'refs/heads/main')
  assert.ok(main !== undefined, 'the published refs hold main')
  const blob = await g(['hash-object', '-w', '--stdin'], { input: `${tag}: not from the origin\n` })
  const indexEnv = { ...w.env, GIT_INDEX_FILE: path.join(w.dir, `${tag}.index`) }
  await g(['read-tree', main.oid], { env: indexEnv })
  await g(['update-index', '--add', '--cacheinfo', `100644,${blob},EVIL.txt`], { env: indexEnv })
  const tree = await g(['write-tree'], { env: indexEnv })
  const oid = await g(['commit-tree', tree, '-p', main.oid, '-m', `${tag} commit`])
  await g(['update-ref', '--stdin'], { input: refs.filter(r => r.name !== 'HEAD').map(r => `create ${r.name} ${r.name === 'refs/heads/main' ? oid : r.oid}\n`).join('') })
  await g(['symbolic-ref', 'HEAD', 'refs/heads/main'])
  const file = path.join(w.dir, `${tag}.bundle`)
  await g(['bundle', 'create', '--quiet', file, '--branches', '--tags', 'HEAD'])
  const facts = await bundleFacts(file)
  assert.equal(facts.refs.find(r => r.name === 'HEAD')?.oid, oid)
  assert.equal(facts.refs.length, refs.length)
  for (const o of [oid, blob]) assert.ok(!await hasObject(w, w.origin, o), `${o} is not in the origin`)
  return { bundle: await readFile(file), file, oid, blob, facts }
}

export async function hasObject (w: World, repo: string, oid: string): Promise<boolean> {
  return await git(['cat-file', '-e', oid], { cwd: repo, env: w.env }).then(() => true, () => false)
}

/** HEAD of the user's accepted push objects for (key, project), or null: what a later clone checks rollbacks against. */
export async function acceptedHead (w: World, publicKey: string, project = 'project'): Promise<string | null> {
  const state = w.env.XDG_STATE_HOME ?? path.join(w.env.HOME!, '.local', 'state')
  const file = path.join(state, 'git-torrent-mirror', 'pushobjects', parsePublicKey(publicKey, 'key').id, project, 'HEAD')
  return existsSync(file) ? (await readFile(file, 'utf8')).trim() : null
}

/** mirror-clone --trust K of the origin into `dir`, the way every attacked clone runs. */
export async function trustedClone (s: { w: World, key: { publicKey: string } }, dir: string): Promise<{ report: any, stderr: string }> {
  const r = await mirrorClone(s.w, [...s.w.net, '--timeout', '20', '--trust', s.key.publicKey, s.w.originUrl, dir])
  return { report: r.report, stderr: r.stderr }
}

/**
 * (a) refused for this reason: the clone came from the origin, unverified,
 * and the fallback reason is `reason`. `stage` says where: 'record' refused
 * the origin's refs/mirrors/push before any download (no infohash, no byte
 * from the swarm); 'torrent' after downloading the forged torrent.
 */
/**
 * Where the refusal happened: 'record' on refs/mirrors/push, before the torrent
 * record was read; 'torrent-record' on what the torrent record tells (no push
 * object, a size other than the signed one), before any download; 'torrent'
 * after downloading.
 */
export function assertRefused (r: { report: any, stderr: string }, reason: RegExp, stage: 'record' | 'torrent-record' | 'torrent', infoHash?: string): void {
  const { report } = r
  assert.equal(report.method, 'origin', `method; fallbackReason: ${String(report.fallbackReason)}`)
  assert.equal(report.verified, 'origin')
  assert.equal(report.pushObject, null)
  assert.equal(report.bundle, null)
  assert.match(String(report.fallbackReason), reason)
  assert.match(r.stderr, new RegExp(`not using the swarm: ${reason.source.replace(/^\^/, '').replace(/\$$/, '')}`), 'stderr says why')
  if (stage === 'record') {
    assert.equal(report.infoHash, null, 'refused before the torrent record was read')
    assert.equal(report.bytes.swarm + report.bytes.webSeed, 0, 'nothing downloaded')
  } else if (stage === 'torrent-record') {
    assert.equal(report.infoHash, infoHash)
    assert.equal(report.bytes.swarm + report.bytes.webSeed, 0, 'refused from the torrent record: nothing downloaded')
  } else {
    assert.equal(report.infoHash, infoHash)
    assert.ok(report.bytes.swarm > 0, 'the forged torrent was downloaded, then refused')
  }
  assert.ok(report.bytes.origin > 0)
}

export function refusedBy (check: string): RegExp {
  return new RegExp(`^push object refused \\(${check}\\): `)
}

/**
 * (b) nothing of the attack is in the clone: it equals a plain git clone,
 * holds no staging ref, and none of `absent` (objects only the forged bundle
 * carried); the cache holds no bundle.
 */
export async function assertUntouched (w: World, dir: string, absent: string[] = []): Promise<void> {
  if (!existsSync(path.join(w.dir, 'theirs'))) await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, dir, 'theirs')
  const repo = path.join(w.dir, dir)
  assert.equal(await w.git(['for-each-ref', '--format=%(refname)', 'refs/mirror/'], repo), '', 'no staging ref remains')
  for (const oid of absent) assert.equal(await hasObject(w, repo, oid), false, `${oid} (from the forged bundle) is not in ${dir}`)
  assert.deepEqual(await findNamed(path.join(w.dir, 'cache'), /\.(bundle|push)$/), [], 'no downloaded bundle or push object stays in the cache')
}

/** A plain git clone of the origin as it is now (call after the origin's branches last changed). */
export async function freshPlainClone (w: World): Promise<void> {
  await rm(path.join(w.dir, 'theirs'), { recursive: true, force: true })
  await plainClone(w, 'theirs')
}

/** Every path under `dir` whose last component matches. */
export async function findNamed (dir: string, re: RegExp): Promise<string[]> {
  if (!existsSync(dir)) return []
  const found: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (re.test(e.name)) found.push(path.join(e.parentPath ?? (e as any).path, e.name))
  }
  return found
}

/** Flips `count` bytes inside the pack of a bundle (past its header): same size, other bytes. */
export function tamperPack (bundle: Buffer, count = 16): Buffer {
  const out = Buffer.from(bundle)
  const pack = out.indexOf('PACK')
  assert.ok(pack > 0, 'the bundle has a pack')
  const at = pack + Math.floor((out.length - pack) / 2)
  for (let i = at; i < at + count; i++) out[i] = out[i]! ^ 0xff
  return out
}
