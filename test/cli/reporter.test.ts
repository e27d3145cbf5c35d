import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Reporter } from '../../src/cli/reporter.js'

/** A stand-in terminal stream: records what was written. */
function stream (isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  let out = ''
  return { isTTY, columns: 80, write: (s: string) => { out += s; return true }, text: () => out } as never
}

function reporter (o: { tty?: boolean, quiet?: boolean, json?: boolean } = {}): { r: Reporter, out: ReturnType<typeof stream>, err: ReturnType<typeof stream>, clock: { t: number } } {
  const out = stream(false)
  const err = stream(o.tty ?? false)
  const clock = { t: 1_000_000 }
  const r = new Reporter({ quiet: o.quiet ?? false, json: o.json ?? false, stdout: out, stderr: err, now: () => clock.t })
  return { r, out, err, clock }
}

test('plain mode: a line per phase change, at most one per 5 s, and the last state of each phase', () => {
  const { r, err, clock } = reporter()
  r.progress({ phase: 'download', loaded: 0, total: 1000 })
  for (let i = 1; i <= 10; i++) { clock.t += 400; r.progress({ phase: 'download', loaded: i * 100, total: 1000 }) }
  r.progress({ phase: 'index' })
  const lines = err.text().trim().split('\n')
  assert.equal(lines.length, 3, err.text())
  assert.match(lines[0]!, /^download\s+0%\s+0 B\/1000 B$/)
  assert.match(lines[1]!, /^download\s+100%\s+1000 B\/1000 B\s+\d+ B\/s\s+ETA 00:00$/)
  assert.match(lines[2]!, /^index/)
  assert.doesNotMatch(err.text(), /\r|\x1b/, 'no terminal control codes when stderr is not a terminal')
})

test('terminal mode: the bar redraws in place and ends with a newline before other output', () => {
  const { r, err, out, clock } = reporter({ tty: true })
  r.progress({ phase: 'bundle', loaded: 10, total: 100 })
  clock.t += 200
  r.progress({ phase: 'bundle', loaded: 60, total: 100 })
  r.result({}, ['done'])
  assert.match(err.text(), /^\r\x1b\[K.*\[#{2}\.{22}\]\s+10%.*\r\x1b\[K.*\[#{14}\.{10}\]\s+60%.*\n$/s)
  assert.equal(out.text(), 'done\n')
})

test('--quiet: no progress or info, but results and errors still print', () => {
  const { r, err, out } = reporter({ quiet: true })
  r.progress({ phase: 'download', loaded: 1, total: 2 })
  r.info('seeding')
  r.error('mirror-seed: x: broken', { what: 'x' })
  r.result({}, ['result'])
  assert.equal(err.text(), 'mirror-seed: x: broken\n')
  assert.equal(out.text(), 'result\n')
})

test('--json: results and events are JSON lines on stdout; errors also go to stderr as one line', () => {
  const { r, err, out } = reporter({ json: true })
  r.event({ event: 'status', peers: 1 }, 'human status')
  r.error('mirror-seed: u: no records', { what: 'u', code: 'NO_RECORDS' })
  r.result({ ok: true }, ['human result'])
  assert.deepEqual(out.text().trim().split('\n').map(l => JSON.parse(l)), [
    { event: 'status', peers: 1 },
    { event: 'error', what: 'u', code: 'NO_RECORDS' },
    { ok: true }
  ])
  assert.equal(err.text(), 'mirror-seed: u: no records\n')
})

test('items (git objects) are counts, without byte units, rate or ETA; a download shows rate, ETA and peers', () => {
  const { r, err, clock } = reporter()
  r.progress({ phase: 'index', loaded: 10, total: 245, unit: 'items', detail: 'receiving objects' })
  clock.t += 6000
  r.progress({ phase: 'index', loaded: 245, total: 245, unit: 'items', detail: 'resolving deltas' })
  r.progress({ phase: 'download', loaded: 0, total: 4 << 20, detail: 'peers 2' })
  clock.t += 6000
  r.progress({ phase: 'download', loaded: 2 << 20, total: 4 << 20, detail: 'peers 3' })
  const lines = err.text().trim().split('\n')
  assert.match(lines[0]!, /^index\s+4%\s+10\/245\s+receiving objects$/)
  assert.match(lines[1]!, /^index\s+100%\s+245\/245\s+resolving deltas$/)
  assert.match(lines[3]!, /^download\s+50%\s+2\.00 MiB\/4\.00 MiB\s+341 KiB\/s\s+ETA 00:06\s+peers 3$/)
})
