import assert from 'node:assert/strict'
import { test } from 'node:test'
import { publishedManifest } from '../../scripts/published-manifest.js'

const REPO = {
  name: 'p',
  version: '1.0.0',
  private: true,
  bin: { p: 'bin/p.js' },
  files: ['bin', 'dist/src', 'dist/node_modules', 'man'],
  scripts: { prepack: 'exit 1' },
  dependencies: { webtorrent: '^2.8.5' },
  devDependencies: { typescript: '^7' },
  overrides: { 'ip-set': '2.2.0' }
}
const PARTS = { platformPackages: { '@node-datachannel/linux-x64-gnu': '0.33.4' }, man: ['man/man1/p.1'] }

test('publishedManifest: what ships, what stays in the checkout', () => {
  const out = publishedManifest(REPO, PARTS)
  const table: Array<[string, unknown]> = [
    ['private', undefined],          // the checkout is private so that nobody publishes it as is
    ['overrides', undefined],
    ['devDependencies', undefined],
    ['scripts', undefined],           // nothing runs at install
    ['dependencies', undefined],      // shipped in dist/node_modules
    ['bundleDependencies', undefined],
    ['optionalDependencies', { '@node-datachannel/linux-x64-gnu': '0.33.4' }],
    ['man', ['man/man1/p.1']],
    ['bin', { p: 'bin/p.js' }],
    ['files', ['bin', 'dist/src', 'dist/node_modules', 'man']]
  ]
  for (const [key, expected] of table) assert.deepEqual(out[key], expected, key)
})

test('publishedManifest: a platform package that is also shipped is refused', () => {
  assert.throws(() => publishedManifest({ ...REPO, dependencies: { '@node-datachannel/linux-x64-gnu': '0.33.4' } }, PARTS), /both shipped/)
})
