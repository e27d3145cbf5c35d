// Signed publishes under attack (issue 4's threat list), end to end: each
// attack is served through the origin's records and a real swarm (aria2c
// seeding a forged folder torrent), and mirror-clone --trust K must refuse
// it for the right reason, clone exactly what git clone gets, keep nothing
// the attacker sent, and record no accepted push object for it.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import type { PushObject, PushObjectFields } from '../../src/core/push-object.js'
import { generateSigningKey } from '../../src/io/keys/signing-key.js'
import { makeTorrent, readTorrent } from '../../src/io/torrent/torrent-file.js'
import { aria2Seed } from '../helpers/aria2.js'
import { assertSameAsGitClone, mirrorClone, plainClone, publish, startSeeder, T } from './clone-support.js'
import {
  acceptedHead, assertRefused, assertUntouched, bundleFacts, dropRecord, evilBundle, fieldsFor, findNamed, forgePublish, forgeUnsigned, hasObject,
  keepSignature, keyedWorld, NEEDS_ARIA2, pointRecord, RECORD, refusedBy, serveTorrent, setRecord, signedWorld, signWith, tamperPack, trustedClone,
  type SignedWorld
} from './signed-support.js'

const DAY = 24 * 3600
/** A prev that is not the id of any push object this client accepted. */
const OTHER_PREV = createHash('sha256').update('not the accepted push object').digest('hex')

function fieldsOf (po: PushObject): PushObjectFields {
  return { project: po.project, sequence: po.sequence, created: po.created, expires: po.expires, prev: po.prev, bundle: po.bundle, refs: po.refs }
}

function now (): number {
  return Math.floor(Date.now() / 1000)
}

/** A verified clone of the genuine publish (mirror-seed in the work clone seeds it): the user accepts its push object. */
async function acceptGenuine (s: SignedWorld, dir: string): Promise<void> {
  const { report } = await trustedClone(s, dir)
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.equal(report.verified, 'signature')
  assert.equal(report.pushObject.id, s.pub.pushObject.id)
  assert.equal(await acceptedHead(s.w, s.key.publicKey), s.pub.pushObject.id)
}

test('threat 1, a forged signature: signed fields changed, the signature kept: refused (signature), from the torrent and from the record', NEEDS_ARIA2, async t => {
  const s = await signedWorld(t)
  const { w, genuine } = s
  const evil = await evilBundle(w, genuine.po.refs)
  // the genuine push object made to describe the evil bundle: every other check would pass
  const forged = keepSignature(genuine.po, { ...fieldsOf(genuine.po), bundle: { sha256: evil.facts.sha256, size: evil.facts.size, infoHash: evil.facts.infoHash }, refs: evil.facts.refs })
  const { infoHash } = await forgePublish(t, w, 'project-forged', { bundle: evil.bundle, push: forged, pushRecord: false })

  const viaTorrent = await trustedClone(s, 'via-torrent')
  t.diagnostic(JSON.stringify(viaTorrent.report))
  assertRefused(viaTorrent, refusedBy('signature'), 'torrent', infoHash)
  assert.match(viaTorrent.report.fallbackReason, /the signature does not verify for key [0-9a-f]{40}$/)
  await assertUntouched(w, 'via-torrent', [evil.oid, evil.blob])

  await setRecord(w, RECORD.push, forged)   // the origin's record says the same
  const viaRecord = await trustedClone(s, 'via-record')
  assertRefused(viaRecord, refusedBy('signature'), 'record')
  await assertUntouched(w, 'via-record', [evil.oid, evil.blob])

  // only expires moved (a stale publish made to look fresh), beside the genuine torrent
  await pointRecord(w, RECORD.torrent, s.pub.records.torrent)
  await setRecord(w, RECORD.push, keepSignature(genuine.po, { ...fieldsOf(genuine.po), expires: genuine.po.expires + 365 * DAY }))
  const expiresMoved = await trustedClone(s, 'expires-moved')
  assertRefused(expiresMoved, refusedBy('signature'), 'record')
  await assertUntouched(w, 'expires-moved')

  assert.equal(await acceptedHead(w, s.key.publicKey), null, 'nothing accepted')
})

