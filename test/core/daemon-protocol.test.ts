import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { formatMessage, isRemoteName, MAX_COMMAND_BYTES, MAX_TEXT_CHARS, parseCommand, parseMessage, type Message } from '../../src/core/daemon-protocol.js'

test('parseCommand: the four commands, and why anything else is not one', () => {
  const cases: Array<[string, unknown]> = [
    ['PAUSE', { kind: 'PAUSE' }],
    ['RESUME', { kind: 'RESUME' }],
    ['RELOAD', { kind: 'RELOAD' }],
    ['PUSH origin', { kind: 'PUSH', remote: 'origin' }],
    ['PUSH up/stream.x', { kind: 'PUSH', remote: 'up/stream.x' }],
    ['PAUSE\r', { kind: 'PAUSE' }],
    ['PAUSE now', { kind: 'invalid', why: 'PAUSE takes no argument' }],
    ['PUSH', { kind: 'invalid', why: 'PUSH takes one remote name' }],
    ['PUSH a b', { kind: 'invalid', why: 'PUSH takes one remote name' }],
    ['PUSH -x', { kind: 'invalid', why: 'PUSH takes one remote name' }],
    ['PUSH a..b', { kind: 'invalid', why: 'PUSH takes one remote name' }],
    ['PUSH  origin', { kind: 'invalid', why: 'PUSH takes one remote name' }],
    ['pause', { kind: 'invalid', why: 'unknown command "pause"' }],
    ['', { kind: 'invalid', why: 'an empty line' }],
    [`PUSH ${'a'.repeat(MAX_COMMAND_BYTES)}`, { kind: 'invalid', why: `a line over ${MAX_COMMAND_BYTES} bytes` }]
  ]
  for (const [line, want] of cases) assert.deepEqual(parseCommand(line), want, JSON.stringify(line.slice(0, 30)))
})

test('formatMessage: one line, control characters as spaces, long texts cut, a bad remote name as -', () => {
  assert.equal(formatMessage({ kind: 'CHANGED', remote: 'origin', refs: ['refs/mirrors/bundle/list', 'refs/mirrors/push'] }), 'CHANGED origin refs/mirrors/bundle/list refs/mirrors/push\n')
  assert.equal(formatMessage({ kind: 'STATUS', remote: '-', text: 'two\nlines\r\tand a tab' }), 'STATUS - two lines and a tab\n')
  assert.equal(formatMessage({ kind: 'ERROR', remote: 'bad name', text: '' }), 'ERROR - -\n')
  const long = formatMessage({ kind: 'ERROR', remote: 'o', text: 'x'.repeat(5000) })
  assert.equal(long.length, 'ERROR o '.length + MAX_TEXT_CHARS + 1)
  assert.throws(() => formatMessage({ kind: 'CHANGED', remote: 'o', refs: ['not a ref'] }), RangeError)
})

const remote = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,20}$/).filter(isRemoteName)
const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ kind: fc.constant('CHANGED' as const), remote, refs: fc.array(fc.stringMatching(/^refs\/[a-z]{1,8}(\/[a-z0-9._-]{1,8}){0,3}$/), { minLength: 1, maxLength: 5 }) }),
  fc.record({ kind: fc.constantFrom('STATUS' as const, 'ERROR' as const), remote: fc.oneof(remote, fc.constant('-')), text: fc.string({ maxLength: 200 }) })
)

test('property: every message prints as one line that reads back; any input line is a command or a reason, never a throw', () => {
  fc.assert(fc.property(message, m => {
    const line = formatMessage(m)
    assert.equal(line.indexOf('\n'), line.length - 1, 'one line')
    const back = parseMessage(line)
    assert.ok(back !== null)
    assert.equal(back.kind, m.kind)
    assert.equal(back.remote, m.remote)
    if (m.kind === 'CHANGED') assert.deepEqual((back as typeof m).refs, m.refs)
    else assert.equal((back as { text: string }).text, m.text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim() || '-')
  }), { seed: 17, numRuns: 500 })
  fc.assert(fc.property(fc.string({ maxLength: 300 }), line => {
    const c = parseCommand(line)
    assert.ok(['PAUSE', 'RESUME', 'RELOAD', 'PUSH', 'invalid'].includes(c.kind))
    if (c.kind === 'invalid') assert.ok(c.why.length > 0 && !c.why.includes('\n'))
  }), { seed: 18, numRuns: 1000 })
})
