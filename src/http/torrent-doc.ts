import type { TorrentStatus } from '../protocol.js'

/** The file's stream URL; the trailing name lets players show (and guess the type from) it. */
export function streamUrl (base: string, infoHash: string, id: number, name: string): string {
  return `${base}/stream/${infoHash}/${id}/${encodeURIComponent(name)}`
}

/** The public torrent document: the engine's status plus absolute stream URLs. */
export function torrentDocument (status: TorrentStatus, base: string): TorrentStatus & { files: Array<TorrentStatus['files'][number] & { streamUrl: string }> } {
  return {
    ...status,
    files: status.files.map((f) => ({ ...f, streamUrl: streamUrl(base, status.infoHash, f.id, f.name) }))
  }
}
