import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { credentialsMessage, credentialsNeeded } from '../../src/core/credentials-needed.js'

test('credentialsNeeded reads the URL from git\'s "could not read" lines', () => {
  // as git 2.39 writes them, with prompts disabled and with no terminal to open
  assert.equal(credentialsNeeded("fatal: could not read Username for 'http://127.0.0.1:4321': terminal prompts disabled\n"), 'http://127.0.0.1:4321')
  assert.equal(credentialsNeeded("error: could not read Password for 'https://alice@git.example.org': No such device or address\nfatal: ..."), 'https://alice@git.example.org')
  assert.equal(credentialsNeeded("fatal: Authentication failed for 'https://git.example.org/x.git/'\n"), null, 'a wrong password is git\'s own message')
  assert.equal(credentialsNeeded('fatal: repository not found'), null)
  assert.equal(credentialsNeeded("could not read Username for '"), null)
  assert.match(credentialsMessage('https://h'), /^https:\/\/h asks for a user name and password, and there is no terminal to ask on: configure a credential helper/)
})

test('credentialsNeeded: any stderr, never a throw; a URL found is always one line from the text', () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 80 }), fc.string({ maxLength: 80 }), (before, url, after) => {
    const plain = credentialsNeeded(before)
    assert.ok(plain === null || before.includes(plain))
    const wrapped = `${before}could not read Username for '${url}'${after}`
    const found = credentialsNeeded(wrapped)
    if (!url.includes("'") && !url.includes('\n') && url.length > 0 && !before.includes('could not read')) assert.equal(found, url)
    assert.ok(found === null || (!found.includes('\n') && wrapped.includes(found)))
  }), { seed: 14, numRuns: 500 })
})
