import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { TodError } from '../errors.js'
import { signalGroup, spawnOwned } from './children.js'
import { NO_SEGMENT } from './not-found.js'
import { toolMissing } from './run-tool.js'

/** What a producer needs from its owner. */
export interface ProducerHooks {
  /** ffmpeg's arguments for a run from segment `from` writing into `dir`. */
  args: (from: number, dir: string) => string[]
  ffmpeg: string
  /** Segments of the rendition. */
  count: number
  /** How far ffmpeg may run ahead of the last request before it is paused. */
  ahead: number
  timeoutMs: number
  /** Called for every segment made, with ms since the run started. */
  onSegment: (msSinceStart: number, first: boolean) => void
  onStart: (restart: boolean) => void
  onCpu: (seconds: number) => void
}

interface Run { child: ChildProcess, from: number, dir: string, listed: number, started: number, paused: boolean, ended: boolean, clean: boolean, cpuTicks: number }
interface Waiter { n: number, resolve: (file: string) => void, reject: (e: Error) => void, timer: NodeJS.Timeout }

const POLL_MS = 100
/** A request this many segments past the run's position restarts ffmpeg there instead of waiting. */
const JUMP = 2
const TICKS_PER_SEC = 100

/**
 * Makes the segments of one rendition with at most one ffmpeg at a time: started at the
 * segment asked for, restarted when a request jumps out of what it is making, paused while far
 * ahead of the player. Each run writes its own folder, so a restart never truncates a segment
 * being served.
 */
export class Producer {
  readonly #root: string
  readonly #hooks: ProducerHooks
  readonly #done = new Map<number, string>()
  readonly #waiters = new Set<Waiter>()
  #run: Run | null = null
  #starting: Promise<void> | null = null
  #runs = 0
  #failures = 0
  #lastAsked = 0
  #timer: NodeJS.Timeout | null = null
  #closed = false

  constructor (root: string, hooks: ProducerHooks) {
    this.#root = root
    this.#hooks = hooks
  }

