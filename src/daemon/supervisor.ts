import type { Worker } from 'node:cluster'
import crypto from 'node:crypto'
import fs from 'node:fs'
import type { Config } from '../config/config.js'
import type { Logger } from '../log.js'
import type { FrontendMessage, HealthReport, ThrottleResult, TorrentSummary, TorrentUsage } from '../protocol.js'
import { BandwidthBalancer } from './bandwidth.js'
import { RequestLimiter } from './request-limiter.js'
import { TorrentLedger } from './torrent-ledger.js'
import { pidFile } from './pid-file.js'
import { planReload } from '../config/reload.js'
import { Reaper } from './reaper.js'
import { MetricsHub } from '../metrics/hub.js'
import { CachedReadiness, readiness, shuttingDown } from './readiness.js'
import { FrontendFleet, send } from './frontend-fleet.js'
import { ShardSet } from './shard-set.js'
import { TaskGateway } from './task-gateway.js'
import { dispatch } from './ipc-dispatch.js'
import type { FrontendRequests } from './ipc-dispatch.js'

const HEALTH_PING_MS = 2_000
/**
 * How long shutdown lets the front-ends finish their responses before killing them: the
 * 10 s docs/operations.md promises, well below the unit's TimeoutStopSec (30 s).
 */
export const DRAIN_MS = 10_000

/**
 * The cluster primary, an nginx-style master: wires the front-end fleet (frontend-fleet.ts),
 * the shard threads (shard-set.ts) and the tasks front-ends may run on them (task-gateway.ts),
 * and the daemon-wide limits. Serves no traffic.
 */
export class Supervisor {
  #config: Config
  readonly #log: Logger
  readonly #shards: ShardSet
  readonly #fleet: FrontendFleet
  readonly #gateway: TaskGateway
  readonly #readiness: CachedReadiness
  #ownsPidFile = false
  #listening = false
  #reloading: Promise<void> | undefined
  #closing: Promise<void> | undefined
  readonly reaper: Reaper
  /** GET /metrics across every process and thread (src/metrics/hub.ts). */
  readonly metrics: MetricsHub
  readonly #limiter: RequestLimiter
  readonly #ledger: TorrentLedger
  readonly #bandwidth: BandwidthBalancer
  /** Signs stream URLs; random per start unless security.url_signing_key is set. */
  #urlKey: string

