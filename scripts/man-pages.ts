// node dist/scripts/man-pages.js DIR: writes the man pages of every executable
// into DIR/man1 (the package's are made at pack time by scripts/pack.ts).
// Each command gets two pages with the same text: git-mirror-<sub>(1), which
// `git help mirror-<sub>` and `git mirror <sub> --help` open, and
// mirror-<sub>(1) for its own executable; git-mirror(1), which
// `git mirror --help` opens, lists them all. And gitmirror-<sub>(1), a `.so`
// link to git-mirror-<sub>(1): git 2.39 opens `git help X` as git-X(1) only
// when a git-X executable is on PATH, and as gitX(1) (its guides' names)
// otherwise; there is no git-mirror-clone executable, so `git help
// mirror-clone` looks for gitmirror-clone(1).
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Command } from 'commander'
import { manPage } from '../src/cli/man-page.js'
import { PROGRAMS, programCommand } from '../src/cli/main.js'
import { VERSION } from '../src/core/version.js'
import { isMain } from '../test/helpers/processes.js'

/** Every page's file name (relative to the man directory, `man1/x.1`) and text. */
export function manPages (date: string): Array<{ file: string, text: string }> {
  const source = `git-torrent-mirror ${VERSION}`
  const dispatcher = programCommand('git-mirror')
  const subs = dispatcher.commands.filter(c => c.name() !== 'help')
  const page = (name: string, cmd: Command, seeAlso: string[]): { file: string, text: string } =>
    ({ file: `man1/${name}.1`, text: manPage(cmd, { name, source, date, seeAlso }) })
  return [
    page('git-mirror', dispatcher, [...subs.map(c => `git-mirror-${c.name()}(1)`), 'git(1)']),
    ...subs.map(c => page(`git-mirror-${c.name()}`, c, ['git-mirror(1)', `mirror-${c.name()}(1)`])),
    ...subs.map(c => ({ file: `man1/gitmirror-${c.name()}.1`, text: `.so man1/git-mirror-${c.name()}.1\n` })),
    ...PROGRAMS.filter(p => p !== 'git-mirror').map(p => page(p, programCommand(p), [`git-${p}(1)`, 'git-mirror(1)']))
  ]
}

/** Writes them under dir; returns their paths relative to dir. */
export async function writeManPages (dir: string, date = manDate()): Promise<string[]> {
  const pages = manPages(date)
  for (const { file, text } of pages) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true })
    await writeFile(path.join(dir, file), text)
  }
  return pages.map(p => p.file)
}

/** Today, or SOURCE_DATE_EPOCH's day for a reproducible build. */
function manDate (): string {
  const epoch = process.env.SOURCE_DATE_EPOCH
  return new Date(epoch === undefined ? Date.now() : Number(epoch) * 1000).toISOString().slice(0, 10)
}

if (isMain(import.meta.url)) {
  const dir = process.argv[2]
  if (dir === undefined) {
    process.stderr.write('usage: node dist/scripts/man-pages.js DIR\n')
    process.exit(2)
  }
  for (const file of await writeManPages(dir)) process.stdout.write(`${path.join(dir, file)}\n`)
}
