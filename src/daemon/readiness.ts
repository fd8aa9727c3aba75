import fsp from 'node:fs/promises'
import type { Config } from '../config/config.js'
import type { HealthReport, PingResult, ReadinessChecks } from '../protocol.js'

type ShardAnswer = PingResult | { shard: number, error: string }
/** The folders readiness checks. */
export type DataDirs = Pick<Config['torrent'], 'dir' | 'state_dir'>

/**
 * How long one readiness answer is reused. GET /health is public and exempt from the request
 * limit (a load balancer polls it): computed per request, it pinged every shard and touched the
 * disk each time, and a flood of it slowed every other route.
 */
const READINESS_MAX_AGE_MS = 1000

/**
 * Can the daemon write into `dir`? access(2) with W_OK|X_OK: it fails on a missing folder, a
 * permission change and a read-only mount (EROFS), costs no write, and leaves nothing behind,
 * so a load balancer may ask every second. (A full disk is not caught: that needs free space,
 * which torrent.max_disk_usage is for.)
 */
export async function checkWritable (dir: string): Promise<{ ok: boolean, error?: string }> {
  try {
    await fsp.access(dir, fsp.constants.W_OK | fsp.constants.X_OK)
    return { ok: true }
  } catch (err) {
    return { ok: false, error: (err as NodeJS.ErrnoException).code ?? String(err) }
  }
}

/**
 * Readiness: every shard thread answers and has loaded its torrents, a configuration is loaded,
 * both data folders are writable, and the daemon is not shutting down.
 */
export async function readiness (dirs: DataDirs, shards: readonly ShardAnswer[], closing: boolean): Promise<HealthReport> {
  const disk = await Promise.all((['torrent.dir', 'torrent.state_dir'] as const).map(async (key) => {
    return { key, ...await checkWritable(key === 'torrent.dir' ? dirs.dir : dirs.state_dir) }
  }))
  const checks: ReadinessChecks = {
    shards: shards.every((s) => 'ready' in s && s.ready),
    // The supervisor does not start without a valid configuration, and a reload that fails
    // validation keeps the running one: while it answers, one is loaded.
    config: true,
    disk,
    running: !closing
  }
  const ready = checks.shards && checks.config && disk.every((d) => d.ok) && checks.running
  return { ready, shards: [...shards], checks }
}

/** The same report, saying the daemon is shutting down. */
export function shuttingDown (report: HealthReport): HealthReport {
  return { ...report, ready: false, checks: { ...report.checks, running: false } }
}

/**
 * Readiness computed at most once per `maxAgeMs`: requests within that time get the last
 * answer, and requests that arrive while it is being computed share that computation. A change
 * the report shows (a shard died or came up, a torrent or a stream came or went) invalidates
 * it, so it is never stale about those.
 */
export class CachedReadiness {
  readonly #compute: () => Promise<HealthReport>
  readonly #maxAgeMs: number
  #last: { report: HealthReport, at: number } | undefined
  #pending: Promise<HealthReport> | undefined
  /** Bumped by invalidate(): a computation begun before it is not kept nor shared. */
  #generation = 0

  constructor (compute: () => Promise<HealthReport>, maxAgeMs = READINESS_MAX_AGE_MS) {
    this.#compute = compute
    this.#maxAgeMs = maxAgeMs
  }

  /** The current report (at most `maxAgeMs` old, and computed after the last change). */
  async get (): Promise<HealthReport> {
    if (this.#last !== undefined && performance.now() - this.#last.at < this.#maxAgeMs) return this.#last.report
    if (this.#pending === undefined) {
      const generation = this.#generation
      const pending: Promise<HealthReport> = this.#compute().then((report) => {
        if (generation === this.#generation) this.#last = { report, at: performance.now() }
        return report
      }).finally(() => { if (this.#pending === pending) this.#pending = undefined })
      this.#pending = pending
    }
    return await this.#pending
  }

  /** What the report shows has changed: the next request computes it afresh. */
  invalidate (): void {
    this.#generation++
    this.#last = undefined
    this.#pending = undefined
  }
}