  constructor (config: Config, log: Logger) {
    this.#config = config
    this.#log = log
    this.metrics = new MetricsHub({
      shards: () => this.#shards.shards,
      reaper: () => this.reaper,
      frontendRestarts: () => this.#fleet.restarts,
      quotaBytes: () => this.#config.torrent.max_disk_usage,
      labels: { node: config.server.node_name }
    }, log)
    this.#shards = new ShardSet(config, log, this.metrics.observeTask, () => { this.#readiness.invalidate() })
    this.reaper = new Reaper({
      usage: async () => {
        const usage = (await this.#shards.everyShard<TorrentUsage[]>({ type: 'usage' })).flat()
        this.#ledger.sync(usage.map((u) => u.infoHash))
        return usage
      },
      evict: async (infoHash) => {
        const ok = (await this.#shards.shardFor(infoHash).run({ type: 'delete', infoHash })).ok
        if (ok) {
          this.#ledger.forget(infoHash)
          this.#readiness.invalidate()
        }
        return ok
      }
    }, reapLimits(config), config.torrent.cleanup_interval, log)
    this.#limiter = new RequestLimiter(config.security.requests_per_minute)
    this.#ledger = new TorrentLedger(torrentCaps(config))
    this.#bandwidth = new BandwidthBalancer(this.#shards.shards.map((s) => ({
      throttle: async (download: number, upload: number) => {
        const out = await s.run({ type: 'throttle', download, upload })
        return out.ok ? out.value as ThrottleResult : null
      }
    })), bandwidthCaps(config))
    this.#gateway = new TaskGateway(this.#shards, this.#ledger, {
      nudge: () => { this.reaper.nudge() },
      changed: () => { this.#readiness.invalidate() }
    }, log)
    this.#readiness = new CachedReadiness(async () => await readiness(this.#config.torrent, await this.#shards.ping(HEALTH_PING_MS), this.#closing !== undefined))
    this.#fleet = new FrontendFleet(log, {
      message: (worker, msg) => { this.#onMessage(worker, msg) },
      forked: (id) => { this.#gateway.frontendUp(id) },
      exited: (id) => {
        this.metrics.detach(id)
        this.#gateway.frontendGone(id)
      },
      giveUp: () => { void this.close().finally(() => process.exit(1)) }
    })
    this.#urlKey = config.security.url_signing_key !== '' ? config.security.url_signing_key : crypto.randomBytes(32).toString('base64url')
  }

  /** Starts the shards only (for one-off commands such as `tod-p2m reap`). */
  async startEngine (): Promise<void> {
    await this.#shards.start()
  }

  async start (): Promise<void> {
    fs.mkdirSync(this.#config.torrent.dir, { recursive: true })
    fs.mkdirSync(this.#config.torrent.state_dir, { recursive: true })
    await this.startEngine()
    fs.writeFileSync(pidFile(this.#config.torrent), String(process.pid))
    this.#ownsPidFile = true
    this.#ledger.sync((await this.#shards.everyShard<TorrentSummary[]>({ type: 'list' })).flat().map((t) => t.infoHash))
    this.reaper.start()
    this.#bandwidth.start()
    // A signal may have come while the shards started: fork nothing then.
    if (this.#closing === undefined) this.#fleet.start(this.#config.server.workers)
  }

  /**
   * Stops accepting, lets responses drain (up to DRAIN_MS), closes the shards in parallel.
   * Nothing is forked once it has begun. Idempotent.
   */
  async close (): Promise<void> {
    this.#closing ??= (async () => {
      this.#log.info('shutting down')
      this.reaper.stop()
      this.#bandwidth.stop()
      await this.#fleet.drain(DRAIN_MS)
      await this.#shards.close()
      if (this.#ownsPidFile) fs.rmSync(pidFile(this.#config.torrent), { force: true })
      this.#log.info('stopped')
    })()
    await this.#closing
  }

  /** A second signal: the front-ends die now (the process exits next, ending the shard threads). */
  kill (): void {
    this.#fleet.kill()
    if (this.#ownsPidFile) fs.rmSync(pidFile(this.#config.torrent), { force: true })
  }

  /**
   * SIGHUP: applies what can change live (log level, limits, front-end count and settings) and
   * replaces the front-ends one at a time (frontend-fleet.ts). Keys that need a restart keep
   * their old values and are logged.
   */
  async reload (next: Config): Promise<void> {
    if (this.#closing !== undefined) return
    this.#reloading ??= (async () => {
      const plan = planReload(this.#config, next)
      this.#config = plan.config
      this.#log.level = plan.config.logging.level
      this.#shards.setLogLevel(plan.config.logging.level)
      this.reaper.setLimits(reapLimits(plan.config))
      this.#limiter.setLimit(plan.config.security.requests_per_minute)
      this.#ledger.setCaps(torrentCaps(plan.config))
      this.#bandwidth.setCaps(bandwidthCaps(plan.config))
      if (plan.config.security.url_signing_key !== '') this.#urlKey = plan.config.security.url_signing_key
      if (plan.needsRestart.length > 0) this.#log.warn('reload: these settings need a restart; keeping the old values', { keys: plan.needsRestart })
      if (await this.#fleet.reload(plan.config.server.workers)) this.#log.info('reloaded', { applied: plan.applied, workers: plan.config.server.workers })
    })().finally(() => { this.#reloading = undefined })
    await this.#reloading
  }

  /**
   * Readiness (src/daemon/readiness.ts), computed at most once a second: GET /health is public
   * and unlimited, and must stay cheap however often it is asked.
   */
  async health (): Promise<HealthReport> {
    const report = await this.#readiness.get()
    return this.#closing !== undefined ? shuttingDown(report) : report
  }

  #onMessage (worker: Worker, msg: FrontendMessage): void {
    dispatch(worker, msg, this.#requests, this.#log)
  }

  readonly #requests: FrontendRequests = {
    hello: (worker) => {
      send(worker, { kind: 'init', config: this.#config, urlKey: this.#urlKey, slot: this.metrics.attach(worker) })
    },
    ready: (worker, port) => {
      this.#fleet.listening(worker)
      if (this.#listening) return
      this.#listening = true
      this.#log.info('listening', { port, host: this.#config.server.host, workers: this.#config.server.workers, shards: this.#config.torrent.shards })
    },
    listenFailed: (worker, failure) => { this.#fleet.listenFailed(worker, failure) },
    admit: async (client) => await this.#limiter.admit(client),
    engine: async (worker, task, client) => await this.#gateway.run(worker.id, task, client),
    health: async () => await this.health(),
    list: async () => (await this.#shards.everyShard<TorrentSummary[]>({ type: 'list' })).flat().sort((a, b) => b.lastAccess - a.lastAccess),
    metrics: async () => await this.metrics.scrape(),
    metricsReport: (worker, msg) => { this.metrics.receive(worker.id, msg) }
  }
}

function reapLimits (config: Config): { maxTorrents: number, maxBytes: number } {
  return { maxTorrents: config.torrent.cache_size, maxBytes: config.torrent.max_disk_usage }
}

function torrentCaps (config: Config): { total: number, perClient: number } {
  return { total: config.security.max_torrents, perClient: config.security.max_torrents_per_ip }
}

function bandwidthCaps (config: Config): { download: number, upload: number } {
  return { download: config.torrent.download_rate_limit, upload: config.torrent.upload_rate_limit }
}