test('threat 2, a valid signature by an untrusted key: refused (untrusted-key), from the torrent and from the record', NEEDS_ARIA2, async t => {
  const s = await signedWorld(t)
  const { w, genuine } = s
  const evil = await evilBundle(w, genuine.po.refs)
  const stranger = await generateSigningKey(path.join(w.dir, 'stranger', 'signing-key'), { force: false })
  const po = signWith(stranger, fieldsFor(evil.facts))
  const { infoHash } = await forgePublish(t, w, 'project-stranger', { bundle: evil.bundle, push: po.bytes, pushRecord: false })

  const viaTorrent = await trustedClone(s, 'via-torrent')
  t.diagnostic(JSON.stringify(viaTorrent.report))
  assertRefused(viaTorrent, refusedBy('untrusted-key'), 'torrent', infoHash)
  assert.ok(viaTorrent.report.fallbackReason.includes(`signed by ${stranger.publicKey.text}, which is not a trusted key`), viaTorrent.report.fallbackReason)
  await assertUntouched(w, 'via-torrent', [evil.oid, evil.blob])

  await setRecord(w, RECORD.push, po.bytes)
  const viaRecord = await trustedClone(s, 'via-record')
  assertRefused(viaRecord, refusedBy('untrusted-key'), 'record')
  await assertUntouched(w, 'via-record', [evil.oid, evil.blob])

  // control: without a trusted key the same forged publish is used: staged, then overruled by the origin; the evil
  // objects were downloaded and indexed into the clone (what the refusals above kept out), then dropped with their ref
  await dropRecord(w, RECORD.push)
  const untrusting = await mirrorClone(w, [...w.net, '--timeout', '20', w.originUrl, 'untrusting'])
  assert.equal(untrusting.report.method, 'torrent', untrusting.report.fallbackReason)
  assert.equal(untrusting.report.infoHash, infoHash)
  assert.ok(untrusting.report.discardedRefs.includes('refs/mirror/torrent/heads/main'), JSON.stringify(untrusting.report.discardedRefs))
  // the bundle's own commit came in with its pack, and went with its discarded ref (the clone is repacked without it)
  assert.equal(await hasObject(w, path.join(w.dir, 'untrusting'), evil.oid), false)
  await assertSameAsGitClone(w, 'untrusting', 'theirs')

  assert.equal(await acceptedHead(w, s.key.publicKey), null)
  assert.equal(await acceptedHead(w, stranger.publicKey.text), null, 'the stranger\'s push object is not kept either')
})

test('threat 3, a tampered bundle under the genuine push object: refused (bundle-digest / bundle-size) before git sees it', NEEDS_ARIA2, async t => {
  const s = await signedWorld(t)
  const { w, genuine } = s
  const tampered = tamperPack(genuine.bundle)
  assert.equal(tampered.length, genuine.bundle.length)
  assert.ok(!tampered.equals(genuine.bundle))
  // the origin keeps the genuine refs/mirrors/push: it agrees with the push object in the forged torrent
  const { infoHash } = await forgePublish(t, w, 'project-tampered', { bundle: tampered, push: genuine.push, pushRecord: true })
  assert.equal((await w.git(['ls-remote', w.originUrl, RECORD.push])).split('\t')[0], s.pub.records.push)

  const withRecord = await trustedClone(s, 'with-record')
  t.diagnostic(JSON.stringify(withRecord.report))
  assertRefused(withRecord, refusedBy('bundle-digest'), 'torrent', infoHash)
  assert.ok(withRecord.report.fallbackReason.endsWith(`the signed one is ${genuine.facts.sha256}`), withRecord.report.fallbackReason)
  await assertUntouched(w, 'with-record')

  await dropRecord(w, RECORD.push)
  const torrentOnly = await trustedClone(s, 'torrent-only')
  assertRefused(torrentOnly, refusedBy('bundle-digest'), 'torrent', infoHash)
  await assertUntouched(w, 'torrent-only')

  // the genuine bundle with bytes appended: the signed size tells
  const longer = await forgePublish(t, w, 'project-longer', { bundle: Buffer.concat([genuine.bundle, Buffer.alloc(1000, 0x41)]), push: genuine.push, pushRecord: true })
  const grown = await trustedClone(s, 'grown')
  assertRefused(grown, refusedBy('bundle-size'), 'torrent-record', longer.infoHash)
  await assertUntouched(w, 'grown')

  assert.equal(await acceptedHead(w, s.key.publicKey), null)
})

