import fsp from 'node:fs/promises'
import type { Config } from '../config/config.js'
import type { HealthReport, PingResult, ReadinessChecks } from '../protocol.js'

type ShardAnswer = PingResult | { shard: number, error: string }

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
export async function readiness (config: Config, shards: readonly ShardAnswer[], closing: boolean): Promise<HealthReport> {
  const disk = await Promise.all((['torrent.dir', 'torrent.state_dir'] as const).map(async (key) => {
    return { key, ...await checkWritable(key === 'torrent.dir' ? config.torrent.dir : config.torrent.state_dir) }
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
