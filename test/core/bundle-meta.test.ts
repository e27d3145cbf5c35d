import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseBundleMeta, type BundleMeta } from '../../src/core/bundle-meta.js'

const A = 'a'.repeat(40)
const POINTER = { key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJMs1sKi9a19cLsrXuUW7yg/XR1MduqM8c3BWYT39yUQ', project: 'repo', seq: 3, infoHash: '1'.repeat(40), sig: 'ab'.repeat(64) }

function goodMeta (over: Partial<Record<keyof BundleMeta, unknown>> = {}): Record<string, unknown> {
  return {
    format: 1,
    start: '0'.repeat(40),
    end: 'e'.repeat(40),
    file: 'repo-eeeeeeeeeeee.bundle',
    size: 12345,
    sha256: 'f'.repeat(64),
    infoHash: '1'.repeat(40),
    refs: [{ name: 'HEAD', oid: A }, { name: 'refs/heads/main', oid: A }],
    head: 'refs/heads/main',
    created: '2024-01-01T00:00:00.000Z',
    mtimeMs: 1704067200000.123,
    folder: null,
    pushObject: null,
    pointer: null,
    retired: null,
    ...over
  }
}

test('parseBundleMeta: accepted', async (t) => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['complete', goodMeta()],
    ['downloaded bundle: sha256 null', goodMeta({ sha256: null })],
    ['head unknown', goodMeta({ head: null })],
    ['no refs', goodMeta({ refs: [] })],
    ['signed: the bundle in a folder beside its push object', goodMeta({ folder: 'repo-eeeeeeeeeeee', pushObject: 'c'.repeat(64) })],
    ['signed, with the DHT pointer it put', goodMeta({ folder: 'repo-eeeeeeeeeeee', pushObject: 'c'.repeat(64), pointer: POINTER })],
    ['retired: it left the published list', goodMeta({ retired: '2026-12-01T16:00:00.000Z' })]
  ]
  for (const [name, m] of cases) {
    await t.test(name, () => assert.deepEqual(parseBundleMeta(JSON.stringify(m)), m))
  }
})

test('parseBundleMeta: a meta.json written before signed publishes (no folder, no pushObject) still loads', () => {
  const { folder: _f, pushObject: _p, pointer: _q, retired: _r, ...old } = goodMeta()
  assert.deepEqual(parseBundleMeta(JSON.stringify(old)), goodMeta())
})

test('parseBundleMeta: pretty-printed, as the store writes it', () => {
  assert.deepEqual(parseBundleMeta(`${JSON.stringify(goodMeta(), null, 2)}\n`), goodMeta())
})

test('parseBundleMeta: strict, throws on anything unexpected', async (t) => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['size 0', goodMeta({ size: 0 })],
    ['retired not a time', goodMeta({ retired: 'yesterday' })],
    ['folder climbing out', goodMeta({ folder: '../x' })],
    ['folder with ..', goodMeta({ folder: 'a..b' })],
    ['pushObject not a SHA-256', goodMeta({ pushObject: 'c'.repeat(40) })],
    ['size negative', goodMeta({ size: -1 })],
    ['format 2', goodMeta({ format: 2 })],
    ['format "1"', goodMeta({ format: '1' })],
    ['format missing', goodMeta({ format: undefined })],
    ['start not an oid', goodMeta({ start: '0'.repeat(39) })],
    ['end upper case', goodMeta({ end: 'E'.repeat(40) })],
    ['end missing', goodMeta({ end: undefined })],
    ['file with a slash', goodMeta({ file: '../x.bundle' })],
    ['file absolute', goodMeta({ file: '/etc/passwd' })],
    ['file hidden', goodMeta({ file: '.x.bundle' })],
    ['file empty', goodMeta({ file: '' })],
    ['file too long', goodMeta({ file: 'a'.repeat(201) })],
    ['size as a string', goodMeta({ size: '12345' })],
    ['size fractional', goodMeta({ size: 1.5 })],
    ['size beyond 2^53', goodMeta({ size: 2 ** 53 })],
    ['sha256 short', goodMeta({ sha256: 'f'.repeat(63) })],
    ['sha256 upper case', goodMeta({ sha256: 'F'.repeat(64) })],
    ['sha256 missing', goodMeta({ sha256: undefined })],
    ['infoHash upper case', goodMeta({ infoHash: 'A'.repeat(40) })],
    ['infoHash base32', goodMeta({ infoHash: 'A'.repeat(32) })],
    ['refs not an array', goodMeta({ refs: {} })],
    ['ref with an unsafe name', goodMeta({ refs: [{ name: 'refs/heads/../x', oid: A }] })],
    ['ref with a bad oid', goodMeta({ refs: [{ name: 'refs/heads/main', oid: 'x' }] })],
    ['ref null', goodMeta({ refs: [null] })],
    ['ref a string', goodMeta({ refs: ['refs/heads/main'] })],
    ['head unsafe', goodMeta({ head: 'main' })],
    ['head missing', goodMeta({ head: undefined })],
    ['created a number', goodMeta({ created: 1 })],
    ['mtimeMs a string', goodMeta({ mtimeMs: '1' })],
    ['mtimeMs missing', goodMeta({ mtimeMs: undefined })],
    ['pointer without its signature', goodMeta({ pointer: { ...POINTER, sig: undefined } })],
    ['pointer with a short signature', goodMeta({ pointer: { ...POINTER, sig: 'ab'.repeat(63) } })],
    ['pointer with another key type', goodMeta({ pointer: { ...POINTER, key: 'ssh-rsa AAAA' } })],
    ['pointer with a project over 64 bytes', goodMeta({ pointer: { ...POINTER, project: 'p'.repeat(65) } })],
    ['pointer with a negative seq', goodMeta({ pointer: { ...POINTER, seq: -1 } })],
    ['pointer with an extra field', goodMeta({ pointer: { ...POINTER, extra: 1 } })]
  ]
  for (const [name, m] of cases) {
    const field = name.split(' ')[0]!.replace(/^ref$/, 'refs')
    await t.test(name, () => assert.throws(() => parseBundleMeta(JSON.stringify(m)), { message: `meta.json: field ${field} is missing or invalid` }))
  }
})

test('parseBundleMeta: text that is not a JSON object throws', async (t) => {
  for (const text of ['', '{', 'not json', '[]', '"x"', '42', 'true']) {
    await t.test(JSON.stringify(text), () => assert.throws(() => parseBundleMeta(text)))
  }
})

test('parseBundleMeta: "null" is refused like any other wrong shape', () => {
  assert.throws(() => parseBundleMeta('null'), { message: 'meta.json is not an object' })
})

test('parseBundleMeta: an unknown field is refused, by name', () => {
  assert.throws(() => parseBundleMeta(JSON.stringify(goodMeta({ extra: 1 } as never))), { message: 'meta.json: unknown field extra' })
})
