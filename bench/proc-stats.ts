/**
 * Memory and CPU of a whole process tree, read from Linux /proc. A tod-p2m daemon is several
 * processes (supervisor with its shard threads, plus the front-ends), so its footprint is the
 * sum over the tree rooted at the supervisor; threads are inside their process's figures.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`; 100 on Linux x86-64). */
const CLK_TCK = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** The fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
function statFields (pid: number): string[] | undefined {
  let text: string
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined // exited meanwhile
  }
  return text.slice(text.lastIndexOf(')') + 2).split(' ')
}

/** `root` and every live descendant of it. */
export function processTree (root: number): number[] {
  const children = new Map<number, number[]>()
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const pid = Number(name)
    const ppid = Number(statFields(pid)?.[1]) // field 4 of stat; [0] is the state
    if (!Number.isFinite(ppid)) continue
    const list = children.get(ppid)
    if (list === undefined) children.set(ppid, [pid])
    else list.push(pid)
  }
  const out: number[] = []
  const queue = [root]
  while (queue.length > 0) {
    const pid = queue.shift()!
    out.push(pid)
    queue.push(...(children.get(pid) ?? []))
  }
  return out
}

/** A `Key: N kB` line of a /proc text file, in bytes; 0 if the process is gone. */
function kbField (file: string, key: string): number {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    return 0
  }
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)
  return m === null ? 0 : Number(m[1]) * 1024
}

/** Resident set size of each process summed (bytes). Shared pages count once per process, as `ps` shows them. */
export function treeRss (pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + kbField(`/proc/${pid}/status`, 'VmRSS'), 0)
}

/** Proportional set size summed (bytes): shared pages split between the processes sharing them. */
export function treePss (pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + kbField(`/proc/${pid}/smaps_rollup`, 'Pss'), 0)
}

/**
 * CPU seconds (user + system) used so far by the tree under `root`: each live process's own
 * time plus the time of its children already reaped (cutime/cstime), so a helper process
 * that came and went is still counted.
 */
export function treeCpuSeconds (root: number): number {
  let ticks = 0
  for (const pid of processTree(root)) {
    const f = statFields(pid)
    if (f === undefined) continue
    // stat fields 14-17 (utime, stime, cutime, cstime) are at [11..14] once pid and comm are cut off.
    for (let i = 11; i <= 14; i++) ticks += Number(f[i] ?? 0)
  }
  return ticks / CLK_TCK
}

/** Peak memory of a process tree while it was sampled. */
export interface MemoryPeak {
  /** Largest sum of RSS over the tree seen in one sample (bytes). */
  rss: number
  /** Largest sum of PSS (bytes); sampled less often, as reading smaps_rollup walks page tables. */
  pss: number
}

/**
 * Samples a process tree's RSS every `intervalMs` (PSS every fifth time) until stopped, and
 * keeps the peaks. The tree is re-read every second: front-ends may be re-forked.
 */
export class PeakSampler {
  readonly #root: number
  readonly #timer: NodeJS.Timeout
  #pids: number[]
  #ticks = 0
  readonly #peak: MemoryPeak = { rss: 0, pss: 0 }

  constructor (root: number, intervalMs = 100) {
    this.#root = root
    this.#pids = processTree(root)
    this.#sample()
    this.#timer = setInterval(() => { this.#sample() }, intervalMs)
    this.#timer.unref()
  }

  #sample (): void {
    const n = this.#ticks++
    if (n % 10 === 0) this.#pids = processTree(this.#root)
    this.#peak.rss = Math.max(this.#peak.rss, treeRss(this.#pids))
    if (n % 5 === 0) this.#peak.pss = Math.max(this.#peak.pss, treePss(this.#pids))
  }

  /** The peaks so far, including one last sample now. */
  peak (): MemoryPeak {
    this.#sample()
    return { ...this.#peak }
  }

  /** Stops sampling; returns the peaks. Call before the tree exits. */
  stop (): MemoryPeak {
    const p = this.peak()
    clearInterval(this.#timer)
    return p
  }
}
