import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Command, Option } from 'commander'
import { escape, manPage } from '../../src/cli/man-page.js'
import { programCommand } from '../../src/cli/main.js'

const META = { name: 'tool-run', source: 'pkg 1.0', date: '2024-01-01' }

/** A command with one of everything the renderer handles. */
function sample (): Command {
  const cmd = new Command('tool run')
    .description('Run a thing. Then more about it.')
    .argument('<url>', 'where from')
    .argument('[dirs...]', 'where to')
    .option('-n, --no-check', 'do not check')
    .option('--rate <n>', 'how fast', '32K')
    .addOption(new Option('--size <s>', 'how big').default(1024, '1K'))
  cmd.addHelpText('after', `
A paragraph that
goes on.
.a line that starts with a dot, a \\backslash

Examples:
  $ tool run --rate 1M URL`)
  return cmd.version('1.0')
}

test('manPage: the sections, terms and text of a command, in roff', () => {
  const lines = manPage(sample(), { ...META, seeAlso: ['tool(1)'] }).split('\n')
  const table: Array<[string, string[]]> = [
    ['header', ['.TH "TOOL-RUN" "1" "2024-01-01" "pkg 1.0" "User Commands"', '.nh', '.ad l']],
    ['name: the first sentence', ['.SH NAME', 'tool\\-run \\- Run a thing']],
    ['synopsis', ['.SH SYNOPSIS', '.B tool run', '[options] <url> [dirs...]']],
    ['description', ['.SH DESCRIPTION', '.PP', 'Run a thing. Then more about it.']],
    ['arguments', ['.SH ARGUMENTS', '.TP', '\\fBurl\\fR', 'where from', '.TP', '\\fBdirs\\fR', 'where to']],
    ['negated flag and short flag', ['.TP', '\\fB\\-n\\fR, \\fB\\-\\-no\\-check\\fR', 'do not check']],
    ['a default', ['.TP', '\\fB\\-\\-rate\\fR \\fI<n>\\fR', 'how fast (default: "32K")']],
    ['a described default', ['.TP', '\\fB\\-\\-size\\fR \\fI<s>\\fR', 'how big (default: 1K)']],
    ['version and help, as --help lists them', ['.TP', '\\fB\\-V\\fR, \\fB\\-\\-version\\fR', 'output the version number', '.TP', '\\fB\\-h\\fR, \\fB\\-\\-help\\fR']],
    ['help text: a filled paragraph, a literal dot and backslash', ['.SH DETAILS', '.PP', 'A paragraph that', 'goes on.', '\\&.a line that starts with a dot, a \\ebackslash']],
    ['help text: indented lines stay as they are', ['.PP', 'Examples:', '.RS 4', '.nf', '$ tool run \\-\\-rate 1M URL', '.fi', '.RE']],
    ['see also', ['.SH SEE ALSO', '.BR tool (1)']]
  ]
  for (const [what, expected] of table) {
    const at = lines.findIndex((_, i) => expected.every((l, j) => lines[i + j] === l))
    assert.ok(at !== -1, `${what}: expected consecutive lines\n${expected.join('\n')}\nin\n${lines.join('\n')}`)
  }
})

test('escape: minus signs, backslashes, a leading dot or quote', () => {
  const table: Array<[string, string]> = [
    ['--sources', '\\-\\-sources'],
    ['a\\b', 'a\\eb'],
    ['.x', '\\&.x'],
    ["'x", "\\&'x"],
    ['a.b', 'a.b']
  ]
  for (const [input, expected] of table) assert.equal(escape(input), expected, input)
})

test('every program\'s page lists each option --help lists', () => {
  for (const program of ['git-mirror', 'mirror-clone', 'mirror-publish', 'mirror-seed', 'mirror-keygen', 'mirror-verify']) {
    const cmd = programCommand(program)
    const page = manPage(cmd, { ...META, name: program })
    for (const o of cmd.options.filter(o => !o.hidden)) {   // hidden ones (--no-single-branch) are not in --help either
      assert.ok(page.includes(`\\fB${escape(o.long ?? o.short ?? '')}\\fR`), `${program}: ${o.flags}`)
    }
  }
  const clone = programCommand('git-mirror').commands.find(c => c.name() === 'clone')
  assert.ok(clone !== undefined)
  const page = manPage(clone, { ...META, name: 'git-mirror-clone' })
  assert.match(page, /^\.B git mirror clone$/m, 'a subcommand\'s synopsis names its parent')
  assert.match(page, /^\$ git mirror clone https:/m, 'its examples name it as typed')
})
