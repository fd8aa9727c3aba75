import type { Torrent } from 'webtorrent'
import type { Logger } from '../log.js'
import type { EngineMetrics } from './engine-metrics.js'

export interface WatchedTorrent {
  infoHash: string
  /** Added from a magnet, so its metadata comes from the swarm (and is timed). */
  fromMagnet: boolean
  /** Reloaded from the state folder (not a new torrent). */
  persisted: boolean
}

/**
 * Lifecycle log lines and metrics of one torrent in the client: added, done (metadata, ready,
 * error and deletion are logged by the engine, eviction by the reaper), and its traffic and
 * verified pieces.
 */
export function watchTorrent (torrent: Torrent, t: WatchedTorrent, log: Logger, metrics: EngineMetrics): void {
  const { infoHash } = t
  const added = Date.now()
  let verifiedHere = 0
  if (!t.persisted) log.info('torrent added', { infoHash, from: t.fromMagnet ? 'magnet' : 'torrent-file' })
  if (t.fromMagnet && !t.persisted) torrent.once('metadata', () => { metrics.metadataArrived((Date.now() - added) / 1000) })
  torrent.on('verified', () => { verifiedHere++; metrics.pieceVerified() })
  torrent.on('download', (bytes: number) => { metrics.downloaded(bytes) })
  torrent.on('upload', (bytes: number) => { metrics.uploaded(bytes) })
  // A complete torrent woken from disk is 'done' at once: only a download that finished here is news.
  torrent.once('done', () => { if (verifiedHere > 0) log.info('torrent done', { infoHash, name: torrent.name, size: torrent.length }) })
}
