import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import type { Config } from '../config/config.js'
import { TodError, serializeError } from '../errors.js'
import type { Logger } from '../log.js'
import type { EngineTask, PingResult } from '../protocol.js'
import type { TaskOutcome } from '../workers/engine.js'
import { within } from '../util/request-reply.js'

const SHARD_ENTRY = fileURLToPath(new URL('../workers/shard.js', import.meta.url))
/** Tasks a shard thread runs at once; reads wait for pieces, so many are in flight. */
const CONCURRENT_TASKS = 4096
const REBUILD_BASE_MS = 100
const REBUILD_MAX_MS = 10_000
/** How long a task waits for a shard that is being rebuilt before answering 503. */
const WAIT_FOR_REBUILD_MS = 15_000
/** How long a closing thread may take to persist its state before it is ended anyway. */
const CLOSE_MS = 5000

/** Told how long each task took on the thread (metrics). */
export type TaskObserver = (task: EngineTask['type'], seconds: number, ok: boolean) => void

/**
 * One shard: a Piscina pool of exactly one stateful thread running one WebTorrent client.
 * When the thread dies (an uncaught exception, or a failure while starting, after which
 * Piscina itself stops respawning) the whole pool is replaced after a backoff; the new thread
 * reloads its torrents from the state folder. Tasks that arrive meanwhile wait for it.
 */
export class Shard {
  readonly index: number
  readonly #config: Config
  readonly #log: Logger
  #pool: Piscina | null = null
  #generation = 0
  #failures = 0
  #closed = false
  #up: Promise<void> = Promise.resolve()
  #markUp: () => void = () => {}
  /** Times this shard was rebuilt after its thread died. */
  restarts = 0
  readonly #observe: TaskObserver | undefined
  /** logging.level as last reloaded; a rebuilt thread starts with it. */
  #logLevel: Config['logging']['level']

  readonly #changed: () => void

  /** `changed` is told when the thread dies and when a (re)built thread is up. */
  constructor (index: number, config: Config, log: Logger, observe?: TaskObserver, changed: () => void = () => {}) {
    this.index = index
    this.#changed = changed
    this.#config = config
    this.#log = log
    this.#observe = observe
    this.#logLevel = config.logging.level
  }

  /** A reload changed logging.level: the running thread and any rebuilt one use it. */
  async setLogLevel (level: Config['logging']['level']): Promise<void> {
    this.#logLevel = level
    if (this.#pool !== null) await this.run({ type: 'log-level', level })
  }

  /** Starts the thread and waits until it has reloaded its torrents. */
  async start (): Promise<void> {
    this.#expectUp()
    this.#spawn()
    await this.#up
  }

  /** Runs a task on this shard's thread; errors come back as data, never thrown. */
  async run (task: EngineTask): Promise<TaskOutcome> {
    if (this.#closed) return { ok: false, error: serializeError(new TodError('TOD_ERR_SHUTTING_DOWN')) }
    await within(this.#up, WAIT_FOR_REBUILD_MS, undefined)
    const pool = this.#pool
    if (pool === null) return { ok: false, error: serializeError(new TodError('TOD_ERR_NOT_READY', { shard: this.index })) }
    const started = process.hrtime.bigint()
    let ok = false
    try {
      const out = await pool.run(task) as TaskOutcome
      ok = out.ok
      return out
    } catch (err) {
      // The thread died under this task (Piscina rejects its in-flight tasks).
      return { ok: false, error: serializeError(new TodError('TOD_ERR_ENGINE', { reason: 'its shard thread ended during the task' }, { cause: err })) }
    } finally {
      this.#observe?.(task.type, Number(process.hrtime.bigint() - started) / 1e9, ok)
    }
  }

  /** Answers within `ms`, or reports the shard as down. */
  async ping (ms: number): Promise<PingResult | { shard: number, error: string }> {
    if (this.#pool === null) return { shard: this.index, error: 'restarting' }
    const out = await within(this.run({ type: 'ping' }), ms, { ok: false, error: serializeError(new TodError('TOD_ERR_ENGINE', { reason: 'it did not answer in time' })) })
    return out.ok ? out.value as PingResult : { shard: this.index, error: out.error.message }
  }

  /** Lets the engine persist its state, then ends the thread. Idempotent. */
  async close (): Promise<void> {
    if (this.#closed) return
    const pool = this.#pool
    if (pool !== null) {
      await within(pool.run({ type: 'close' } satisfies EngineTask).catch(() => {}), CLOSE_MS, undefined)
    }
    this.#closed = true
    this.#pool = null
    this.#markUp()
    await pool?.destroy()
  }

  #spawn (): void {
    const generation = ++this.#generation
    const pool = new Piscina({
      filename: SHARD_ENTRY,
      workerData: { config: this.#logLevel === this.#config.logging.level ? this.#config : { ...this.#config, logging: { ...this.#config.logging, level: this.#logLevel } }, shard: this.index },
      minThreads: 1,
      maxThreads: 1,
      // With the default atomics an idle thread sits in Atomics.wait and its sockets and
      // timers stop: a WebTorrent client must keep running between tasks.
      atomics: 'disabled',
      idleTimeout: Infinity,
      concurrentTasksPerWorker: CONCURRENT_TASKS
    })
    this.#pool = pool
    // Without an 'error' listener Piscina's 'error' event would kill the supervisor.
    pool.on('error', (err: Error) => { this.#onDeath(generation, pool, err.message) })
    pool.on('workerDestroy', () => { this.#onDeath(generation, pool, 'thread exited') })
    pool.run({ type: 'ping' } satisfies EngineTask).then((out: TaskOutcome) => {
      if (generation !== this.#generation) return
      if (!out.ok) throw new Error(out.error.message)
      this.#failures = 0
      this.#log.info('shard up', { ...(out.value as PingResult) })
      this.#markUp()
      this.#changed()
    }).catch((err: unknown) => { this.#onDeath(generation, pool, String(err)) })
  }

  /** Tasks from now on wait for the next thread to come up. */
  #expectUp (): void {
    this.#up = new Promise((resolve) => { this.#markUp = resolve })
  }

  #onDeath (generation: number, pool: Piscina, why: string): void {
    if (this.#closed || generation !== this.#generation) return
    this.#generation++ // later events from this pool are stale
    this.#pool = null
    this.#expectUp()
    this.restarts++
    const delay = Math.min(REBUILD_MAX_MS, REBUILD_BASE_MS * 2 ** this.#failures++)
    this.#log.error('shard thread died; rebuilding', { shard: this.index, why, delayMs: delay })
    this.#changed()
    void pool.destroy().catch(() => {})
    setTimeout(() => { if (!this.#closed) this.#spawn() }, delay).unref()
  }
}
