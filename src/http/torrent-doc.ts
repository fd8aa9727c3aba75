import type { TorrentStatus } from '../protocol.js'

/**
 * The file's stream URL; the trailing name lets players show (and guess the type from) it.
 * `sign` gives the query that signs a path ('' on an open server).
 */
export function streamUrl (base: string, infoHash: string, id: number, name: string, sign: (path: string) => string): string {
  const path = `/stream/${infoHash}/${id}/${encodeURIComponent(name)}`
  return `${base}${path}${sign(path)}`
}

/** The public torrent document: the engine's status plus absolute (signed, when tokens are on) stream URLs. */
export function torrentDocument (status: TorrentStatus, base: string, sign: (path: string) => string): TorrentStatus & { files: Array<TorrentStatus['files'][number] & { streamUrl: string }> } {
  return {
    ...status,
    files: status.files.map((f) => ({ ...f, streamUrl: streamUrl(base, status.infoHash, f.id, f.name, sign) }))
  }
}
