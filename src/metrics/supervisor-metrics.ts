import { createRequire } from 'node:module'
import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'
import type { EngineTask } from '../protocol.js'
import { PREFIX, newRegistry } from './registry.js'

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string }
/** Engine tasks run from sub-millisecond (ping, file) to a minute (a read waiting for a piece from a slow swarm). */
const TASK_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/** What the supervisor's metrics read when a scrape comes, so nothing is counted twice. */
export interface SupervisorFigures {
  frontendRestarts: () => number
  shardRestarts: () => readonly number[]
  reaper: () => { runs: number, evictions: number, lastPass: { at: number, torrents: number, bytes: number } | null }
  /** torrent.max_disk_usage; -1 is unlimited. */
  quotaBytes: () => number
}

/**
 * The supervisor's own metrics: restarts, the reaper, disk use and quota, engine task latency,
 * the state of the scrape itself, and its process metrics (`process="supervisor"`; the shard
 * threads run in this process, so its CPU and memory include them).
 */
export class SupervisorMetrics {
  readonly registry: Registry
  readonly #tasks: Histogram<'task' | 'outcome'>
  readonly #shardUp: Gauge<'shard'>
  readonly #frontends: Gauge
  readonly #stale: Gauge

  constructor (figures: SupervisorFigures) {
    this.registry = newRegistry('supervisor')
    const registers = [this.registry]
    const mirror = (name: string, help: string, read: () => number): void => {
      // A counter whose value lives elsewhere: set at each scrape (reset then add), still a counter to Prometheus.
      void new Counter({ name, help, registers, collect () { this.reset(); this.inc(read()) } })
    }
    mirror(`${PREFIX}frontend_restarts_total`, 'HTTP front-end processes re-forked after they died (not reload replacements).', figures.frontendRestarts)
    mirror(`${PREFIX}reaper_runs_total`, 'Reaper passes (timer and nudges).', () => figures.reaper().runs)
    mirror(`${PREFIX}evictions_total`, 'Torrents the reaper removed to keep within torrent.cache_size and torrent.max_disk_usage.', () => figures.reaper().evictions)
    // These register themselves (`registers`); the registry keeps them, nothing else needs to.
    void new Counter({
      name: `${PREFIX}shard_restarts_total`,
      help: 'Engine shard threads rebuilt after they died, by shard.',
      labelNames: ['shard'],
      registers,
      collect () {
        this.reset()
        figures.shardRestarts().forEach((n, shard) => { this.inc({ shard: String(shard) }, n) })
      }
    })
    void new Gauge({
      name: `${PREFIX}disk_used_bytes`,
      help: 'Bytes of torrent data on disk (allocated blocks) as of the last reaper pass (0 before the first).',
      registers,
      collect () { const last = figures.reaper().lastPass; if (last !== null) this.set(last.bytes) }
    })
    void new Gauge({
      name: `${PREFIX}disk_quota_bytes`,
      help: 'torrent.max_disk_usage in bytes; +Inf when unlimited.',
      registers,
      collect () { const q = figures.quotaBytes(); this.set(q >= 0 ? q : Infinity) }
    })
    void new Gauge({
      name: `${PREFIX}reaper_last_run_timestamp_seconds`,
      help: 'When the last reaper pass ended (Unix time; 0 before the first).',
      registers,
      collect () { const last = figures.reaper().lastPass; if (last !== null) this.set(last.at / 1000) }
    })
    new Gauge({ name: `${PREFIX}build_info`, help: 'Always 1; the labels say which version runs on which Node.js.', labelNames: ['version', 'nodejs'], registers })
      .set({ version, nodejs: process.version }, 1)
    this.#tasks = new Histogram({
      name: `${PREFIX}engine_task_duration_seconds`,
      help: 'Engine tasks from the supervisor to a shard thread and back, by task type and outcome (a read includes waiting for its piece).',
      labelNames: ['task', 'outcome'],
      buckets: TASK_BUCKETS,
      registers
    })
    this.#shardUp = new Gauge({ name: `${PREFIX}shard_up`, help: '1 when the shard thread answered this scrape, 0 when it is down or busy.', labelNames: ['shard'], registers })
    this.#frontends = new Gauge({ name: `${PREFIX}frontends`, help: 'HTTP front-end processes running (more than server.workers during a reload).', registers })
    this.#stale = new Gauge({ name: `${PREFIX}metrics_stale_sources`, help: 'Front-ends and shard threads that did not answer this scrape in time; their last known figures are shown.', registers })
  }

  /** Times one engine task (Shard.run). */
  observeTask (task: EngineTask['type'], seconds: number, ok: boolean): void {
    this.#tasks.observe({ task, outcome: ok ? 'ok' : 'error' }, seconds)
  }

  /** What the last collection saw. */
  setScrape (scrape: { shardsUp: readonly boolean[], frontends: number, stale: number }): void {
    scrape.shardsUp.forEach((up, shard) => { this.#shardUp.set({ shard: String(shard) }, up ? 1 : 0) })
    this.#frontends.set(scrape.frontends)
    this.#stale.set(scrape.stale)
  }
}