  /** The path of segment `n` once it is made (404 past the end). */
  async segment (n: number): Promise<string> {
    if (!Number.isInteger(n) || n < 0 || n >= this.#hooks.count) throw new TodError('TOD_ERR_NOT_FOUND', NO_SEGMENT)
    if (this.#closed) throw new TodError('TOD_ERR_MEDIA_BUSY', { reason: 'the session was stopped', seconds: 1 }, { headers: { 'Retry-After': '1' } })
    this.#lastAsked = n
    const ready = this.#done.get(n)
    this.#pace()
    if (ready !== undefined) return ready
    // Requests that arrive together (a retry, a player's parallel fetch) share one start.
    if (this.#starting !== null) await this.#starting.catch(() => {})
    const made = this.#done.get(n)
    if (made !== undefined) return made
    const run = this.#run
    if (run === null || run.ended || n < run.from || n > run.listed + JUMP) {
      const starting = this.#start(n)
      this.#starting = starting
      try {
        await starting
      } finally {
        if (this.#starting === starting) this.#starting = null
      }
    }
    return await new Promise<string>((resolve, reject) => {
      const w: Waiter = {
        n,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(w)
          reject(new TodError('TOD_ERR_MEDIA_TIMEOUT', { what: `segment ${n}`, seconds: Math.round(this.#hooks.timeoutMs / 1000) }))
        }, this.#hooks.timeoutMs)
      }
      this.#waiters.add(w)
    })
  }

  /** Stops ffmpeg; the owner removes the folder. */
  close (): void {
    this.#closed = true
    this.#kill()
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    for (const w of this.#waiters) this.#fail(w, new TodError('TOD_ERR_MEDIA_BUSY', { reason: 'the session was stopped', seconds: 1 }, { headers: { 'Retry-After': '1' } }))
  }

  async #start (from: number): Promise<void> {
    this.#kill()
    const restart = this.#runs > 0
    const dir = path.join(this.#root, `r${this.#runs++}`)
    await fsp.mkdir(dir, { recursive: true })
    const child = spawnOwned(this.#hooks.ffmpeg, this.#hooks.args(from, dir), { stdio: ['ignore', 'ignore', 'pipe'] })
    const spawned = await once(child, 'spawn').then(() => null, (err: NodeJS.ErrnoException) => err)
    if (spawned !== null) throw toolMissing(this.#hooks.ffmpeg, spawned)
    this.#hooks.onStart(restart)
    let stderr = ''
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (s: string) => { stderr = (stderr + s).slice(-2000) })
    const run: Run = { child, from, dir, listed: from - 1, started: Date.now(), paused: false, ended: false, clean: false, cpuTicks: 0 }
    this.#run = run
    child.once('exit', (code, signal) => {
      run.ended = true
      run.clean = code === 0
      this.#scan(run)
      if (this.#run !== run || this.#closed) return
      if (code === 0) {
        // ffmpeg reached the end of the file before the segments the plan promised.
        for (const w of this.#waiters) if (w.n > run.listed) this.#fail(w, new TodError('TOD_ERR_CORRUPT_MEDIA', { reason: `it ends before segment ${w.n}` }))
        return
      }
      this.#onCrash(run, `ffmpeg exited with ${code ?? signal ?? '?'}: ${stderr.trim().split('\n').pop()?.replace(/https?:\/\/\S+/g, 'input').slice(0, 160) ?? ''}`)
    })
    this.#timer ??= setInterval(() => { this.#tick() }, POLL_MS)
  }

  /** A crash restarts once at the first segment someone waits for; a second one fails them (502). */
  #onCrash (run: Run, why: string): void {
    const wanted = [...this.#waiters].map((w) => w.n).filter((n) => !this.#done.has(n))
    if (wanted.length === 0) return
    if (this.#failures++ < 1) {
      this.#start(Math.min(...wanted)).catch((err: unknown) => { for (const w of this.#waiters) this.#fail(w, err as Error) })
      return
    }
    for (const w of this.#waiters) this.#fail(w, new TodError('TOD_ERR_MEDIA_FAILED', { reason: why }))
  }

  #tick (): void {
    const run = this.#run
    if (run === null) return
    this.#scan(run)
    this.#sampleCpu(run)
    this.#pace()
    if (run.ended && this.#waiters.size === 0 && this.#timer !== null) {
      clearInterval(this.#timer)
      this.#timer = null
    }
  }

  /** Reads the run's segment list; a listed segment counts once ffmpeg has moved past it. */
  #scan (run: Run): void {
    let text: string
    try {
      text = fs.readFileSync(path.join(run.dir, 'list.csv'), 'utf8')
    } catch {
      return
    }
    for (const line of text.split('\n')) {
      const n = Number(line.split('.ts,')[0])
      if (!Number.isInteger(n) || n <= run.listed || line.indexOf('.ts,') < 0) continue
      const finished = run.clean || n === this.#hooks.count - 1 || fs.existsSync(path.join(run.dir, `${n + 1}.ts`))
      if (!finished) break
      run.listed = n
      this.#hooks.onSegment(Date.now() - run.started, n === run.from)
      this.#done.set(n, path.join(run.dir, `${n}.ts`))
    }
    for (const w of this.#waiters) {
      const file = this.#done.get(w.n)
      if (file !== undefined) {
        this.#waiters.delete(w)
        clearTimeout(w.timer)
        w.resolve(file)
      }
    }
  }

  /** SIGSTOP while `ahead` segments past the last request, SIGCONT when the player comes near. */
  #pace (): void {
    const run = this.#run
    if (run === null || run.ended) return
    const far = run.listed >= this.#lastAsked + this.#hooks.ahead && this.#waiters.size === 0
    if (far && !run.paused) run.paused = signalGroup(run.child, 'SIGSTOP')
    else if (!far && run.paused) run.paused = !signalGroup(run.child, 'SIGCONT')
  }

  #sampleCpu (run: Run): void {
    const pid = run.child.pid
    if (pid === undefined || run.ended) return
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
      const ticks = Number(fields[11]) + Number(fields[12])
      if (Number.isFinite(ticks) && ticks > run.cpuTicks) {
        this.#hooks.onCpu((ticks - run.cpuTicks) / TICKS_PER_SEC)
        run.cpuTicks = ticks
      }
    } catch { /* gone, or not Linux */ }
  }

  #kill (): void {
    const run = this.#run
    if (run === null || run.ended) return
    this.#sampleCpu(run)
    signalGroup(run.child, 'SIGKILL')
    if (run.paused) signalGroup(run.child, 'SIGCONT')
    run.ended = true
  }

  #fail (w: Waiter, err: Error): void {
    this.#waiters.delete(w)
    clearTimeout(w.timer)
    w.reject(err)
  }
}
