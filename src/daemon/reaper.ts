import schedule from 'node-schedule'
import type { Logger } from '../log.js'
import type { TorrentUsage } from '../protocol.js'

/** How soon a nudged pass runs; bursts of stream ends within it make one pass. */
const NUDGE_MS = 200

/** The limits the reaper enforces. */
export interface ReapLimits {
  /** Most torrents kept (torrent.cache_size). */
  maxTorrents: number
  /** Disk quota in bytes (torrent.max_disk_usage); -1 is unlimited, 0 keeps nothing idle. */
  maxBytes: number
}

/**
 * Which torrents to evict: least recently streamed first, only torrents with no open stream,
 * until both the count and the bytes are within the limits (or nothing idle is left).
 */
export function planEvictions (torrents: readonly TorrentUsage[], limits: ReapLimits): string[] {
  let count = torrents.length
  let bytes = torrents.reduce((sum, t) => sum + t.bytes, 0)
  const over = (): boolean => count > limits.maxTorrents || (limits.maxBytes >= 0 && bytes > limits.maxBytes)
  const idle = torrents.filter((t) => t.streams === 0).sort((a, b) => a.lastAccess - b.lastAccess)
  const evict: string[] = []
  for (const t of idle) {
    if (!over()) break
    evict.push(t.infoHash)
    count--
    bytes -= t.bytes
  }
  return evict
}

/** What the reaper calls on the engine. */
export interface ReaperEngine {
  usage: () => Promise<TorrentUsage[]>
  /** Deletes a torrent unless a stream opened on it meanwhile (the engine refuses then). */
  evict: (infoHash: string) => Promise<boolean>
}

export interface ReapReport { torrents: number, bytes: number, evicted: string[], ms: number }

/**
 * Keeps the data folder within the quota and the torrent count, on a node-schedule timer
 * (torrent.cleanup_interval) and on demand. Runs never overlap.
 */
export class Reaper {
  readonly #engine: ReaperEngine
  #limits: ReapLimits
  readonly #intervalMs: number
  readonly #log: Logger
  #job: schedule.Job | null = null
  #running: Promise<ReapReport> | null = null
  #nudge: NodeJS.Timeout | null = null
  #stopped = false
  runs = 0
  evictions = 0
  /** The last pass (for metrics: disk use as of then). */
  lastPass: { at: number, torrents: number, bytes: number } | null = null

  constructor (engine: ReaperEngine, limits: ReapLimits, intervalSeconds: number, log: Logger) {
    this.#engine = engine
    this.#limits = limits
    this.#intervalMs = Math.max(1, intervalSeconds) * 1000
    this.#log = log
  }

  /** New limits from a reload; the next pass uses them. */
  setLimits (limits: ReapLimits): void {
    this.#limits = limits
  }

  start (): void {
    this.#stopped = false
    this.#scheduleNext()
  }

  /**
   * A pass soon (within NUDGE_MS), coalescing bursts: called when a stream ends or a torrent is
   * added, so the quota holds between timer ticks too.
   */
  nudge (): void {
    if (this.#stopped || this.#nudge !== null) return
    this.#nudge = setTimeout(() => {
      this.#nudge = null
      this.run().catch((err: unknown) => { this.#log.error('reaper failed', { err: String(err) }) })
    }, NUDGE_MS)
  }

  stop (): void {
    if (this.#nudge !== null) clearTimeout(this.#nudge)
    this.#nudge = null
    this.#stopped = true
    this.#job?.cancel()
    this.#job = null
  }

  /** One pass now (or the one already running). */
  async run (): Promise<ReapReport> {
    this.#running ??= this.#pass().finally(() => { this.#running = null })
    return await this.#running
  }

  #scheduleNext (): void {
    if (this.#stopped) return
    // A one-off job per pass: any interval works (a cron rule cannot say "every 90 s"), and a
    // slow pass pushes the next one back instead of piling up.
    this.#job = schedule.scheduleJob(new Date(Date.now() + this.#intervalMs), () => {
      this.run().catch((err: unknown) => { this.#log.error('reaper failed', { err: String(err) }) })
        .finally(() => { this.#scheduleNext() })
    })
  }

  async #pass (): Promise<ReapReport> {
    const started = Date.now()
    const usage = await this.#engine.usage()
    const plan = planEvictions(usage, this.#limits)
    const evicted: string[] = []
    const byHash = new Map(usage.map((t) => [t.infoHash, t]))
    for (const infoHash of plan) {
      if (!await this.#engine.evict(infoHash)) continue
      evicted.push(infoHash)
      const t = byHash.get(infoHash)
      this.#log.info('torrent evicted', { infoHash, bytes: t?.bytes, lastAccess: t?.lastAccess })
    }
    this.runs++
    this.evictions += evicted.length
    const bytes = usage.reduce((sum, t) => sum + t.bytes, 0)
    const freed = evicted.reduce((sum, ih) => sum + (byHash.get(ih)?.bytes ?? 0), 0)
    this.lastPass = { at: Date.now(), torrents: usage.length - evicted.length, bytes: bytes - freed }
    const report = { torrents: usage.length, bytes, evicted, ms: Date.now() - started }
    if (evicted.length > 0) this.#log.info('reaper evicted', { ...report, maxBytes: this.#limits.maxBytes, maxTorrents: this.#limits.maxTorrents })
    else this.#log.debug('reaper pass', report)
    return report
  }
}
