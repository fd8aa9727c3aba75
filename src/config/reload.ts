import { deepFreeze } from './config.js'
import type { Config } from './config.js'

/**
 * Settings a SIGHUP applies to the running daemon. The rest (ports, folders, shard count,
 * engine and security settings) is fixed for the life of the process: a reload keeps the old
 * value and logs that a restart is needed.
 */
export const LIVE_KEYS: ReadonlySet<string> = new Set([
  'logging.level',
  'logging.format',
  'server.workers',
  'server.trust_proxy',
  'server.max_torrent_upload_bytes',
  // New front-ends are forked on reload: their HTTP settings and access rules are new.
  'server.max_connections',
  'server.max_header_bytes',
  'server.header_timeout_ms',
  'server.write_idle_timeout_ms',
  'torrent.cache_size',
  'torrent.max_disk_usage',
  // The supervisor's bandwidth balancer hands the new caps out within a second.
  'torrent.download_rate_limit',
  'torrent.upload_rate_limit',
  'streaming.buffer_size',
  'streaming.sendfile',
  'security.api_tokens',
  'security.url_signing_key',
  'security.signed_url_ttl',
  'security.enable_cors',
  'security.allowed_origins',
  'security.requests_per_minute',
  'security.max_torrents',
  'security.max_torrents_per_ip'
])

export interface ReloadPlan {
  /** The configuration to run with: live keys from the new file, the rest as before. */
  config: Config
  applied: string[]
  needsRestart: string[]
}

/** Compares the running and the newly loaded configuration, key by key. */
export function planReload (running: Config, next: Config): ReloadPlan {
  const applied: string[] = []
  const needsRestart: string[] = []
  const merged: Record<string, Record<string, unknown>> = {}
  for (const [section, values] of Object.entries(running)) {
    if (typeof values !== 'object' || values === null || Array.isArray(values)) continue
    const target: Record<string, unknown> = { ...values as Record<string, unknown> }
    merged[section] = target
    for (const [key, old] of Object.entries(values as Record<string, unknown>)) {
      const fresh = (next as unknown as Record<string, Record<string, unknown>>)[section]?.[key]
      if (JSON.stringify(fresh) === JSON.stringify(old)) continue
      const name = `${section}.${key}`
      if (LIVE_KEYS.has(name)) {
        applied.push(name)
        target[key] = fresh
      } else {
        needsRestart.push(name)
      }
    }
  }
  const config = deepFreeze({ ...merged, source: next.source } as unknown as Config)
  return { config, applied, needsRestart }
}
