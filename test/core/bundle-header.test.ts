import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseBundleHeader } from '../../src/core/bundle-header.js'

const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const C = 'c'.repeat(40)
const PACK = Buffer.from('PACK\x00\x00\x00\x02\x00\x00\x00\x00', 'latin1')

function bytes (text: string, tail: Buffer = PACK): Uint8Array {
  return Buffer.concat([Buffer.from(text, 'utf8'), tail])
}

test('parseBundleHeader: accepted headers', async (t) => {
  const cases: Array<{ name: string, text: string, want: { version: 2 | 3, capabilities: Record<string, string | true>, prerequisites: string[], refs: Array<{ name: string, oid: string }> } }> = [
    {
      name: 'v2, one ref',
      text: `# v2 git bundle\n${A} refs/heads/main\n\n`,
      want: { version: 2, capabilities: {}, prerequisites: [], refs: [{ name: 'refs/heads/main', oid: A }] }
    },
    {
      name: 'v2, refs in the order given, HEAD included',
      text: `# v2 git bundle\n${A} refs/heads/main\n${B} refs/tags/v1\n${A} HEAD\n\n`,
      want: { version: 2, capabilities: {}, prerequisites: [], refs: [{ name: 'refs/heads/main', oid: A }, { name: 'refs/tags/v1', oid: B }, { name: 'HEAD', oid: A }] }
    },
    {
      name: 'v2 with prerequisites, with and without a comment',
      text: `# v2 git bundle\n-${B} some commit subject\n-${C}\n${A} refs/heads/main\n\n`,
      want: { version: 2, capabilities: {}, prerequisites: [B, C], refs: [{ name: 'refs/heads/main', oid: A }] }
    },
    {
      name: 'v3 with object-format=sha1',
      text: `# v3 git bundle\n@object-format=sha1\n${A} refs/heads/main\n\n`,
      want: { version: 3, capabilities: { 'object-format': 'sha1' }, prerequisites: [], refs: [{ name: 'refs/heads/main', oid: A }] }
    },
    {
      name: 'v3 without capabilities',
      text: `# v3 git bundle\n${A} refs/heads/main\n\n`,
      want: { version: 3, capabilities: {}, prerequisites: [], refs: [{ name: 'refs/heads/main', oid: A }] }
    },
    {
      name: 'non-ASCII ref name',
      text: `# v2 git bundle\n${A} refs/heads/caf\u00e9\n\n`,
      want: { version: 2, capabilities: {}, prerequisites: [], refs: [{ name: 'refs/heads/caf\u00e9', oid: A }] }
    }
  ]
  for (const c of cases) {
    await t.test(c.name, () => {
      const input = bytes(c.text)
      const h = parseBundleHeader(input)
      assert.ok(h !== null)
      assert.deepEqual({ version: h.version, capabilities: h.capabilities, prerequisites: h.prerequisites, refs: h.refs }, c.want)
      // length counts bytes (not characters) up to and including the blank line
      assert.equal(h.length, Buffer.byteLength(c.text))
      assert.equal(Buffer.from(input).subarray(h.length, h.length + 4).toString('latin1'), 'PACK')
    })
  }
})

test('parseBundleHeader: length points exactly at the pack, also with nothing after it', () => {
  const text = `# v2 git bundle\n${A} refs/heads/main\n\n`
  const h = parseBundleHeader(Buffer.from(text))
  assert.ok(h !== null)
  assert.equal(h.length, text.length)
})

test('parseBundleHeader: works on a Uint8Array view into a larger buffer', () => {
  const text = `# v2 git bundle\n${A} refs/heads/main\n\n`
  const big = Buffer.concat([Buffer.from('garbage!'), Buffer.from(text), PACK])
  const view = new Uint8Array(big.buffer, big.byteOffset + 8, big.length - 8)
  const h = parseBundleHeader(view)
  assert.ok(h !== null)
  assert.equal(h.length, text.length)
  assert.deepEqual(h.refs, [{ name: 'refs/heads/main', oid: A }])
})

test('parseBundleHeader: incomplete input returns null', () => {
  for (const full of [
    `# v3 git bundle\n@object-format=sha1\n-${B} x\n${A} refs/heads/main\n${B} refs/tags/v1\n\n`,
    `# v2 git bundle\n-${B}\n${A} refs/heads/main\n\n`
  ]) {
    // every proper prefix of a valid header is "read more", never an error
    for (let n = 0; n < full.length; n++) {
      assert.equal(parseBundleHeader(Buffer.from(full.slice(0, n))), null, `prefix of ${n} bytes: ${JSON.stringify(full.slice(0, n))}`)
    }
    assert.notEqual(parseBundleHeader(Buffer.from(full)), null)
  }
})

test('parseBundleHeader: not a bundle', async (t) => {
  const cases: Array<[string, string]> = [
    ['a line that is not the signature', 'hello world\nmore\n'],
    ['v1 signature', `# v1 git bundle\n${A} refs/heads/main\n\n`],
    ['v4 signature', `# v4 git bundle\n${A} refs/heads/main\n\n`],
    ['signature with trailing space', `# v2 git bundle \n${A} refs/heads/main\n\n`],
    ['CRLF signature', `# v2 git bundle\r\n${A} refs/heads/main\r\n\r\n`],
    ['16 bytes of something else, no newline yet', 'PACK\x00\x00\x00\x02xxxxxxxxxxxxxxxx'],
    ['a torrent file', 'd8:announce35:udp://tracker.example:1337/announce4:infod6:lengthi1e'],
    ['empty first line', '\n# v2 git bundle\n']
  ]
  for (const [name, text] of cases) {
    await t.test(name, () => {
      assert.throws(() => parseBundleHeader(Buffer.from(text, 'latin1')), {
        name: 'MirrorError', code: 'BAD_BUNDLE', message: /not a git bundle/
      })
    })
  }
})

