import type { Worker } from 'node:cluster'
import type { Logger } from '../log.js'
import type { EngineTask, MetricsSnapshot, ShardMetrics } from '../protocol.js'
import type { TaskOutcome } from '../workers/engine.js'
import { MetricsLedger, sumSnapshots } from './ledger.js'
import { snapshotOf } from './registry.js'
import { renderMetrics } from './render.js'
import { SupervisorMetrics } from './supervisor-metrics.js'
import { RequestReply, within } from '../util/request-reply.js'
import type { SupervisorFigures } from './supervisor-metrics.js'

/**
 * How long a scrape waits for each front-end and shard thread. A retiring, dead or blocked one
 * must not stall it (Prometheus gives up after 10 s by default); its last figures are used.
 */
const COLLECT_TIMEOUT_MS = 1500

/** The slice of a shard (src/daemon/shard-pool.ts) a scrape uses. */
export interface MetricsShard {
  readonly index: number
  /** Times the shard's thread was rebuilt: when it moves, the old thread's counters are retired. */
  readonly restarts: number
  run: (task: EngineTask) => Promise<TaskOutcome>
}

export interface HubSources extends Omit<SupervisorFigures, 'shardRestarts'> {
  shards: () => readonly MetricsShard[]
  /** Labels put on every series (the node name). */
  labels?: Record<string, string>
}

/**
 * The supervisor's side of GET /metrics. A scrape of any front-end comes here; the hub asks
 * every front-end (`collect-metrics` over cluster IPC) and every shard thread (`metrics` task)
 * for its registry as JSON, adds its own, and merges them into one text. It also hands each
 * front-end a slot: the lowest number no running front-end has, so per-process labels stay
 * few (at most 2 x server.workers) however often front-ends are replaced.
 */
export class MetricsHub {
  readonly #own: SupervisorMetrics
  readonly #sources: HubSources
  readonly #log: Logger
  readonly #ledger = new MetricsLedger()
  /** Front-ends that got their config, by cluster worker id. */
  readonly #frontends = new Map<number, { worker: Worker, slot: number }>()
  /** Collections waiting for a front-end's answer. */
  readonly #collections = new RequestReply<undefined>(COLLECT_TIMEOUT_MS)
  /** The ledger source of each shard's current thread, and the restart count it belongs to. */
  readonly #shardSources = new Map<number, { source: string, restarts: number }>()
  constructor (sources: HubSources, log: Logger) {
    this.#sources = sources
    this.#log = log
    this.#own = new SupervisorMetrics({ ...sources, shardRestarts: () => sources.shards().map((s) => s.restarts) })
  }

  /** Times one engine task; handed to every Shard. */
  readonly observeTask = (task: EngineTask['type'], seconds: number, ok: boolean): void => {
    this.#own.observeTask(task, seconds, ok)
  }

  /** A front-end said hello: its slot (for the `init` message). */
  attach (worker: Worker): number {
    const used = new Set([...this.#frontends.values()].map((f) => f.slot))
    let slot = 0
    while (used.has(slot)) slot++
    this.#frontends.set(worker.id, { worker, slot })
    return slot
  }

  /** A front-end exited: its slot is free and its counts are kept as retired. */
  detach (workerId: number): void {
    this.#frontends.delete(workerId)
    this.#ledger.retire(frontendSource(workerId))
  }

  /** A `metrics-snapshot` (answer to a collection) or `metrics-final` (sent before a drained front-end exits). */
  receive (workerId: number, msg: { kind: 'metrics-snapshot', id: number, metrics: MetricsSnapshot } | { kind: 'metrics-final', metrics: MetricsSnapshot }): void {
    const source = frontendSource(workerId)
    this.#ledger.update(source, msg.metrics)
    if (msg.kind === 'metrics-final') {
      this.#ledger.retire(source)
      return
    }
    this.#collections.resolve(msg.id, undefined)
  }

  /** GET /metrics: the whole daemon as Prometheus text. */
  async scrape (): Promise<string> {
    return await renderMetrics(await this.collect(), this.#sources.labels)
  }

  /** Everything summed into one snapshot (for PM2's figures). */
  async summary (): Promise<MetricsSnapshot> {
    return sumSnapshots(await this.collect())
  }

  /** Asks every source for its figures now and answers the snapshots to merge. */
  async collect (): Promise<MetricsSnapshot[]> {
    const frontends = [...this.#frontends.entries()].filter(([, f]) => f.worker.isConnected())
    const shards = this.#sources.shards()
    const [answers, shardsUp] = await Promise.all([
      Promise.all(frontends.map(async ([, f]) => await this.#askFrontend(f.worker))),
      Promise.all(shards.map(async (s) => await this.#askShard(s)))
    ])
    const stale = answers.filter((ok) => !ok).length + shardsUp.filter((ok) => !ok).length
    if (stale > 0) this.#log.debug('metrics: sources did not answer in time; using their last figures', { stale })
    this.#own.setScrape({ shardsUp, frontends: frontends.length, stale })
    this.#ledger.update('supervisor', await snapshotOf(this.#own.registry))
    return this.#ledger.snapshots()
  }

  /** True when the front-end answered in time (its snapshot is in the ledger then). */
  async #askFrontend (worker: Worker): Promise<boolean> {
    // A channel that closed between isConnected() and send() makes the request fail at once.
    return await this.#collections.request((id) => { worker.send({ kind: 'collect-metrics', id }) }).then(() => true, () => false)
  }

  /** True when the shard thread answered in time. */
  async #askShard (shard: MetricsShard): Promise<boolean> {
    const seen = this.#shardSources.get(shard.index)
    // The thread this source belonged to died: its gauges go, its counters stay.
    if (seen !== undefined && seen.restarts !== shard.restarts) {
      this.#ledger.retire(seen.source)
      this.#shardSources.delete(shard.index)
    }
    const restarts = shard.restarts
    const answered = shard.run({ type: 'metrics' }).then((out) => {
      if (!out.ok) return false
      const { threadId, metrics } = out.value as ShardMetrics
      const source = `shard:${shard.index}:${threadId}`
      const current = this.#shardSources.get(shard.index)
      if (current !== undefined && current.restarts > restarts) {
        // A late answer from a thread that has been replaced since: it only corrects what it left.
        this.#ledger.update(source, metrics)
        this.#ledger.retire(source)
        return true
      }
      if (current !== undefined && current.source !== source) this.#ledger.retire(current.source)
      this.#shardSources.set(shard.index, { source, restarts })
      this.#ledger.update(source, metrics)
      return true
    })
    return await within(answered, COLLECT_TIMEOUT_MS, false)
  }
}

function frontendSource (workerId: number): string {
  return `frontend:${workerId}`
}
