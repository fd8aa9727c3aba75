#!/usr/bin/env node
// Entry of the daemon (the cluster primary): the command line, then the supervisor.
import { hideBin } from 'yargs/helpers'
import { createLogger } from '../log.js'
import { runCli } from './cli.js'
import { startPm2, underPm2 } from './pm2.js'
import { reapOnce } from './reap-once.js'
import { Supervisor } from './supervisor.js'

await runCli(hideBin(process.argv), {
  serve: async (config, reread) => {
    const log = createLogger(config.logging, 'supervisor')
    const supervisor = new Supervisor(config, log)
    let signals = 0
    const stop = (signal: string): void => {
      if (++signals > 1) {
        log.warn('second signal: exiting now', { signal })
        process.exit(1)
      }
      log.info('signal: draining', { signal })
      supervisor.close().then(() => process.exit(0), (err: unknown) => {
        log.error('shutdown failed', { err: String(err) })
        process.exit(1)
      })
    }
    process.on('SIGTERM', () => { stop('SIGTERM') })
    process.on('SIGINT', () => { stop('SIGINT') })
    process.on('SIGHUP', () => {
      let next
      try {
        next = reread()
      } catch (err) {
        // A broken edit never takes a running server down.
        log.error('reload refused: invalid configuration; running on the old one', { err: (err as Error).message })
        return
      }
      log.info('signal: reloading', { signal: 'SIGHUP', source: next.source })
      supervisor.reload(next).catch((err: unknown) => { log.error('reload failed', { err: String(err) }) })
    })
    await supervisor.start()
    if (underPm2(process.env)) await startPm2({ summary: async () => await supervisor.metrics.summary(), reap: async () => await supervisor.reaper.run() }, log)
  },
  reap: async (config) => { process.exitCode = await reapOnce(config, createLogger(config.logging, 'reap')) }
})
