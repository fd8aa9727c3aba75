// The benchmark of issue 6: tod-p2m against peerflix and nginx on a loopback swarm.
//   npm run bench [-- --runs 3 --out report.md]      (see options.ts for every flag)
// Prints the markdown report on stdout (progress on stderr); cleans up everything it started.
import fs from 'node:fs'
import { Cleanup } from './cleanup.js'
import { UsageRequested, parseOptions } from './options.js'
import { runBench } from './session.js'

const log = (line: string): void => { process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`) }

let opts
try {
  opts = parseOptions(process.argv.slice(2))
} catch (err) {
  if (err instanceof UsageRequested) {
    process.stdout.write(`${err.message}\n`)
    process.exit(0)
  }
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(2)
}
const cleanup = new Cleanup()
cleanup.handleSignals()
try {
  const report = await runBench(opts, cleanup, log)
  process.stdout.write(report)
  if (opts.out !== undefined) fs.writeFileSync(opts.out, report)
} catch (err) {
  log(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
  process.exitCode = 1
} finally {
  await cleanup.runAll()
}
