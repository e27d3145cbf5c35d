'use strict'
// Preloaded into our node processes by the benchmarks:
//   NODE_OPTIONS="--require /path/to/bench/rss-probe.cjs" GTM_BENCH_RSS_FILE=/tmp/x.jsonl node ...
// On exit it appends one JSON line: this process's pid, argv and peak resident
// set size (process.resourceUsage().maxRSS: getrusage(RUSAGE_SELF), in KiB on
// Linux). RUSAGE_SELF counts this process only, never the git processes it
// runs (unlike /usr/bin/time's %M, which reports the largest of the process
// and its waited-for children). Without the variable it does nothing.
const file = process.env.GTM_BENCH_RSS_FILE
if (typeof file === 'string' && file !== '') {
  process.on('exit', code => {
    try {
      const line = JSON.stringify({
        pid: process.pid,
        ppid: process.ppid,
        argv: process.argv.slice(1),
        exitCode: code,
        maxRSSKiB: process.resourceUsage().maxRSS
      })
      require('node:fs').appendFileSync(file, line + '\n')
    } catch { /* a probe never changes how the process ends */ }
  })
}
