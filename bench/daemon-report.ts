// Section 7 of bench/RESULTS.md: one mirror-daemon seeding 50 bundles.
import { daemonTargets, POLL_INTERVAL_SECONDS, threadsText, type ChangeRow, type DaemonResult, type Idle } from './daemon-bench.js'
import { table, targetsTable } from './markdown.js'
import { fmtMB, fmtRssMB, fmtS, median } from './measure.js'

const INTRO = 'One `mirror-daemon --foreground` in a repository whose remotes are the projects of a generated family (bench/daemon-family.ts: small repositories made by fixtures/make-repo.ts, one seed each, served by the one git http-backend; each published several times into one store, a base and then one increment a publish, one mirror-seed seeding that store). The daemon downloads every bundle of every list into its own store and seeds them all; it is watched from outside through /proc: RSS sampled every 0.5 s and the kernel\'s own peak (VmHWM, from start to stop), open file descriptors (sampled, and by kind once idle), and its CPU time (utime + stime) over 30 s of idleness at the default `--interval` of 300 s, as a percentage of one core: first with the publisher\'s seeder connected on every torrent (the target\'s figure), then, after the runs with PUSH, with that seeder stopped (no peer at all). Then each run publishes one project anew (one more commit, `mirror-publish`, the publisher\'s mirror-seed restarted so that it seeds the new increment) and pushes its records to the server; the time is counted from that `git push`\'s exit to the daemon\'s `CHANGED` line, and to its `STATUS <remote> seeding` line with the new increment. "With PUSH": `PUSH <remote>` sent on stdin as the push exits. "Without PUSH": the daemon restarted on the same store with `--interval ' + String(POLL_INTERVAL_SECONDS) + '`, finding it on its own timer (jittered ±10%, so the wait is anything up to ' + String(POLL_INTERVAL_SECONDS * 1.1) + ' s plus one look). Each run publishes another project.'

const pct = (x: number | null): string => x === null ? '—' : `${x.toFixed(2)} %`

function idleText (i: Idle): string {
  return `${pct(i.percent)} of one core (${i.cpuSeconds === null ? '—' : i.cpuSeconds.toFixed(2)} s of CPU; by thread, user+system: ${threadsText(i)}); per 10 s: ${i.slices.map(pct).join(', ')}; RSS ${fmtRssMB(i.steadyKiB)} MB; requests reaching the git server meanwhile: ${i.originRequests}; announces the tracker heard: ${i.trackerAnnounces}`
}

export function daemonSection (r: DaemonResult): string {
  const f = r.family
  const fd = r.fds.steady
  const idle = r.idle
  const figures = table(['', 'measured'], [
    ['the family', `${f.projects} projects × ${f.publishes} publishes: ${f.bundles} bundles, ${fmtMB(f.bundleBytes)} MB in all; generated in ${fmtS(f.generateSeconds)} s, published (two at a time) in ${fmtS(f.publishSeconds)} s`],
    ['daemon start to all seeded', `${fmtS(r.startupSeconds)} s (every bundle downloaded from the publisher's seeder, one download at a time)`],
    ['peak RSS (VmHWM, start to stop)', `${fmtRssMB(r.memory.hwmKiB)} MB`],
    ['RSS sampled: peak, steady (median over the first idle window)', `${fmtRssMB(r.memory.sampledPeakKiB)} MB, ${fmtRssMB(r.memory.steadyKiB)} MB`],
    ['open file descriptors: sampled peak', r.fds.sampledPeak === null ? '—' : String(r.fds.sampledPeak)],
    ['open file descriptors once idle', fd === null ? '—' : `${fd.total}: ${fd.sockets} sockets, ${fd.pipes} pipes, ${fd.anon} epoll/eventfd/timerfd, ${fd.storeFiles} files in the store, ${fd.otherFiles} other files`],
    [`CPU when idle, the publisher's seeder connected (--interval 300, ${idle.seconds} s)`, idleText(idle)],
    [`CPU when idle, no peer (the publisher's seeder stopped 25 s before; ${r.idleAlone.seconds} s)`, idleText(r.idleAlone)],
    ['SIGTERM to exit', `${fmtS(r.restart.stopSeconds)} s (${r.restart.exit}); the restarted one: ${fmtS(r.restart.stopSeconds2)} s (${r.restart.exit2})`],
    ['restart on the same store: start to all seeded', `${fmtS(r.restart.seededSeconds)} s for ${r.restart.bundles} bundles; re-hashed: ${r.restart.rehashed}`]
  ])
  const mode = (m: ChangeRow['mode']): string => m === 'push' ? 'with PUSH' : `without PUSH (--interval ${POLL_INTERVAL_SECONDS})`
  const runs = table(['publish to', 'run', 'project', 'records pushed → CHANGED s', 'records pushed → seeding the increment s', 'note'],
    r.changes.map(c => [mode(c.mode), String(c.run), c.project, fmtS(c.changedSeconds), fmtS(c.seededSeconds), c.note ?? '']))
  const medians = table(['publish to', 'median → CHANGED s', 'median → seeding s', 'runs'], (['push', 'poll'] as const).map(m => {
    const rows = r.changes.filter(c => c.mode === m && c.note === null)
    return [mode(m), fmtS(median(rows.map(c => c.changedSeconds ?? NaN))), fmtS(median(rows.map(c => c.seededSeconds ?? NaN))), String(rows.length)]
  }))
  const errors = r.errors.length === 0 ? 'The daemon printed no ERROR line.' : `The daemon's ERROR lines: ${r.errors.map(e => `\`${e}\``).join('; ')}.`
  return `${INTRO}\n\n${figures}\n\n${runs}\n\n${medians}\n\n${targetsTable(daemonTargets(r))}\n\n${errors} Load average (1 min) when this part started and ended: ${r.load.start.toFixed(2)}, ${r.load.end.toFixed(2)}.`
}
