/**
 * A small tmpfs mounted for one test, to fill a filesystem on purpose (disk-full tests).
 * Needs root (or CAP_SYS_ADMIN); {@link mountSmallFs} says why when it cannot mount.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'

/** A mounted tmpfs; `unmount` is idempotent and safe to call from a teardown. */
export interface SmallFs {
  path: string
  /** Free bytes right now (statfs). */
  free: () => number
  unmount: () => void
}

/**
 * Mounts a tmpfs of `bytes` at `mountPoint` (created if missing). Throws with the reason
 * (mount's own message) when the system does not allow it.
 */
export function mountSmallFs (mountPoint: string, bytes: number): SmallFs {
  fs.mkdirSync(mountPoint, { recursive: true })
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0755`, 'tmpfs', mountPoint], { stdio: ['ignore', 'ignore', 'pipe'] })
  let mounted = true
  return {
    path: mountPoint,
    free: () => {
      const s = fs.statfsSync(mountPoint)
      return s.bavail * s.bsize
    },
    unmount: () => {
      if (!mounted) return
      try {
        execFileSync('umount', [mountPoint], { stdio: ['ignore', 'ignore', 'pipe'] })
      } catch {
        // Still busy (a process that did not exit): detach it now, it goes when the last file closes.
        execFileSync('umount', ['-l', mountPoint], { stdio: ['ignore', 'ignore', 'pipe'] })
      }
      mounted = false
    }
  }
}
