// isSafeRefName promises "a conservative subset of git check-ref-format".
// refs-check-ref-format.test.ts holds that against a fixed list; this one
// against generated names: safe characters mixed with everything git refuses
// ('..', '@{', '~', '^', ':', '?', '*', '[', '\', white space, control
// characters, '.lock', a leading '.', '//', a trailing '/' or '.'), each name
// isSafeRefName accepts handed to the real git.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fc from 'fast-check'
import { isSafeRefName } from '../../src/core/refs.js'
import { makeTestEnv } from '../helpers/env.js'

const SAFE = ['a', 'b', 'z', 'A', 'Z', '0', '9', '-', '_', '+', ',', '=', '%', '!', '#', '$', '&', '\'', '(', ')', ';', '<', '>', '|', '`', '"', '{', '}', '@',
  '.', 'lock', 'x.y', '\u00e9', '\u00a0', '\u{1F600}', '\u0085', '\u200b', '\ufeff', '\u2028', '\u65e5']
const DANGER = ['..', '@{', '~', '^', ':', '?', '*', '[', ']', '\\', ' ', '\t', '\n', '\r', '\u0001', '\u001f', '\u007f', '.lock', '/', '//', '/.', '\ufffd']

const component = fc.array(fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...SAFE) }, { weight: 1, arbitrary: fc.constantFrom(...DANGER) }), { maxLength: 6 })
  .map(atoms => atoms.join(''))
const mixed = fc.tuple(
  fc.constantFrom('refs/', 'refs/heads/', 'refs/tags/', 'refs/mirror/torrent/refs/heads/', 'refs/mirrors/bundle/'),
  fc.array(component, { minLength: 1, maxLength: 3 }),
  fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('/', '.', '.lock', '-', '@') })
).map(([prefix, parts, end]) => `${prefix}${parts.join('/')}${end}`)
/** A name of safe characters with one dangerous piece put in somewhere: each of git's rules on its own. */
const oneFlaw = fc.tuple(fc.stringMatching(/^refs\/heads\/[a-z0-9][a-z0-9_-]{0,6}(\/[a-z0-9][a-z0-9_-]{0,6}){0,2}$/), fc.constantFrom(...DANGER, '.', '@', '-'), fc.nat())
  .map(([name, piece, at]) => {
    const i = 'refs/'.length + at % (name.length - 'refs/'.length + 1)
    return name.slice(0, i) + piece + name.slice(i)
  })
const refName = fc.oneof(mixed, oneFlaw)

test('isSafeRefName: property: every generated name it accepts, git check-ref-format accepts too', async (t) => {
  const te = await makeTestEnv('gtm-fuzz-refs-')
  t.after(async () => { await te.cleanup() })
  const gitAccepts = (name: string): boolean => {
    const r = spawnSync('git', ['check-ref-format', name], { cwd: te.dir, env: te.env, stdio: 'ignore' })
    if (r.error !== undefined) throw r.error
    return r.status === 0
  }
  let asked = 0
  let refused = 0
  // one git process per accepted name: about 150 of them
  fc.assert(fc.property(refName, (name) => {
    if (!isSafeRefName(name)) { refused++; return }
    asked++
    assert.ok(gitAccepts(name), `isSafeRefName accepts ${JSON.stringify(name)}, git check-ref-format does not`)
  }), { seed: 13, numRuns: 400 })
  t.diagnostic(`samples: ${asked} accepted and checked with git, ${refused} refused`)
  // both sides of isSafeRefName were reached
  assert.ok(asked >= 80 && refused >= 150, `${asked} accepted, ${refused} refused`)
})
