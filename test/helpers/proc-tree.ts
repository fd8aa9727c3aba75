/**
 * The processes of a running daemon (supervisor and its front-ends) from Linux /proc: to kill
 * them all at once (a crash, not a shutdown) and to sample their memory and open descriptors.
 */
import fs from 'node:fs'

/** Parent pid of `pid`, or undefined once it has exited. */
function parentOf (pid: number): number | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return undefined
  }
}

/** The direct children of `pid`. */
export function childrenOf (pid: number): number[] {
  const out: number[] = []
  for (const name of fs.readdirSync('/proc')) {
    if (/^\d+$/.test(name) && parentOf(Number(name)) === pid) out.push(Number(name))
  }
  return out
}

/** `root` and every live descendant, parents first. */
export function processTree (root: number): number[] {
  const out = [root]
  for (let i = 0; i < out.length; i++) out.push(...childrenOf(out[i] as number))
  return out
}

/**
 * SIGKILL to `root` and all its descendants, children first listed so none is left to be
 * re-parented and keep running: the whole daemon dies at once, as on a power cut of the process.
 */
export function killTree (root: number): number[] {
  const pids = processTree(root)
  // Stop the supervisor first so it cannot fork replacements, then the rest.
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ }
  }
  return pids
}

/** True while `pid` exists and is not a zombie. */
export function alive (pid: number): boolean {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return text.slice(text.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

/** One sample of a process: resident memory and open file descriptors. */
export interface ProcSample {
  pid: number
  rssBytes: number
  fds: number
}

/** VmRSS and the number of entries in /proc/PID/fd; undefined once the process has exited. */
export function sampleProc (pid: number): ProcSample | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
    const m = /^VmRSS:\s+(\d+) kB/m.exec(status)
    const fds = fs.readdirSync(`/proc/${pid}/fd`).length
    return { pid, rssBytes: m === null ? 0 : Number(m[1]) * 1024, fds }
  } catch {
    return undefined
  }
}

/** Bytes allocated on disk under `dir` (st_blocks, so sparse files count what they use), like `du`. */
export function diskUsage (dir: string): number {
  let total = 0
  let entries: fs.Dirent[]
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true })
  } catch {
    return 0
  }
  for (const e of entries) {
    const p = `${dir}/${e.name}`
    try {
      if (e.isDirectory()) total += diskUsage(p)
      else if (e.isFile()) total += fs.statSync(p).blocks * 512
    } catch { /* removed meanwhile */ }
  }
  return total
}
