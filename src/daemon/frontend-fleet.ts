import cluster from 'node:cluster'
import type { Worker } from 'node:cluster'
import { fileURLToPath } from 'node:url'
import type { Logger } from '../log.js'
import type { FrontendMessage, SupervisorMessage } from '../protocol.js'
import { within } from '../util/request-reply.js'

const FRONTEND_ENTRY = fileURLToPath(new URL('../http/frontend.js', import.meta.url))
const RESPAWN_BASE_MS = 100
const RESPAWN_MAX_MS = 30_000
/** Crashes within this window count towards the backoff. */
const CRASH_WINDOW_MS = 60_000
/** Front-ends that die before listening, in a row, before the daemon gives up. */
const MAX_BOOT_FAILURES = 3
/**
 * Front-end crashes within CRASH_WINDOW_MS after which the daemon exits non-zero, so systemd's
 * restart policy (with its start limit) takes over instead of a crash loop in here.
 */
const MAX_CRASHES = 5
/** How long a reload waits for a new front-end to listen before it keeps the old ones. */
const RELOAD_READY_MS = 15_000

/** What the fleet tells its owner. */
export interface FleetHooks {
  /** A message from a running front-end. */
  message: (worker: Worker, msg: FrontendMessage) => void
  /** A front-end was forked (its id is new). */
  forked: (workerId: number) => void
  /** A front-end exited, for whatever reason. */
  exited: (workerId: number) => void
  /** Front-ends cannot run (crash loop, nothing listens): the daemon must exit non-zero. */
  giveUp: () => void
}

/**
 * The HTTP front-ends (node:cluster workers): forks `server.workers` of them, re-forks one that
 * dies (at once the first time, then with a backoff while crashes repeat), replaces them one
 * at a time on reload, and drains them on shutdown. Once shutdown has begun nothing is forked.
 */
export class FrontendFleet {
  readonly #log: Logger
  readonly #hooks: FleetHooks
  readonly #crashes: number[] = []
  /** Front-ends (by cluster id) that reported listening. */
  readonly #serving = new Set<number>()
  /** Front-ends told to finish (reload): their exit is expected, not a crash. */
  readonly #retiring = new Set<number>()
  /** Resolvers waiting for a given front-end to report listening. */
  readonly #readyWaiters = new Map<number, () => void>()
  /** Re-forks waiting for their backoff. */
  readonly #respawns = new Set<NodeJS.Timeout>()
  #bootFailures = 0
  #stopping = false
  /** Front-ends re-forked after a crash. */
  restarts = 0

  constructor (log: Logger, hooks: FleetHooks) {
    this.#log = log
    this.#hooks = hooks
  }

