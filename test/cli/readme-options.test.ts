// README.md is the manual: every option --help shows has its entry in the
// command's section (the network options in theirs), and every option a
// section's table names exists. Adding a flag without documenting it fails here.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import type { Command } from 'commander'
import { cloneCommand } from '../../src/cli/clone-command.js'
import { daemonCommand } from '../../src/cli/daemon-command.js'
import { fetchCommand } from '../../src/cli/fetch-command.js'
import { keygenCommand } from '../../src/cli/keygen-command.js'
import { publishCommand } from '../../src/cli/publish-command.js'
import { seedCommand } from '../../src/cli/seed-command.js'
import { verifyCommand } from '../../src/cli/verify-command.js'
import { repoRoot } from '../helpers/processes.js'

const README = readFileSync(path.join(repoRoot(), 'README.md'), 'utf8')

/** The text of `## <title>` up to the next `## `. */
function section (title: string): string {
  const start = README.indexOf(`\n## ${title}\n`)
  assert.notEqual(start, -1, `README has a "## ${title}" section`)
  const end = README.indexOf('\n## ', start + 1)
  return README.slice(start, end === -1 ? undefined : end)
}

/** The long flags of a section's table rows' first cells. */
function tableFlags (text: string): Set<string> {
  const flags = new Set<string>()
  for (const line of text.split('\n')) {
    const cell = /^\| ([^|]*(?:\\\|[^|]*)*) \|/.exec(line)?.[1]
    for (const m of cell?.matchAll(/--[a-z][a-z0-9-]*/g) ?? []) flags.add(m[0])
  }
  return flags
}

const mentions = (text: string, flag: string): boolean => new RegExp(`(^|[\\s\`\\[(,|])${flag}\\b`).test(text)

const COMMANDS: Array<[string, (name: string) => Command]> = [
  ['mirror-publish', publishCommand], ['mirror-clone', cloneCommand], ['mirror-fetch', fetchCommand], ['mirror-daemon', daemonCommand], ['mirror-seed', seedCommand],
  ['mirror-keygen', keygenCommand], ['mirror-verify', verifyCommand]
]

test('README documents every option --help shows, and names none that does not exist', () => {
  const network = section('Network options')
  const networkFlags = tableFlags(network)
  for (const [name, make] of COMMANDS) {
    const cmd = make(name)
    const own = section(name)
    const visible = cmd.options.filter(o => !(o as { hidden?: boolean }).hidden).map(o => o.long).filter((l): l is string => l !== undefined)
    for (const flag of visible) {
      assert.ok(mentions(own, flag) || networkFlags.has(flag), `${name} ${flag} is in --help but not in README's "## ${name}" or "## Network options"`)
    }
    const all = new Set(cmd.options.map(o => o.long))
    for (const flag of tableFlags(own)) {
      assert.ok(all.has(flag) || flag.startsWith('--no-') && all.has(`--${flag.slice(5)}`), `README's "## ${name}" table names ${flag}, which ${name} does not take`)
    }
  }
  const everyone = new Set(COMMANDS.flatMap(([name, make]) => make(name).options.map(o => o.long)))
  for (const flag of networkFlags) assert.ok(everyone.has(flag), `README's network options name ${flag}, which no command takes`)
})
