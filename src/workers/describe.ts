import fsp from 'node:fs/promises'
import path from 'node:path'
import mime from 'mime-types'
import type { Torrent, TorrentFile } from 'webtorrent'
import type { FileInfo, FileStatus, TorrentInfo, TorrentStatus, TorrentSummary, TorrentUsage } from '../protocol.js'
import type { EngineFigures } from './engine-metrics.js'
import type { TorrentMeta } from './persist.js'
import type { Streams } from './streams.js'
import type { Entry } from './torrent-entry.js'
import type { Torrents } from './torrents.js'

/** A torrent's metadata as the engine describes it. */
export function describe (torrent: Torrent): TorrentInfo {
  return {
    infoHash: torrent.infoHash,
    name: torrent.name,
    size: torrent.length,
    pieceLength: torrent.pieceLength,
    files: torrent.files.map((f, i) => describeFile(f, i))
  }
}

/** One file of a torrent, with the MIME type its name suggests. */
export function describeFile (file: TorrentFile, id: number): FileInfo {
  return { id, name: file.name, path: file.path.split(path.sep).join('/'), size: file.length, mime: mime.lookup(file.name) || 'application/octet-stream' }
}

/** The torrent document of an active torrent with its metadata: figures, progress, `streams` readers. */
export function torrentStatus ({ torrent, meta }: Entry, streams: number): TorrentStatus {
  const files: FileStatus[] = torrent.files.map((f, i) => ({
    ...describeFile(f, i),
    progress: f.length === 0 ? 1 : verifiedBytes(torrent, f.offset, f.offset + f.length) / f.length
  }))
  const downloaded = verifiedBytes(torrent, 0, torrent.length)
  return {
    ...describe(torrent),
    state: 'active',
    progress: torrent.length === 0 ? 1 : downloaded / torrent.length,
    downloaded,
    downloadSpeed: Math.round(torrent.downloadSpeed),
    uploadSpeed: Math.round(torrent.uploadSpeed),
    peers: torrent.numPeers,
    streams,
    addedAt: meta.addedAt,
    lastAccess: meta.lastAccess,
    files
  }
}

/** An active torrent in brief (its name and size are known once the metadata is). */
export function activeSummary ({ infoHash, torrent, meta }: Entry): TorrentSummary {
  return { infoHash, name: torrent.name ?? meta.name, size: torrent.length ?? meta.size, state: 'active', lastAccess: meta.lastAccess }
}

/** A dormant torrent in brief, from its persisted record. */
export function idleSummary (infoHash: string, meta: TorrentMeta): TorrentSummary {
  return { infoHash, name: meta.name, size: meta.size, state: 'idle', lastAccess: meta.lastAccess }
}

/** Verified bytes of the torrent within absolute byte range [start, end). */
export function verifiedBytes (torrent: Torrent, start: number, end: number): number {
  if (end <= start) return 0
  const pl = torrent.pieceLength
  let total = 0
  for (let p = Math.floor(start / pl); p * pl < end; p++) {
    if (torrent.bitfield.get(p)) total += Math.min(end, (p + 1) * pl) - Math.max(start, p * pl)
  }
  return total
}

/** Allocated bytes under `dir` (st_blocks: sparse files count what is written). */
async function diskUsage (dir: string): Promise<number> {
  let total = 0
  const entries = await fsp.readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  for (const e of entries) {
    if (!e.isFile()) continue
    const st = await fsp.stat(path.join(e.parentPath ?? e.path, e.name)).catch(() => null)
    if (st !== null) total += st.blocks * 512
  }
  return total
}

/** Bytes on disk (allocated blocks: files are sparse), last access and open streams per torrent under `dir`. */
export async function torrentUsage (torrents: Torrents, streams: Streams, dir: string): Promise<TorrentUsage[]> {
  const all = [
    ...[...torrents.active()].map((e) => ({ infoHash: e.infoHash, lastAccess: e.meta.lastAccess, streams: streams.count(e.torrent) })),
    ...[...torrents.dormant()].map(([infoHash, m]) => ({ infoHash, lastAccess: m.lastAccess, streams: 0 }))
  ]
  const out: TorrentUsage[] = []
  for (const u of all) out.push({ ...u, bytes: await diskUsage(path.join(dir, u.infoHash)) })
  return out
}

/** The engine's state for a metrics scrape. */
export function engineFigures (torrents: Torrents, streams: Streams): EngineFigures {
  const figures: EngineFigures = { torrents: { active: 0, awaiting_metadata: 0, idle: [...torrents.dormant()].length }, peers: 0, downloadRate: 0, uploadRate: 0, streams: streams.count() }
  for (const { torrent } of torrents.active()) {
    if (torrent.metadata === null) figures.torrents.awaiting_metadata++
    else figures.torrents.active++
    figures.peers += torrent.numPeers
    figures.downloadRate += torrent.downloadSpeed
    figures.uploadRate += torrent.uploadSpeed
  }
  return figures
}
