import fs from 'node:fs'
import path from 'node:path'
import { TodError } from '../errors.js'

/**
 * Daemon-wide session slots shared by every front-end process: slot i is the file
 * `<dir>/slot-<i>` created exclusively and holding its owner's pid. A slot whose owner is dead
 * (a crashed front-end) is taken over, so nothing leaks.
 */
export class Slots {
  readonly #dir: string
  readonly #max: number
  readonly #mine = new Set<string>()

  constructor (dir: string, max: number) {
    this.#dir = dir
    this.#max = max
    fs.mkdirSync(dir, { recursive: true })
    process.once('exit', () => { for (const file of this.#mine) fs.rmSync(file, { force: true }) })
  }

  /**
   * Takes a free slot, or throws TOD_ERR_MEDIA_BUSY (503, Retry-After). Returns its release.
   * A file another live process already holds a slot for shares that slot: a player whose
   * requests land on two front-ends is one session, not two.
   */
  acquire (label: string): () => void {
    if (this.#heldElsewhere(label)) return () => {}
    for (let i = 0; i < this.#max; i++) {
      const file = path.join(this.#dir, `slot-${i}`)
      if (this.#take(file, label) || (this.#stale(file) && this.#take(file, label))) {
        this.#mine.add(file)
        return () => {
          if (this.#mine.delete(file)) fs.rmSync(file, { force: true })
        }
      }
    }
    throw new TodError('TOD_ERR_MEDIA_BUSY', { reason: `all ${this.#max} media sessions (media.max_sessions) are in use`, seconds: 10 }, { headers: { 'Retry-After': '10' } })
  }

  #heldElsewhere (label: string): boolean {
    for (let i = 0; i < this.#max; i++) {
      try {
        const [pid, held] = fs.readFileSync(path.join(this.#dir, `slot-${i}`), 'utf8').trim().split(' ')
        if (held === label && Number(pid) !== process.pid && isAlive(Number(pid))) return true
      } catch { /* free */ }
    }
    return false
  }

  #take (file: string, label: string): boolean {
    try {
      fs.writeFileSync(file, `${process.pid} ${label}\n`, { flag: 'wx' })
      return true
    } catch {
      return false
    }
  }

  /** Removes the slot when its owner process is gone; true when it did. */
  #stale (file: string): boolean {
    let pid: number
    try {
      pid = Number(fs.readFileSync(file, 'utf8').split(' ')[0])
    } catch {
      return true
    }
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) {
      fs.rmSync(file, { force: true })
      return true
    }
    return false
  }
}

/** Whether a process exists (EPERM: it exists under another user). */
export function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
