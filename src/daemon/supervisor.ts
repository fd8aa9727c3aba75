import cluster from 'node:cluster'
import type { Worker } from 'node:cluster'
import crypto from 'node:crypto'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Config } from '../config/config.js'
import { shardOf } from '../infohash.js'
import type { Logger } from '../log.js'
import { serializeError } from '../errors.js'
import type { EngineTask, FrontendMessage, HealthReport, SupervisorMessage, ThrottleResult, TorrentSummary, TorrentUsage } from '../protocol.js'
import type { TaskOutcome } from '../workers/engine.js'
import { BandwidthBalancer } from './bandwidth.js'
import { RequestLimiter } from './request-limiter.js'
import { TorrentLedger } from './torrent-ledger.js'
import { pidFile } from './pid-file.js'
import { planReload } from '../config/reload.js'
import { Reaper } from './reaper.js'
import { Shard } from './shard-pool.js'
import { MetricsHub } from '../metrics/hub.js'
import { readiness } from './readiness.js'

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
  /** GET /metrics across every process and thread (src/metrics/hub.ts). */
  readonly metrics: MetricsHub
  readonly #limiter: RequestLimiter
  readonly #ledger: TorrentLedger
  readonly #bandwidth: BandwidthBalancer
  /** Signs stream URLs; random per start unless security.url_signing_key is set. */
  #urlKey: string
  frontendRestarts = 0

  constructor (config: Config, log: Logger) {
    this.#config = config
    this.#log = log
    this.metrics = new MetricsHub({
      shards: () => this.#shards,
      reaper: () => this.reaper,
      frontendRestarts: () => this.frontendRestarts,
      quotaBytes: () => this.#config.torrent.max_disk_usage,
      labels: { node: config.server.node_name }
    }, log)
    this.#shards = Array.from({ length: config.torrent.shards }, (_, i) => new Shard(i, config, log, this.metrics.observeTask))
    this.reaper = new Reaper({
      usage: async () => {
        const usage = (await this.#everyShard<TorrentUsage[]>({ type: 'usage' })).flat()
        this.#ledger.sync(usage.map((u) => u.infoHash))
        return usage
      },
      evict: async (infoHash) => {
        const ok = (await this.#shardFor(infoHash).run({ type: 'delete', infoHash })).ok
        if (ok) this.#ledger.forget(infoHash)
        return ok
      }
    }, { maxTorrents: config.torrent.cache_size, maxBytes: config.torrent.max_disk_usage }, config.torrent.cleanup_interval, log)
    this.#limiter = new RequestLimiter(config.security.requests_per_minute)
    this.#ledger = new TorrentLedger(torrentCaps(config))
    this.#bandwidth = new BandwidthBalancer(this.#shards.map((s) => ({
      throttle: async (download: number, upload: number) => {
        const out = await s.run({ type: 'throttle', download, upload })
        return out.ok ? out.value as ThrottleResult : null
      }
    })), bandwidthCaps(config))
    this.#urlKey = config.security.url_signing_key !== '' ? config.security.url_signing_key : crypto.randomBytes(32).toString('base64url')
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
    this.#ledger.sync((await this.#everyShard<TorrentSummary[]>({ type: 'list' })).flat().map((t) => t.infoHash))
    this.reaper.start()
    this.#bandwidth.start()
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
      this.#bandwidth.stop()
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
      for (const s of this.#shards) void s.setLogLevel(plan.config.logging.level)
      this.reaper.setLimits({ maxTorrents: plan.config.torrent.cache_size, maxBytes: plan.config.torrent.max_disk_usage })
      this.#limiter.setLimit(plan.config.security.requests_per_minute)
      this.#ledger.setCaps(torrentCaps(plan.config))
      this.#bandwidth.setCaps(bandwidthCaps(plan.config))
      if (plan.config.security.url_signing_key !== '') this.#urlKey = plan.config.security.url_signing_key
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
        send(worker, { kind: 'init', config: this.#config, urlKey: this.#urlKey, slot: this.metrics.attach(worker) })
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
      case 'admit':
        void this.#limiter.admit(msg.client).then((value) => { send(worker, { kind: 'result', id: msg.id, ok: true, value }) })
        return
      case 'engine':
        void this.#runTask(worker, msg.task, msg.client).then((out) => {
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
        return
      case 'metrics':
        this.metrics.scrape().then((value) => { send(worker, { kind: 'result', id: msg.id, ok: true, value }) }, (err: unknown) => {
          this.#log.error('metrics scrape failed', { err: String(err) })
          send(worker, { kind: 'result', id: msg.id, ok: false, error: serializeError(err) })
        })
        return
      case 'metrics-snapshot':
      case 'metrics-final':
        this.metrics.receive(worker.id, msg)
    }
  }

  async #runTask (worker: Worker, task: EngineTask, client?: string): Promise<TaskOutcome> {
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
    let reserved = false
    if (task.type === 'add' && client !== undefined) {
      try {
        reserved = this.#ledger.reserve(task.infoHash, client)
      } catch (err) {
        this.#log.warn('torrent refused: limit reached', { infoHash: task.infoHash, client, held: this.#ledger.size })
        return { ok: false, error: serializeError(err) }
      }
    }
    const out = await shard.run(task)
    if (reserved) this.#ledger.settle(task.infoHash, out.ok)
    else if (task.type === 'add' && out.ok) this.#ledger.note(task.infoHash)
    if (task.type === 'delete' && out.ok) this.#ledger.forget(task.infoHash)
    // A new torrent may push the count over torrent.cache_size, and a torrent whose last stream
    // ended may be evicted now: reap soon rather than at the next tick.
    if ((task.type === 'add' && out.ok && (out.value as { created: boolean }).created) || task.type === 'release') this.reaper.nudge()
    return out
  }

  /** Readiness: every shard answers, the data folders are writable, not shutting down (src/daemon/readiness.ts). */
  async health (): Promise<HealthReport> {
    const shards = await Promise.all(this.#shards.map(async (s) => await s.ping(HEALTH_PING_MS)))
    return await readiness(this.#config, shards, this.#closing !== undefined)
  }

  #onExit (worker: Worker, code: number | null, signal: string | null): void {
    this.metrics.detach(worker.id)
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

function torrentCaps (config: Config): { total: number, perClient: number } {
  return { total: config.security.max_torrents, perClient: config.security.max_torrents_per_ip }
}

function bandwidthCaps (config: Config): { download: number, upload: number } {
  return { download: config.torrent.download_rate_limit, upload: config.torrent.upload_rate_limit }
}

function send (worker: Worker, msg: SupervisorMessage): void {
  if (worker.isConnected()) worker.send(msg)
}
