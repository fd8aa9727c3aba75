import type { Config } from '../config/config.js'
import type { Logger } from '../log.js'

/** What the signals do to the daemon. */
export interface SignalActions {
  /** SIGTERM or SIGINT: stop accepting, let responses finish (up to the drain deadline), close. */
  drain: () => Promise<void>
  /** A second SIGTERM or SIGINT during the drain: end everything now. */
  force: () => void
  /** SIGHUP: re-read the configuration (throws when it is invalid)... */
  reread: () => Config
  /** ...and apply it. */
  reload: (next: Config) => Promise<void>
}

/**
 * The daemon's signals, in one place: TERM/INT drain and exit 0 (1 when closing fails), a
 * second TERM/INT exits 1 at once, HUP reloads the configuration (an invalid one is refused
 * and the daemon runs on).
 */
export function handleSignals (actions: SignalActions, log: Logger): void {
  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn('second signal: exiting now', { signal })
      actions.force()
      process.exit(1)
    }
    stopping = true
    log.info('signal: draining', { signal })
    actions.drain().then(() => process.exit(0), (err: unknown) => {
      log.error('shutdown failed', { err: String(err) })
      process.exit(1)
    })
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.on('SIGHUP', () => {
    if (stopping) return
    let next
    try {
      next = actions.reread()
    } catch (err) {
      // A broken edit never takes a running server down.
      log.error('reload refused: invalid configuration; running on the old one', { err: err instanceof Error ? err.message : String(err) })
      return
    }
    log.info('signal: reloading', { signal: 'SIGHUP', source: next.source })
    actions.reload(next).catch((err: unknown) => { log.error('reload failed', { err: String(err) }) })
  })
}