test('parseBundleHeader: malformed lines name the line', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['short oid', `# v2 git bundle\n${'a'.repeat(39)} refs/heads/main\n\n`, /line 2: malformed reference/],
    ['upper-case oid', `# v2 git bundle\n${'A'.repeat(40)} refs/heads/main\n\n`, /line 2: malformed reference/],
    ['tab instead of space', `# v2 git bundle\n${A}\trefs/heads/main\n\n`, /line 2: malformed reference/],
    ['two spaces', `# v2 git bundle\n${A}  refs/heads/main\n\n`, /line 2: malformed reference/],
    ['no ref name', `# v2 git bundle\n${A}\n\n`, /line 2: malformed reference/],
    ['unsafe ref name ..', `# v2 git bundle\n${A} refs/heads/../../etc\n\n`, /line 2: malformed reference/],
    ['ref name outside refs/', `# v2 git bundle\n${A} main\n\n`, /line 2: malformed reference/],
    ['ref name with CR', `# v2 git bundle\n${A} refs/heads/main\r\n\n`, /line 2: malformed reference/],
    ['bad prerequisite oid', `# v2 git bundle\n-${'g'.repeat(40)}\n${A} refs/heads/main\n\n`, /line 2: malformed prerequisite/],
    ['prerequisite glued to comment', `# v2 git bundle\n-${B}x\n${A} refs/heads/main\n\n`, /line 2: malformed prerequisite/],
    ['capability in v2', `# v2 git bundle\n@object-format=sha1\n${A} refs/heads/main\n\n`, /line 2: capability outside a v3 header/],
    ['capability after a prerequisite', `# v3 git bundle\n-${B}\n@object-format=sha1\n${A} refs/heads/main\n\n`, /line 3: capability outside a v3 header/],
    ['capability after a ref', `# v3 git bundle\n${A} refs/heads/main\n@object-format=sha1\n\n`, /line 3: capability outside a v3 header/],
    ['malformed capability key', `# v3 git bundle\n@Object-Format=sha1\n${A} refs/heads/main\n\n`, /line 2: malformed capability/],
    ['empty capability key', `# v3 git bundle\n@=x\n${A} refs/heads/main\n\n`, /line 2: malformed capability/],
    ['duplicate ref', `# v2 git bundle\n${A} refs/heads/main\n${B} refs/heads/main\n\n`, /line 3: duplicate reference refs\/heads\/main/],
    ['no refs at all', '# v2 git bundle\n\n', /names no references/],
    ['only prerequisites', `# v2 git bundle\n-${B}\n\n`, /names no references/]
  ]
  for (const [name, text, message] of cases) {
    await t.test(name, () => {
      assert.throws(() => parseBundleHeader(Buffer.from(text)), { name: 'MirrorError', code: 'BAD_BUNDLE', message })
    })
  }
})

test('parseBundleHeader: line number is in data', () => {
  assert.throws(() => parseBundleHeader(Buffer.from(`# v2 git bundle\n${A} refs/heads/main\n${A} refs/heads/main\n\n`)),
    (err: any) => err.code === 'BAD_BUNDLE' && err.data.line === 3)
})

test('parseBundleHeader: unsupported capabilities', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['object-format=sha256 (hand-made, sha1-sized ids)', `# v3 git bundle\n@object-format=sha256\n${A} refs/heads/main\n\n`, /unsupported object format sha256/],
    ['object-format with an unknown name', `# v3 git bundle\n@object-format=md5\n${A} refs/heads/main\n\n`, /unsupported object format md5/],
    ['filter', `# v3 git bundle\n@object-format=sha1\n@filter=blob:none\n${A} refs/heads/main\n\n`, /filtered \(partial\) bundles are not supported/]
  ]
  for (const [name, text, message] of cases) {
    await t.test(name, () => {
      assert.throws(() => parseBundleHeader(Buffer.from(text)), { name: 'MirrorError', code: 'BAD_BUNDLE', message })
    })
  }
})

test('parseBundleHeader: a sha256 bundle (64-hex ids) is rejected for its object format', () => {
  const X = 'f'.repeat(64)
  assert.throws(() => parseBundleHeader(Buffer.from(`# v3 git bundle\n@object-format=sha256\n${X} refs/heads/main\n${X} HEAD\n\n`)),
    { name: 'MirrorError', code: 'BAD_BUNDLE', message: /sha256/ })
})

test('parseBundleHeader: an unknown capability is refused, as git does', () => {
  assert.throws(() => parseBundleHeader(Buffer.from(`# v3 git bundle\n@object-format=sha1\n@x-future=1\n${A} refs/heads/main\n\n`)),
    { name: 'MirrorError', code: 'BAD_BUNDLE', message: /x-future/ })
})
