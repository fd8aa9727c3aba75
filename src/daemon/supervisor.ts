import cluster from 'node:cluster'
import type { Worker } from 'node:cluster'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Config } from '../config/config.js'
import { shardOf } from '../infohash.js'
import type { Logger } from '../log.js'
import type { EngineTask, FrontendMessage, HealthReport, SupervisorMessage, TorrentSummary, TorrentUsage } from '../protocol.js'
import type { TaskOutcome } from '../workers/engine.js'
import { pidFile } from './pid-file.js'
import { planReload } from '../config/reload.js'
import { Reaper } from './reaper.js'
import { Shard } from './shard-pool.js'

const FRONTEND_ENTRY = fileURLToPath(new URL('../http/frontend.js', import.meta.url))
const RESPAWN_BASE_MS = 100
const RESPAWN_MAX_MS = 30_000
/** Crashes within this window count towards the backoff. */
const CRASH_WINDOW_MS = 60_000
const HEALTH_PING_MS = 2_000
/** Front-ends that die before listening, in a row, before the daemon gives up (bad port...). */
const MAX_BOOT_FAILURES = 3
/**
 * Front-end crashes within CRASH_WINDOW_MS after which the daemon exits non-zero, so systemd's
 * restart policy (with its start limit) takes over instead of a crash loop in here.
 */
const MAX_CRASHES = 5
/**
 * How long shutdown waits for the front-ends to finish their responses before killing them
 * (they first keep serving ~6 s while keep-alive connections expire; see src/http/server.ts).
 * Below the unit's TimeoutStopSec.
 */
const DRAIN_MS = 25_000

/**
 * The cluster primary, an nginx-style master: forks the HTTP front-ends and re-forks any that
 * die (with backoff), owns the shard threads, routes each engine task to the shard that owns
 * its info-hash, and releases the streams of a front-end that died. Serves no traffic.
 */
export class Supervisor {
  #config: Config
  readonly #log: Logger
  readonly #shards: Shard[]
  /** Open streams per front-end (cluster worker id), released if that front-end dies. */
  readonly #streams = new Map<number, Map<string, string>>()
  readonly #crashes: number[] = []
  /** Front-ends (by cluster id) that reported listening. */
  readonly #serving = new Set<number>()
  /** Front-ends told to finish (reload): their exit is expected, not a crash. */
  readonly #retiring = new Set<number>()
  /** Resolvers waiting for a given front-end to report listening. */
  readonly #readyWaiters = new Map<number, () => void>()
  #reloading: Promise<void> | undefined
  #bootFailures = 0
  #ownsPidFile = false
  #listening = false
  #closing: Promise<void> | undefined
  readonly reaper: Reaper
  frontendRestarts = 0

