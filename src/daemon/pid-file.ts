import fs from 'node:fs'
import path from 'node:path'
import type { Config } from '../config/config.js'

/** The folder the pid file lives in. */
export type StateDir = Pick<Config['torrent'], 'state_dir'>

/** The running daemon's pid file: `tod-p2m reap` must not run beside it. */
export function pidFile (torrent: StateDir): string {
  return path.join(torrent.state_dir, 'tod-p2m.pid')
}

/** The pid of a running daemon on this state folder, if any. */
export function runningDaemon (torrent: StateDir): number | null {
  const pid = Number(fs.readFileSync(pidFile(torrent), 'utf8').trim() || NaN)
  if (!Number.isInteger(pid) || pid <= 0) return null
  try {
    process.kill(pid, 0)
    return pid
  } catch {
    return null
  }
}
