// The project's executables as compiled next to this file (the bench's own
// out dir), not bin/*.js, which import dist/ that others rebuild concurrently.
//   node <outdir>/bench/scale/run-bin.js mirror-clone ARGS...
import { main } from '../../src/cli/main.js'

const [program, ...args] = process.argv.slice(2)
if (program === undefined || !/^(mirror-[a-z]+|git-mirror)$/.test(program)) {
  process.stderr.write('usage: run-bin.js mirror-<command> ARGS...\n')
  process.exit(2)
}
await main(program, args)
