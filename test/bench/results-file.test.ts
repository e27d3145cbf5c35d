import assert from 'node:assert/strict'
import { test } from 'node:test'
import { mergeSections, parseSections, printSection, provenance, sameExcept, targetRows, type Section, type Stamp } from '../../bench/results-file.js'

const old: Stamp = { date: '2026-12-01T12:05:30.157Z', command: 'npm run bench -- --size large --scale', seconds: 717.2, repeat: 3 }
const now: Stamp = { date: '2026-12-02T09:00:00.000Z', command: 'node dist/bench/run.js --only fetch', seconds: 80.4, repeat: 5 }
const targets = (...rows: string[]): string => ['| target | measured (medians) | limit | result |', '|---|---|---|---|', ...rows].join('\n')
const section = (name: string, stamp: Stamp, body: string): Section => ({ name, stamp, text: `## ${name}\n\n${body}` })

test('parseSections reads what printSection writes, text around the sections ignored', () => {
  const sections = [
    section('clone', old, `rows\n\n${targets('| clone time | 1.585 | <= 1.1 | **FAIL** |')}\n\n## A heading inside\n\nmore`),
    section('fetch', now, 'Not run in this invocation (--only).'),
    { name: 'odd', stamp: { ...old, command: 'echo "<!-- x -->" --> and \\ back' }, text: '## odd\n\n<!-- a comment of its own -->' }
  ]
  const text = ['# title', '', 'header', '', ...sections.map(printSection), '', '## How to reproduce', ''].join('\n')
  assert.deepEqual(parseSections(text), sections)
  assert.ok(!text.includes('"<!-- x -->"'), 'a stamp cannot end its comment')
  assert.deepEqual(parseSections('# no sections\n\n## Machine\n'), [])
})

test('parseSections refuses markers that do not pair', () => {
  const b = (name: string): string => `<!-- bench:begin ${name} ${JSON.stringify(old)} -->`
  const e = (name: string): string => `<!-- bench:end ${name} -->`
  const cases: Array<[string, RegExp]> = [
    [[b('clone'), 'x'].join('\n'), /section clone does not end/],
    [[b('clone'), b('fetch'), e('fetch'), e('clone')].join('\n'), /begins inside section clone/],
    [[e('clone')].join('\n'), /which did not begin/],
    [[b('clone'), e('fetch')].join('\n'), /inside section clone/],
    [[b('clone'), e('clone'), b('clone'), e('clone')].join('\n'), /appears twice/],
    [['<!-- bench:begin clone {"date":"x"} -->', e('clone')].join('\n'), /needs date, command, seconds and repeat/]
  ]
  for (const [text, error] of cases) assert.throws(() => parseSections(text), error, text)
})

test('mergeSections: the fresh order; a replaced section or one the old file lacks is fresh, every other one kept', () => {
  const fresh = ['machine', 'clone', 'fetch', 'probe'].map(n => section(n, now, `new ${n}`))
  const kept = ['probe', 'machine', 'clone', 'gone'].map(n => section(n, old, `old ${n}`))
  const merged = mergeSections(fresh, kept, new Set(['fetch', 'probe']))
  assert.deepEqual(merged.map(s => [s.name, s.stamp.date, s.text.split('\n').at(-1)]), [
    ['machine', old.date, 'old machine'],
    ['clone', old.date, 'old clone'],
    ['fetch', now.date, 'new fetch'],
    ['probe', now.date, 'new probe']
  ])
  assert.deepEqual(mergeSections(fresh, [], new Set()), fresh)
})

test('targetRows: the rows of every target table, in section order; provenance: each run with its headings, oldest first', () => {
  const sections = [
    section('fetch', now, targets('| fetch a | 0.100 | <= 0.2 | **PASS** |', '| fetch b | 2.000 | <= 1.5 | **FAIL** |') + '\n\nafter'),
    section('clone', old, `| clone | run |\n|---|---|\n| a | 1 |\n\n${targets('| clone time | 1.585 | <= 1.1 | **FAIL** |')}`),
    section('probe', old, 'no table')
  ]
  assert.deepEqual(targetRows(sections), ['| fetch a | 0.100 | <= 0.2 | **PASS** |', '| fetch b | 2.000 | <= 1.5 | **FAIL** |', '| clone time | 1.585 | <= 1.1 | **FAIL** |'])
  assert.deepEqual(provenance(sections), [{ stamp: old, headings: ['clone', 'probe'] }, { stamp: now, headings: ['fetch'] }])
})

test('sameExcept: equal once the ignored lines are left out', () => {
  const a = section('machine', old, '| CPU | x |\n| load average (1 min) | 0.5 |')
  const cases: Array<[string, boolean]> = [
    ['| CPU | x |\n| load average (1 min) | 5.9 |', true],
    ['| CPU | y |\n| load average (1 min) | 0.5 |', false],
    ['| CPU | x |', true]
  ]
  for (const [body, same] of cases) assert.equal(sameExcept(a, section('machine', now, body), /^\| load average /), same, body)
})