  /** Forks `count` front-ends. */
  start (count: number): void {
    // Each front-end accepts from the shared listening socket itself (SCHED_NONE). With
    // round-robin the primary accepts and hands sockets over, and a connection handed to a
    // front-end that was just killed hung until the client's timeout; it also kept the primary
    // on the path of every connection.
    cluster.schedulingPolicy = cluster.SCHED_NONE
    cluster.setupPrimary({ exec: FRONTEND_ENTRY, args: [] })
    cluster.on('exit', (worker, code, signal) => { this.#onExit(worker, code, signal) })
    for (let i = 0; i < count; i++) this.#fork()
  }

  /** Front-end `worker` listens. */
  listening (worker: Worker): void {
    // Its `ready` crossed the shutdown: drain() has already killed it (it was not serving then),
    // so it is not a front-end that came up.
    if (this.#stopping && !this.#serving.has(worker.id)) {
      this.#log.debug('front-end listened during shutdown; it is being stopped', { worker: worker.id, pid: worker.process.pid })
      return
    }
    this.#serving.add(worker.id)
    this.#bootFailures = 0
    this.#log.info('front-end ready', { worker: worker.id, pid: worker.process.pid })
    this.#readyWaiters.get(worker.id)?.()
  }

  /**
   * Replaces the front-ends one at a time, each new one listening before an old one is told to
   * finish its responses, so the port never goes unserved. False when a new one did not start
   * (the others are kept).
   */
  async reload (target: number): Promise<boolean> {
    const old = this.#workers().filter((w) => !this.#retiring.has(w.id))
    for (let i = 0; i < Math.max(old.length, target); i++) {
      if (this.#stopping) return true
      if (i < target) {
        const fresh = this.#fork()
        if (fresh === undefined || !await this.#untilListening(fresh)) {
          if (!this.#stopping) this.#log.error('reload: a new front-end did not start; keeping the others', { worker: fresh?.id })
          return this.#stopping
        }
      }
      const retiring = old[i]
      if (retiring !== undefined) {
        this.#retiring.add(retiring.id)
        send(retiring, { kind: 'shutdown' })
      }
    }
    return true
  }

  /**
   * Shutdown: no more forks; front-ends that listen finish their responses (killed after
   * `deadlineMs`), the others are killed at once (they hold no response, and one that has not
   * got its config yet cannot hear `shutdown`). Resolves when every front-end has exited.
   */
  async drain (deadlineMs: number): Promise<void> {
    this.#stopping = true
    for (const t of this.#respawns) clearTimeout(t)
    this.#respawns.clear()
    const workers = this.#workers()
    const exited = Promise.all(workers.map(async (w) => { if (!w.isDead()) await new Promise((resolve) => { w.once('exit', resolve) }) }))
    for (const w of workers) {
      if (this.#serving.has(w.id)) send(w, { kind: 'shutdown' })
      else w.process.kill('SIGKILL')
    }
    if (await within(exited.then(() => true), deadlineMs, false)) return
    this.#log.warn('drain deadline reached: killing the front-ends still serving', { deadlineMs })
    this.kill()
    await exited
  }

  /** Kills every front-end now (a second signal, or the drain deadline). */
  kill (): void {
    this.#stopping = true
    for (const w of this.#workers()) w.process.kill('SIGKILL')
  }

  /** The front-ends that are running. */
  #workers (): Worker[] {
    return Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined)
  }

  #fork (): Worker | undefined {
    if (this.#stopping) return undefined
    const worker = cluster.fork()
    this.#hooks.forked(worker.id)
    worker.on('message', (msg: FrontendMessage) => { this.#hooks.message(worker, msg) })
    return worker
  }

  async #untilListening (worker: Worker): Promise<boolean> {
    const up = new Promise<boolean>((resolve) => {
      this.#readyWaiters.set(worker.id, () => { resolve(true) })
      worker.once('exit', () => { resolve(false) })
    })
    const listening = await within(up, RELOAD_READY_MS, false)
    this.#readyWaiters.delete(worker.id)
    return listening
  }

  #onExit (worker: Worker, code: number | null, signal: string | null): void {
    this.#hooks.exited(worker.id)
    const served = this.#serving.delete(worker.id)
    if (this.#stopping) return
    if (this.#retiring.delete(worker.id)) {
      this.#log.info('front-end retired', { worker: worker.id, pid: worker.process.pid })
      return
    }
    if (!served && ++this.#bootFailures >= MAX_BOOT_FAILURES) {
      this.#log.error('front-ends fail before listening; giving up', { failures: this.#bootFailures, code, signal })
      this.#stopping = true
      this.#hooks.giveUp()
      return
    }
    const now = Date.now()
    this.#crashes.push(now)
    while (this.#crashes.length > 0 && (this.#crashes[0] as number) < now - CRASH_WINDOW_MS) this.#crashes.shift()
    if (this.#crashes.length > MAX_CRASHES) {
      this.#log.error('front-ends keep crashing; exiting for the service manager to restart', { crashes: this.#crashes.length, windowMs: CRASH_WINDOW_MS })
      this.#stopping = true
      this.#hooks.giveUp()
      return
    }
    // The first re-fork is immediate so one crash never leaves the port without a listener
    // for long; repeated crashes back off.
    const delay = this.#crashes.length <= 1 ? 0 : Math.min(RESPAWN_MAX_MS, RESPAWN_BASE_MS * 2 ** (this.#crashes.length - 1))
    this.restarts++
    this.#log.error('front-end exited; re-forking', { worker: worker.id, pid: worker.process.pid, code, signal, delayMs: delay })
    const timer = setTimeout(() => { this.#respawns.delete(timer); this.#fork() }, delay)
    this.#respawns.add(timer)
  }

  /**
   * A front-end could not listen: every other would fail the same way, so the daemon gives up
   * at once, with one line that says why.
   */
  listenFailed (worker: Worker, failure: { code: string, address: string, port: number }): void {
    if (this.#stopping) return
    this.#stopping = true
    const why = failure.code === 'EADDRINUSE' ? 'another process holds it' : failure.code === 'EACCES' ? 'permission denied (a port below 1024 needs CAP_NET_BIND_SERVICE)' : failure.code
    this.#log.error(`cannot listen on ${failure.address}:${failure.port}: ${why}; exiting with status 1`, { code: failure.code, address: failure.address, port: failure.port, worker: worker.id })
    this.#hooks.giveUp()
  }
}

/** Sends unless the front-end's channel has closed (it is exiting). */
export function send (worker: Worker, msg: SupervisorMessage): void {
  if (worker.isConnected()) worker.send(msg)
}
