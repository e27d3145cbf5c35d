// Properties of the parsers of this origin words: mirror.visibility,
// what an origin's URL or anonymous answer says, the refusal line, and the
// ssh cause git's last line hides. Any input: an answer or a named refusal,
// never a crash; a password never reaches the refusal line.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { isMirrorError } from '../../src/core/errors.js'
import { hiddenRemoteCause } from '../../src/core/remote-cause.js'
import { accessOfAnswer, accessOfUrl, parseVisibility, publicRefusal } from '../../src/core/visibility.js'

const RUNS = { seed: 14, numRuns: 400 }
const NET = { trackers: null, dht: true, dhtBootstrap: null, lsd: true }

test('parseVisibility: public, private, or BAD_OPTION, for any text', () => {
  fc.assert(fc.property(fc.string({ maxLength: 40 }), v => {
    try {
      const r = parseVisibility(v)
      assert.ok(r === 'public' || r === 'private')
      assert.equal(r, v.trim().toLowerCase())
    } catch (err) {
      assert.ok(isMirrorError(err, 'BAD_OPTION'), String(err))
    }
  }), RUNS)
})

test('accessOfUrl and accessOfAnswer: a kind and a reason for anything; a URL with a user name is never anonymous', () => {
  const kinds = ['anonymous', 'authenticated', 'unknown', 'ask']
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.webUrl({ withQueryParameters: true })), url => {
    const a = accessOfUrl(url)
    assert.ok(kinds.includes(a.kind))
    if (a.kind !== 'ask') assert.ok(a.why.length > 0)
  }), RUNS)
  fc.assert(fc.property(fc.webUrl(), fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[^/@:\s]{1,12}$/), (base, user, password) => {
    const withUser = base.replace('://', `://${user}:${encodeURIComponent(password)}@`)
    const a = accessOfUrl(withUser)
    assert.notEqual(a.kind, 'anonymous', withUser)
    const line = publicRefusal(withUser, a.kind === 'ask' ? { kind: 'unknown', why: 'x' } : a, NET)
    assert.ok(line !== null && !line.includes(`:${encodeURIComponent(password)}@`), line ?? '')
  }), RUNS)
  fc.assert(fc.property(fc.integer({ min: 100, max: 599 }), fc.option(fc.string({ maxLength: 60 })), (status, contentType) => {
    const a = accessOfAnswer({ status, contentType })
    assert.ok(['anonymous', 'authenticated', 'unknown'].includes(a.kind))
    if (status !== 200) assert.notEqual(a.kind, 'anonymous', 'only an advertisement makes an origin public')
  }), RUNS)
})

test('hiddenRemoteCause: null, or a line of what git wrote that stood before its last word', () => {
  const line = fc.string({ maxLength: 60 }).filter(l => !/[\r\n]/.test(l))
  fc.assert(fc.property(fc.array(line, { maxLength: 8 }), fc.boolean(), (lines, lastWord) => {
    const stderr = [...lines, ...(lastWord ? ['fatal: Could not read from remote repository.'] : [])].join('\n')
    const cause = hiddenRemoteCause(stderr)
    if (cause === null) return
    assert.ok(stderr.includes(cause), cause)
    assert.ok(!/[\r\n]/.test(cause) && cause.trim() === cause && cause !== '')
  }), RUNS)
})