  constructor (config: Config, log: Logger) {
    this.#config = config
    this.#log = log
    this.#shards = Array.from({ length: config.torrent.shards }, (_, i) => new Shard(i, config, log))
    this.reaper = new Reaper({
      usage: async () => (await this.#everyShard<TorrentUsage[]>({ type: 'usage' })).flat(),
      evict: async (infoHash) => (await this.#shardFor(infoHash).run({ type: 'delete', infoHash })).ok
    }, { maxTorrents: config.torrent.cache_size, maxBytes: config.torrent.max_disk_usage }, config.torrent.cleanup_interval, log)
  }

  /** Starts the shards only (for one-off commands such as `tod-p2m reap`). */
  async startEngine (): Promise<void> {
    await Promise.all(this.#shards.map(async (s) => await s.start()))
  }

  #shardFor (infoHash: string): Shard {
    return this.#shards[shardOf(infoHash, this.#shards.length)] as Shard
  }

  /** Runs a task on every shard and collects the values (shards that fail are left out). */
  async #everyShard<T> (task: EngineTask): Promise<T[]> {
    const outs = await Promise.all(this.#shards.map(async (s) => await s.run(task)))
    return outs.flatMap((o) => o.ok ? [o.value as T] : [])
  }

  async start (): Promise<void> {
    fs.mkdirSync(this.#config.torrent.dir, { recursive: true })
    fs.mkdirSync(this.#config.torrent.state_dir, { recursive: true })
    await this.startEngine()
    fs.writeFileSync(pidFile(this.#config), String(process.pid))
    this.#ownsPidFile = true
    this.reaper.start()
    // Each front-end accepts from the shared listening socket itself (SCHED_NONE). With
    // round-robin the primary accepts and hands sockets over, and a connection handed to a
    // front-end that was just killed hung until the client's timeout; it also kept the primary
    // on the path of every connection.
    cluster.schedulingPolicy = cluster.SCHED_NONE
    cluster.setupPrimary({ exec: FRONTEND_ENTRY, args: [] })
    cluster.on('exit', (worker, code, signal) => { this.#onExit(worker, code, signal) })
    for (let i = 0; i < this.#config.server.workers; i++) this.#fork()
  }

  /** Stops accepting, lets responses drain, closes the shards. Idempotent. */
  async close (): Promise<void> {
    this.#closing ??= (async () => {
      this.#log.info('shutting down')
      this.reaper.stop()
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined)
      const exited = Promise.all(workers.map(async (w) => await new Promise((resolve) => { w.once('exit', resolve) })))
      for (const w of workers) send(w, { kind: 'shutdown' })
      const deadline = setTimeout(() => { for (const w of workers) w.process.kill('SIGKILL') }, DRAIN_MS)
      await exited
      clearTimeout(deadline)
      await Promise.all(this.#shards.map(async (s) => await s.close()))
      if (this.#ownsPidFile) fs.rmSync(pidFile(this.#config), { force: true })
      this.#log.info('stopped')
    })()
    await this.#closing
  }

  /**
   * SIGHUP: applies what can change live (log level, limits, front-end count and settings) and
   * replaces the front-ends one at a time — each new one listening before an old one is told
   * to finish its responses and exit — so the port never goes unserved. Keys that need a
   * restart keep their old values and are logged.
   */
  async reload (next: Config): Promise<void> {
    if (this.#closing !== undefined) return
    this.#reloading ??= (async () => {
      const plan = planReload(this.#config, next)
      this.#config = plan.config
      this.#log.level = plan.config.logging.level
      this.reaper.setLimits({ maxTorrents: plan.config.torrent.cache_size, maxBytes: plan.config.torrent.max_disk_usage })
      if (plan.needsRestart.length > 0) this.#log.warn('reload: these settings need a restart; keeping the old values', { keys: plan.needsRestart })
      const old = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !this.#retiring.has(w.id))
      const target = plan.config.server.workers
      for (let i = 0; i < Math.max(old.length, target); i++) {
        if (i < target) {
          const fresh = this.#fork()
          const up = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => { resolve(false) }, 15_000)
            this.#readyWaiters.set(fresh.id, () => { clearTimeout(timer); resolve(true) })
            fresh.once('exit', () => { clearTimeout(timer); resolve(false) })
          })
          this.#readyWaiters.delete(fresh.id)
          if (!up) {
            this.#log.error('reload: a new front-end did not start; keeping the others', { worker: fresh.id })
            return
          }
        }
        const retiring = old[i]
        if (retiring !== undefined) {
          this.#retiring.add(retiring.id)
          send(retiring, { kind: 'shutdown' })
        }
      }
      this.#log.info('reloaded', { applied: plan.applied, workers: target })
    })().finally(() => { this.#reloading = undefined })
    await this.#reloading
  }

  #fork (): Worker {
    const worker = cluster.fork()
    this.#streams.set(worker.id, new Map())
    worker.on('message', (msg: FrontendMessage) => { this.#onMessage(worker, msg) })
    return worker
  }

  #onMessage (worker: Worker, msg: FrontendMessage): void {
    switch (msg.kind) {
      case 'hello':
        // The front-end listens for messages now: hand it the config (the ready handshake).
        send(worker, { kind: 'init', config: this.#config })
        return
      case 'ready':
        this.#serving.add(worker.id)
        this.#bootFailures = 0
        this.#log.info('front-end ready', { worker: worker.id, pid: worker.process.pid })
        this.#readyWaiters.get(worker.id)?.()
        if (!this.#listening) {
          this.#listening = true
          this.#log.info('listening', { port: msg.port, host: this.#config.server.host, workers: this.#config.server.workers, shards: this.#config.torrent.shards })
        }
        return
      case 'engine':
        void this.#runTask(worker, msg.task).then((out) => {
          send(worker, out.ok ? { kind: 'result', id: msg.id, ok: true, value: out.value } : { kind: 'result', id: msg.id, ok: false, error: out.error })
        })
        return
      case 'health':
        void this.health().then((value) => { send(worker, { kind: 'result', id: msg.id, ok: true, value }) })
        return
      case 'list':
        void this.#everyShard<TorrentSummary[]>({ type: 'list' }).then((lists) => {
          const value = lists.flat().sort((a, b) => b.lastAccess - a.lastAccess)
          send(worker, { kind: 'result', id: msg.id, ok: true, value })
        })
    }
  }

  async #runTask (worker: Worker, task: EngineTask): Promise<TaskOutcome> {
    if (!('infoHash' in task) && task.type !== 'crash') {
      return { ok: false, error: { code: 'TOD_ERR_BAD_QUERY', message: `${task.type} is not a front-end task` } }
    }
    if (task.type === 'crash') {
      const target = this.#shards[task.shard]
      return target !== undefined ? await target.run(task) : { ok: false, error: { code: 'TOD_ERR_BAD_QUERY', message: 'no such shard' } }
    }
    const shard = this.#shardFor(task.infoHash)
    const streams = this.#streams.get(worker.id)
    if (task.type === 'read') streams?.set(task.streamId, task.infoHash)
    if (task.type === 'release') streams?.delete(task.streamId)
    const out = await shard.run(task)
    // A new torrent may push the count over torrent.cache_size, and a torrent whose last stream
    // ended may be evicted now: reap soon rather than at the next tick.
    if ((task.type === 'add' && out.ok && (out.value as { created: boolean }).created) || task.type === 'release') this.reaper.nudge()
    return out
  }

  /** Readiness: every shard answers. */
  async health (): Promise<HealthReport> {
    const shards = await Promise.all(this.#shards.map(async (s) => await s.ping(HEALTH_PING_MS)))
    return { ready: this.#closing === undefined && shards.every((s) => 'ready' in s && s.ready), shards }
  }

  #onExit (worker: Worker, code: number | null, signal: string | null): void {
    const streams = this.#streams.get(worker.id)
    this.#streams.delete(worker.id)
    for (const [streamId, infoHash] of streams ?? []) {
      void this.#runTask(worker, { type: 'release', infoHash, streamId })
    }
    if (this.#closing !== undefined) return
    if (this.#retiring.delete(worker.id)) {
      this.#serving.delete(worker.id)
      this.#log.info('front-end retired', { worker: worker.id, pid: worker.process.pid })
      return
    }
    if (!this.#serving.delete(worker.id) && ++this.#bootFailures >= MAX_BOOT_FAILURES) {
      this.#log.error('front-ends fail before listening; giving up', { failures: this.#bootFailures, code, signal })
      void this.close().finally(() => process.exit(1))
      return
    }
    const now = Date.now()
    this.#crashes.push(now)
    while (this.#crashes.length > 0 && (this.#crashes[0] as number) < now - CRASH_WINDOW_MS) this.#crashes.shift()
    if (this.#crashes.length > MAX_CRASHES) {
      this.#log.error('front-ends keep crashing; exiting for the service manager to restart', { crashes: this.#crashes.length, windowMs: CRASH_WINDOW_MS })
      void this.close().finally(() => process.exit(1))
      return
    }
    // The first re-fork is immediate so one crash never leaves the port without a listener
    // for long; repeated crashes back off.
    const delay = this.#crashes.length <= 1 ? 0 : Math.min(RESPAWN_MAX_MS, RESPAWN_BASE_MS * 2 ** (this.#crashes.length - 1))
    this.frontendRestarts++
    this.#log.error('front-end exited; re-forking', { worker: worker.id, pid: worker.process.pid, code, signal, delayMs: delay })
    setTimeout(() => { if (this.#closing === undefined) this.#fork() }, delay)
  }
}

function send (worker: Worker, msg: SupervisorMessage): void {
  if (worker.isConnected()) worker.send(msg)
}
