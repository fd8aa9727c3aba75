#!/usr/bin/env node
// Entry of the daemon (the cluster primary): the command line, then the supervisor.
import { hideBin } from 'yargs/helpers'
import { createLogger } from '../log.js'
import { runCli } from './cli.js'
import { startPm2, underPm2 } from './pm2.js'
import { reapOnce } from './reap-once.js'
import { handleSignals } from './signals.js'
import { Supervisor } from './supervisor.js'

await runCli(hideBin(process.argv), {
  serve: async (config, reread) => {
    const log = createLogger(config.logging, 'supervisor')
    const supervisor = new Supervisor(config, log)
    handleSignals({
      drain: async () => { await supervisor.close() },
      force: () => { supervisor.kill() },
      reread,
      reload: async (next) => { await supervisor.reload(next) }
    }, log)
    await supervisor.start()
    if (underPm2(process.env)) await startPm2({ summary: async () => await supervisor.metrics.summary(), reap: async () => await supervisor.reaper.run() }, log)
  },
  reap: async (config) => { process.exitCode = await reapOnce(config, createLogger(config.logging, 'reap')) }
})
