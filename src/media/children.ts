import { spawn } from 'node:child_process'
import type { ChildProcess, SpawnOptions } from 'node:child_process'

/**
 * The watchdog: a shell that reads "+PGID" and "-PGID" lines on its stdin and, when the stdin
 * closes (this process exited, even by SIGKILL, so the pipe's last writer is gone), kills every
 * process group still listed. Node has no PR_SET_PDEATHSIG, and ffmpeg does not exit when its
 * own stdin closes, so this is what keeps an ffmpeg from outliving the process that owns it.
 */
const WATCHDOG = `
set -f
groups=" "
while IFS= read -r line; do
  case "$line" in
    +*) groups="$groups\${line#+} " ;;
    -*) groups=$(printf '%s' "$groups" | sed "s/ \${line#-} / /") ;;
  esac
done
for g in $groups; do /bin/kill -s KILL -- "-$g" 2>/dev/null; done
`

let watchdog: ChildProcess | null = null
const live = new Set<ChildProcess>()

function ensureWatchdog (): ChildProcess {
  if (watchdog !== null && watchdog.exitCode === null) return watchdog
  const w = spawn('/bin/sh', ['-c', WATCHDOG], { stdio: ['pipe', 'ignore', 'ignore'] })
  w.on('error', () => { /* /bin/sh missing: the exit hook below still kills on a clean exit */ })
  w.stdin?.on('error', () => {})
  // The watchdog must not keep this process alive.
  w.unref()
  const stdin = w.stdin as unknown as { unref?: () => void } | null
  stdin?.unref?.()
  watchdog = w
  return w
}

/** On a normal exit the groups are killed at once, without waiting for the watchdog. */
process.once('exit', () => {
  for (const child of live) {
    if (child.pid !== undefined) try { process.kill(-child.pid, 'SIGKILL') } catch { /* already gone */ }
  }
})

/**
 * Spawns a tool in its own process group (so a stop reaches everything it started) that is
 * killed when this process exits, however it exits.
 */
export function spawnOwned (command: string, args: readonly string[], options: Omit<SpawnOptions, 'detached'> = {}): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true })
  if (child.pid === undefined) return child
  const pid = child.pid
  const w = ensureWatchdog()
  w.stdin?.write(`+${pid}\n`)
  live.add(child)
  child.once('exit', () => {
    live.delete(child)
    w.stdin?.write(`-${pid}\n`)
  })
  return child
}

/** Sends a signal to a child's whole process group; false when it is gone. */
export function signalGroup (child: ChildProcess, signal: NodeJS.Signals): boolean {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return false
  try {
    process.kill(-child.pid, signal)
    return true
  } catch {
    return false
  }
}

/** Children alive now (for tests and metrics). */
export function liveChildren (): number {
  return live.size
}