test('threat 4, another project\'s bundle and push object, signed by the trusted key: refused (project)', NEEDS_ARIA2, async t => {
  const s = await signedWorld(t)
  const { w, genuine } = s
  const other = await evilBundle(w, genuine.po.refs, 'other')
  const po = signWith(s.signer, fieldsFor(other.facts, { project: 'other' }))
  const { infoHash } = await forgePublish(t, w, 'other-0123456789ab', { bundle: other.bundle, push: po.bytes, pushRecord: false })

  const viaTorrent = await trustedClone(s, 'via-torrent')
  t.diagnostic(JSON.stringify(viaTorrent.report))
  assertRefused(viaTorrent, refusedBy('project'), 'torrent', infoHash)
  assert.match(viaTorrent.report.fallbackReason, /signed for project "other", expected "project"$/)
  await assertUntouched(w, 'via-torrent', [other.oid, other.blob])

  await setRecord(w, RECORD.push, po.bytes)
  const viaRecord = await trustedClone(s, 'via-record')
  assertRefused(viaRecord, refusedBy('project'), 'record')
  await assertUntouched(w, 'via-record', [other.oid, other.blob])

  assert.equal(await acceptedHead(w, s.key.publicKey), null)
  assert.equal(await acceptedHead(w, s.key.publicKey, 'other'), null)
})

test('threat 5, a replay of an older publish after a newer one was accepted: refused (rollback), the accepted HEAD stays', T, async t => {
  const s = await signedWorld(t)
  const { w } = s
  const v1 = s.pub
  let seeder = await startSeeder(w)
  await acceptGenuine(s, 'v1')
  await seeder.stop()

  await w.git(['commit', '--quiet', '--allow-empty', '-m', 'after v1'])
  await w.git(['push', '--quiet', 'origin', 'main'])
  const v2 = await publish(w, ['--max-increments', '0'])   // a new base: v1's torrent is then an older publish's
  assert.equal(v2.pushObject.sequence, 2)
  assert.notEqual(v2.infoHash, v1.infoHash)
  seeder = await startSeeder(w)   // the store holds both publishes: it seeds v1's too
  const second = await trustedClone(s, 'v2')
  assert.equal(second.report.method, 'torrent', second.report.fallbackReason)
  assert.equal(second.report.verified, 'signature')
  assert.equal(second.report.pushObject.sequence, 2)
  assert.equal(await acceptedHead(w, s.key.publicKey), v2.pushObject.id)

  // the origin (or a mirror of it) serves v1's records again
  await pointRecord(w, RECORD.torrent, v1.records.torrent)
  await pointRecord(w, RECORD.magnet, v1.records.magnet)
  await pointRecord(w, RECORD.push, v1.records.push)
  const viaRecord = await trustedClone(s, 'replay-record')
  t.diagnostic(JSON.stringify(viaRecord.report))
  assertRefused(viaRecord, refusedBy('rollback'), 'record')
  assert.match(viaRecord.report.fallbackReason, /sequence 1 is older than sequence 2, accepted before$/)
  await assertUntouched(w, 'replay-record')

  await dropRecord(w, RECORD.push)
  await dropRecord(w, RECORD.magnet)
  const viaTorrent = await trustedClone(s, 'replay-torrent')
  assertRefused(viaTorrent, refusedBy('rollback'), 'torrent', v1.infoHash)
  await assertUntouched(w, 'replay-torrent')

  assert.equal(await acceptedHead(w, s.key.publicKey), v2.pushObject.id, 'HEAD stays at v2')
  await seeder.stop()
})

test('threat 6, an expired push object (and one created in the future): refused (expired / not-yet-valid)', NEEDS_ARIA2, async t => {
  const s = await signedWorld(t)
  const { w, genuine } = s
  const evil = await evilBundle(w, genuine.po.refs)
  const expired = signWith(s.signer, fieldsFor(evil.facts, { created: now() - 2 * DAY, expires: now() - DAY }))
  const { infoHash } = await forgePublish(t, w, 'project-expired', { bundle: evil.bundle, push: expired.bytes, pushRecord: false })

  const viaTorrent = await trustedClone(s, 'via-torrent')
  t.diagnostic(JSON.stringify(viaTorrent.report))
  assertRefused(viaTorrent, refusedBy('expired'), 'torrent', infoHash)
  assert.match(viaTorrent.report.fallbackReason, /expired \d{4}-\d\d-\d\dT/)
  await assertUntouched(w, 'via-torrent', [evil.oid, evil.blob])

  await setRecord(w, RECORD.push, expired.bytes)
  const viaRecord = await trustedClone(s, 'via-record')
  assertRefused(viaRecord, refusedBy('expired'), 'record')
  await assertUntouched(w, 'via-record', [evil.oid, evil.blob])

  const future = signWith(s.signer, fieldsFor(evil.facts, { created: now() + DAY, expires: now() + 2 * DAY }))
  await setRecord(w, RECORD.push, future.bytes)
  const early = await trustedClone(s, 'early')
  assertRefused(early, refusedBy('not-yet-valid'), 'record')
  await assertUntouched(w, 'early', [evil.oid, evil.blob])

  assert.equal(await acceptedHead(w, s.key.publicKey), null)
})

