import type { MetricsSnapshot } from '../protocol.js'
import { PREFIX } from './registry.js'

/** The few figures PM2 shows (`pm2 monit`, `pm2 show`) and its `stats` action answers. */
export interface KeyFigures {
  torrents: number
  activeStreams: number
  peers: number
  downloadBytesPerSecond: number
  uploadBytesPerSecond: number
  diskUsedBytes: number
  httpRequests: number
  frontendRestarts: number
  shardRestarts: number
}

/** Reads the key figures from a merged snapshot (every series of a metric added up). */
export function keyFigures (summary: MetricsSnapshot): KeyFigures {
  const total = (name: string): number =>
    summary.find((m) => m.name === PREFIX + name)?.values.reduce((sum, v) => sum + v.value, 0) ?? 0
  return {
    torrents: total('torrents'),
    activeStreams: total('http_active_streams'),
    peers: total('peers'),
    downloadBytesPerSecond: total('download_rate_bytes_per_second'),
    uploadBytesPerSecond: total('upload_rate_bytes_per_second'),
    diskUsedBytes: total('disk_used_bytes'),
    httpRequests: total('http_requests_total'),
    frontendRestarts: total('frontend_restarts_total'),
    shardRestarts: total('shard_restarts_total')
  }
}
