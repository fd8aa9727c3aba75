import { threadId } from 'node:worker_threads'
import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'
import { PREFIX, newRegistry, snapshotOf } from '../metrics/registry.js'
import type { ShardMetrics } from '../protocol.js'

/** From a warm swarm (a fraction of a second) to torrent.metadata_timeout_ms (30 s by default) and beyond. */
const METADATA_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120]

/** The engine's state at the moment of a scrape. */
export interface EngineFigures {
  /** In the client with metadata / in the client still looking for it / persisted but without network. */
  torrents: { active: number, awaiting_metadata: number, idle: number }
  peers: number
  /** Bytes per second, as WebTorrent measures them (a moving average over a few seconds). */
  downloadRate: number
  uploadRate: number
  /** Priority windows of open streams. */
  streams: number
}

/**
 * One shard thread's metrics, in its own registry: traffic and pieces as they happen, state
 * read when a scrape comes. No info-hash labels: series stay few however many torrents come.
 * The supervisor sums every shard, so each figure is daemon-wide.
 */
export class EngineMetrics {
  readonly registry: Registry
  readonly #downloaded: Counter
  readonly #uploaded: Counter
  readonly #verified: Counter
  readonly #metadataWait: Histogram
  readonly #figures: () => EngineFigures
  /** The two byte counters as plain numbers (prom-client's Counter.get() is async). */
  readonly #moved = { downloaded: 0, uploaded: 0 }
  /** The figures of the scrape being answered: read once, shared by every gauge. */
  #current: EngineFigures | null = null

  constructor (figures: () => EngineFigures) {
    this.#figures = figures
    this.registry = newRegistry()
    const registers = [this.registry]
    this.#downloaded = new Counter({ name: `${PREFIX}downloaded_bytes_total`, help: 'Bytes received from peers (all torrents).', registers })
    this.#uploaded = new Counter({ name: `${PREFIX}uploaded_bytes_total`, help: 'Bytes sent to peers (all torrents).', registers })
    this.#verified = new Counter({ name: `${PREFIX}pieces_verified_total`, help: 'Pieces downloaded and verified against their hash.', registers })
    this.#metadataWait = new Histogram({ name: `${PREFIX}metadata_wait_seconds`, help: 'Time from adding a magnet to having its metadata (torrents whose metadata arrived).', buckets: METADATA_BUCKETS, registers })
    const read = (): EngineFigures => (this.#current ??= this.#figures())
    // Registered below, in this registry only (prom-client's default would be its global one).
    const gauges = [new Gauge({
      name: `${PREFIX}torrents`,
      help: 'Torrents by state: active (in the engine), awaiting_metadata (in the engine, metadata not found yet), idle (kept on disk, no network).',
      labelNames: ['state'],
      registers: [],
      collect () { for (const [state, n] of Object.entries(read().torrents)) this.set({ state }, n) }
    }),
    new Gauge({ name: `${PREFIX}peers`, registers: [], help: 'Connected peers (all torrents).', collect () { this.set(read().peers) } }),
    new Gauge({ name: `${PREFIX}download_rate_bytes_per_second`, registers: [], help: 'Download speed from peers (moving average).', collect () { this.set(read().downloadRate) } }),
    new Gauge({ name: `${PREFIX}upload_rate_bytes_per_second`, registers: [], help: 'Upload speed to peers (moving average).', collect () { this.set(read().uploadRate) } }),
    new Gauge({ name: `${PREFIX}stream_windows`, registers: [], help: 'Priority windows of open streams in the engine.', collect () { this.set(read().streams) } })]
    for (const gauge of gauges) this.registry.registerMetric(gauge)
  }

  downloaded (bytes: number): void {
    this.#downloaded.inc(bytes)
    this.#moved.downloaded += bytes
  }

  uploaded (bytes: number): void {
    this.#uploaded.inc(bytes)
    this.#moved.uploaded += bytes
  }

  /** Bytes moved since the shard started, read synchronously (the bandwidth balancer's demand). */
  moved (): { downloaded: number, uploaded: number } {
    return { ...this.#moved }
  }

  pieceVerified (): void { this.#verified.inc() }
  metadataArrived (seconds: number): void { this.#metadataWait.observe(seconds) }

  /** The `metrics` task's answer. */
  async snapshot (shard: number): Promise<ShardMetrics> {
    try {
      return { shard, threadId, metrics: await snapshotOf(this.registry) }
    } finally {
      this.#current = null
    }
  }
}