test('threat 7, a push object whose refs differ from its bundle\'s: refused (refs)', NEEDS_ARIA2, async t => {
  const s = await signedWorld(t)
  const { w, genuine } = s
  // the evil bundle's digest and size, signed, but the genuine refs: HEAD and main differ
  const evil = await evilBundle(w, genuine.po.refs)
  const po = signWith(s.signer, fieldsFor(evil.facts, { refs: genuine.po.refs }))
  const a = await forgePublish(t, w, 'project-refs', { bundle: evil.bundle, push: po.bytes, pushRecord: true })
  const moved = await trustedClone(s, 'moved')
  t.diagnostic(JSON.stringify(moved.report))
  assertRefused(moved, refusedBy('refs'), 'torrent', a.infoHash)
  // "first" is the first differing ref in sorted order: HEAD
  assert.match(moved.report.fallbackReason, /the bundle's refs differ from the signed ones \(first: HEAD\)$/)
  await assertUntouched(w, 'moved', [evil.oid, evil.blob])

  // the same torrent beside the genuine record: its bundle is not the signed size, refused from the torrent record alone
  await pointRecord(w, RECORD.push, s.pub.records.push)
  const resized = await trustedClone(s, 'resized')
  assertRefused(resized, refusedBy('bundle-size'), 'torrent-record', a.infoHash)
  await assertUntouched(w, 'resized', [evil.oid, evil.blob])

  // the genuine bundle with another valid push object (signed again, a second later) beside the genuine record: they differ
  const resigned = signWith(s.signer, fieldsFor(genuine.facts, { created: genuine.po.created + 1 }))
  const again = await forgePublish(t, w, 'project-resigned', { bundle: genuine.bundle, push: resigned.bytes, pushRecord: false })
  await pointRecord(w, RECORD.push, s.pub.records.push)
  const mismatched = await trustedClone(s, 'mismatched')
  assertRefused(mismatched, refusedBy('mismatch'), 'torrent', again.infoHash)
  await assertUntouched(w, 'mismatched')

  // the genuine bundle, its digest signed, and one ref more than it carries
  const main = genuine.po.refs.find(r => r.name === 'refs/heads/main')!
  const added = signWith(s.signer, fieldsFor(genuine.facts, { refs: [...genuine.po.refs, { name: 'refs/heads/extra', oid: main.oid }] }))
  const b = await forgePublish(t, w, 'project-extra', { bundle: genuine.bundle, push: added.bytes, pushRecord: false })
  const extra = await trustedClone(s, 'extra')
  assertRefused(extra, refusedBy('refs'), 'torrent', b.infoHash)
  assert.match(extra.report.fallbackReason, /\(first: refs\/heads\/extra\)$/)
  await assertUntouched(w, 'extra')

  assert.equal(await acceptedHead(w, s.key.publicKey), null)
})

test('threat 8, a truncated and a padded push object, as the record and in the torrent: refused as malformed (BAD_PUSH_OBJECT)', NEEDS_ARIA2, async t => {
  const s = await signedWorld(t)
  const { w, genuine } = s
  const url = w.originUrl.replace(/[.:/]/g, '\\$&')
  const cut = genuine.push.subarray(0, genuine.push.length - 10)   // inside the signature line
  const noSignature = genuine.push.subarray(0, genuine.push.lastIndexOf('signature '))   // ends after the last ref line
  const newline = Buffer.concat([genuine.push, Buffer.from('\n')])
  const trailer = Buffer.concat([genuine.push, Buffer.from('note this line is not signed\n')])

  await setRecord(w, RECORD.push, cut)
  const recordCut = await trustedClone(s, 'record-cut')
  t.diagnostic(JSON.stringify(recordCut.report))
  assertRefused(recordCut, new RegExp(`^refs/mirrors/push on ${url} is truncated \\(no final newline\\)$`), 'record')
  await assertUntouched(w, 'record-cut')

  await setRecord(w, RECORD.push, newline)
  const recordPadded = await trustedClone(s, 'record-padded')
  assertRefused(recordPadded, new RegExp(`^refs/mirrors/push on ${url} line \\d+: has text after the signature$`), 'record')
  await assertUntouched(w, 'record-padded')

  const truncated = await forgePublish(t, w, 'project-truncated', { bundle: genuine.bundle, push: noSignature, pushRecord: false })
  const torrentCut = await trustedClone(s, 'torrent-cut')
  assertRefused(torrentCut, new RegExp(`^the push object in torrent ${truncated.infoHash} line \\d+: is truncated$`), 'torrent', truncated.infoHash)
  await assertUntouched(w, 'torrent-cut')

  const padded = await forgePublish(t, w, 'project-padded', { bundle: genuine.bundle, push: trailer, pushRecord: false })
  const torrentPadded = await trustedClone(s, 'torrent-padded')
  assertRefused(torrentPadded, new RegExp(`^the push object in torrent ${padded.infoHash} line \\d+: has text after the signature$`), 'torrent', padded.infoHash)
  await assertUntouched(w, 'torrent-padded')

  assert.equal(await acceptedHead(w, s.key.publicKey), null)
})

test('threat 9, the next sequence with a PREV that is not the accepted push object: refused (chain); the same sequence, other content: refused (fork)', NEEDS_ARIA2, async t => {
  const s = await signedWorld(t)
  const { w, genuine } = s
  const seeder = await startSeeder(w)
  await acceptGenuine(s, 'accepted')
  await seeder.stop()

  const evil = await evilBundle(w, genuine.po.refs)
  const po = signWith(s.signer, fieldsFor(evil.facts, { sequence: 2, prev: OTHER_PREV }))
  const { infoHash } = await forgePublish(t, w, 'project-chain', { bundle: evil.bundle, push: po.bytes, pushRecord: false })
  const viaTorrent = await trustedClone(s, 'via-torrent')
  t.diagnostic(JSON.stringify(viaTorrent.report))
  assertRefused(viaTorrent, refusedBy('chain'), 'torrent', infoHash)
  assert.ok(viaTorrent.report.fallbackReason.endsWith(`sequence 2 names prev ${OTHER_PREV}, but the accepted sequence 1 is ${genuine.po.id}`), viaTorrent.report.fallbackReason)
  assert.match(viaTorrent.stderr, /not using the swarm: push object refused \(chain\): /)
  await assertUntouched(w, 'via-torrent', [evil.oid, evil.blob])

  await setRecord(w, RECORD.push, po.bytes)
  const viaRecord = await trustedClone(s, 'via-record')
  assertRefused(viaRecord, refusedBy('chain'), 'record')
  await assertUntouched(w, 'via-record', [evil.oid, evil.blob])

  // the accepted sequence again, other content (a fork): refused as well
  const fork = signWith(s.signer, fieldsFor(evil.facts))
  await setRecord(w, RECORD.push, fork.bytes)
  const forked = await trustedClone(s, 'forked')
  assertRefused(forked, refusedBy('fork'), 'record')
  assert.ok(forked.report.fallbackReason.includes(`sequence 1 was accepted before with id ${genuine.po.id}; this one is ${fork.id}`), forked.report.fallbackReason)
  await assertUntouched(w, 'forked', [evil.oid, evil.blob])

  assert.equal(await acceptedHead(w, s.key.publicKey), genuine.po.id, 'HEAD stays at sequence 1')
})

test('threat 9, policy: a sequence more than one ahead of the accepted one is taken, with a notice that its PREV could not be checked', NEEDS_ARIA2, async t => {
  const s = await signedWorld(t)
  const { w, genuine } = s
  const seeder = await startSeeder(w)
  await acceptGenuine(s, 'accepted')
  await seeder.stop()

  const po = signWith(s.signer, fieldsFor(genuine.facts, { sequence: 3, prev: OTHER_PREV }))
  const { infoHash } = await forgePublish(t, w, 'project-gap', { bundle: genuine.bundle, push: po.bytes, pushRecord: true })
  const { report, stderr } = await trustedClone(s, 'mine')
  t.diagnostic(JSON.stringify(report))
  assert.equal(report.method, 'torrent', report.fallbackReason)
  assert.equal(report.verified, 'signature')
  assert.equal(report.infoHash, infoHash)
  assert.deepEqual(report.pushObject, { id: po.id, sequence: 3, key: s.key.publicKey })
  assert.match(stderr, /push object 3 follows 1, accepted before; the one in between was not seen, so its prev could not be checked/)
  await plainClone(w, 'theirs')
  await assertSameAsGitClone(w, 'mine', 'theirs')
  assert.equal(await acceptedHead(w, s.key.publicKey), po.id)
})

test('threat 10, a trusted key and an unsigned publish (a downgrade): refused (missing)', NEEDS_ARIA2, async t => {
  const { w, key } = await keyedWorld(t)
  const pub = await publish(w, ['--no-sign'])
  assert.equal(pub.pushObject, null)
  assert.equal(pub.records.push, null)
  const seeder = await startSeeder(w)
  const s = { w, key }

  const maintainers = await trustedClone(s, 'unsigned')
  t.diagnostic(JSON.stringify(maintainers.report))
  assertRefused(maintainers, refusedBy('missing'), 'torrent-record', pub.infoHash)
  assert.match(maintainers.report.fallbackReason, /the torrent carries no push object \(an unsigned publish\), and a key is trusted for /)
  await assertUntouched(w, 'unsigned')
  await seeder.stop()

  // an attacker's unsigned torrent of a bundle of its own
  const evil = await evilBundle(w, (await bundleFacts(pub.bundle.path)).refs)
  const forged = await forgeUnsigned(t, w, 'project-0123456789ab', evil.bundle)
  const attackers = await trustedClone(s, 'attacker')
  assertRefused(attackers, refusedBy('missing'), 'torrent-record', forged.infoHash)
  await assertUntouched(w, 'attacker', [evil.oid, evil.blob])

  assert.equal(await acceptedHead(w, key.publicKey), null)
})

test('threat 11, mirror-seed <url> --trust K refuses a forged publish: exit 1, the check named, nothing in its store', NEEDS_ARIA2, async t => {
  const s = await signedWorld(t)
  const { w, genuine } = s
  const evil = await evilBundle(w, genuine.po.refs)
  const stranger = await generateSigningKey(path.join(w.dir, 'stranger', 'signing-key'), { force: false })
  const po = signWith(stranger, fieldsFor(evil.facts))
  await forgePublish(t, w, 'project-stranger', { bundle: evil.bundle, push: po.bytes, pushRecord: false })

  const reseed = async (store: string): Promise<void> => {
    const r = await w.run('mirror-seed', [...w.net, '--store', store, '--timeout', '20', '--status-interval', '1', '--trust', s.key.publicKey, w.originUrl], w.dir, 90_000)
    t.diagnostic(r.stderr)
    assert.equal(r.code, 1, `exit status\n${r.stderr}`)
    assert.match(r.stderr, /push object refused \(untrusted-key\): signed by ssh-ed25519 \S+, which is not a trusted key/)
    assert.deepEqual(await findNamed(path.join(store, 'bundles'), /\.bundle$/), [], 'no bundles entry')
    assert.deepEqual(await findNamed(store, /\.(bundle|push)$/), [], 'no downloaded file stays anywhere in the store')
  }
  await reseed(path.join(w.dir, 'store-torrent'))   // refused after the download
  await setRecord(w, RECORD.push, po.bytes)
  await reseed(path.join(w.dir, 'store-record'))    // refused before it

  assert.equal(await acceptedHead(w, s.key.publicKey), null)
  assert.equal(await acceptedHead(w, stranger.publicKey.text), null)
})

/** Flips `count` bytes in the middle of a file's bytes: same size, other bytes. */
function tamperMiddle (bytes: Buffer, count = 8): Buffer {
  const out = Buffer.from(bytes)
  const at = Math.floor(out.length / 2)
  for (let i = at; i < at + count; i++) out[i] = out[i]! ^ 0xff
  return out
}

/**
 * The genuine signed publish's folder (bundle, .idx, .rev, push object) with
 * `replace`'s files swapped in, as folder `name/`, seeded by aria2c and
 * served as the origin's torrent record beside the genuine refs/mirrors/push.
 */
async function forgeIndexed (t: { after: (fn: () => Promise<void>) => void }, s: SignedWorld, name: string, replace: { idx?: Buffer, rev?: Buffer }): Promise<{ infoHash: string }> {
  const { w } = s
  const from = path.dirname(s.pub.pushObject.path)
  const base = s.pub.bundle.file.replace(/\.bundle$/, '')
  const data = path.join(w.dir, 'forged-indexed')
  const folder = path.join(data, name)
  await mkdir(folder, { recursive: true })
  for (const ext of ['bundle', 'idx', 'rev', 'push'] as const) {
    const swapped = ext === 'idx' ? replace.idx : ext === 'rev' ? replace.rev : undefined
    if (swapped !== undefined) await writeFile(path.join(folder, `${name}.${ext}`), swapped)
    else await copyFile(path.join(from, `${base}.${ext}`), path.join(folder, `${name}.${ext}`))
  }
  const torrent = await makeTorrent(folder, { name, pieceLength: 16384, trackers: [w.tracker.announceUrl], webSeeds: [] })
  const torrentFile = path.join(w.dir, `${name}.torrent`)
  await writeFile(torrentFile, torrent)
  const seeder = await aria2Seed(torrentFile, data, { tracker: w.tracker, env: w.env, timeoutMs: 200_000 })
  t.after(async () => await seeder.stop())
  await serveTorrent(w, torrent, s.genuine.push)
  return { infoHash: (await readTorrent(torrent, name)).infoHash }
}

test('threat 12, the genuine bundle and push object with a tampered pack index (.idx, or .rev) of the signed size: refused (index-digest) before anything is staged', NEEDS_ARIA2, async t => {
  const s = await signedWorld(t)
  const { w, genuine } = s
  assert.ok(genuine.po.index !== null && genuine.po.reverseIndex !== null, 'the push object signs the index files')
  const base = path.join(path.dirname(s.pub.pushObject.path), s.pub.bundle.file.replace(/\.bundle$/, ''))
  const idx = await readFile(`${base}.idx`)
  const rev = await readFile(`${base}.rev`)
  assert.equal(idx.length, genuine.po.index.size)
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
  assert.equal(sha(idx), genuine.po.index.sha256)

  const badIdx = tamperMiddle(idx)
  assert.equal(badIdx.length, idx.length)
  const a = await forgeIndexed(t, s, 'project-badidx', { idx: badIdx })
  const tamperedIdx = await trustedClone(s, 'tampered-idx')
  t.diagnostic(JSON.stringify(tamperedIdx.report))
  assertRefused(tamperedIdx, refusedBy('index-digest'), 'torrent', a.infoHash)
  assert.equal(tamperedIdx.report.fallbackReason,
    `push object refused (index-digest): the pack index beside the bundle (${idx.length} bytes, SHA-256 ${sha(badIdx)}) is not the signed one (${idx.length} bytes, ${genuine.po.index.sha256})`)
  assert.equal(tamperedIdx.report.indexedBy, null)
  await assertUntouched(w, 'tampered-idx')
  assert.deepEqual(await findNamed(path.join(w.dir, 'cache'), /\.(idx|rev)$/), [], 'no downloaded index file stays in the cache')

  const badRev = tamperMiddle(rev)
  const b = await forgeIndexed(t, s, 'project-badrev', { rev: badRev })
  const tamperedRev = await trustedClone(s, 'tampered-rev')
  t.diagnostic(JSON.stringify(tamperedRev.report))
  assertRefused(tamperedRev, refusedBy('index-digest'), 'torrent', b.infoHash)
  assert.match(tamperedRev.report.fallbackReason, /^push object refused \(index-digest\): the reverse index beside the bundle \(/)
  await assertUntouched(w, 'tampered-rev')

  assert.equal(await acceptedHead(w, s.key.publicKey), null, 'nothing accepted')

  // control: the same forgery with the genuine index files is the genuine publish, taken through the signed fast path
  const c = await forgeIndexed(t, s, 'project-control', {})
  const control = await trustedClone(s, 'control')
  assert.equal(control.report.method, 'torrent', control.report.fallbackReason)
  assert.equal(control.report.infoHash, c.infoHash)
  assert.equal(control.report.verified, 'signature')
  assert.equal(control.report.indexedBy, 'signed-index')
  await assertSameAsGitClone(w, 'control', 'theirs')
})
