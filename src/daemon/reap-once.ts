import type { Config } from '../config/config.js'
import type { Logger } from '../log.js'
import { runningDaemon } from './pid-file.js'
import { Supervisor } from './supervisor.js'

/**
 * `tod-p2m reap`: one reaper pass over the data folder with the engine started but no HTTP,
 * then exit. Refused (exit 1) while a daemon uses the same state folder: it reaps by itself.
 */
export async function reapOnce (config: Config, log: Logger): Promise<number> {
  let pid: number | null = null
  try {
    pid = runningDaemon(config.torrent)
  } catch {
    // no pid file: no daemon
  }
  if (pid !== null) {
    process.stderr.write(`tod-p2m: the daemon (pid ${pid}) is running on ${config.torrent.state_dir}; it reaps every ${config.torrent.cleanup_interval} s\n`)
    return 1
  }
  const supervisor = new Supervisor(config, log)
  await supervisor.startEngine()
  let report
  try {
    report = await supervisor.reaper.run()
  } finally {
    await supervisor.close()
  }
  // The report is the last line on stdout (the log lines come before it).
  process.stdout.write(JSON.stringify(report) + '\n')
  return 0
}
