import type { MediaInfo } from '../media/probe.js'
import type { FileStatus, TorrentStatus } from '../protocol.js'
import { kindOf, routeOfKind, subtitlesOf } from './file-kind.js'
import type { FileKind } from './file-kind.js'

/** A file's URL as handed out: the route by its kind, its name for players, signed when tokens are on. */
export interface FileLink { id: number, name: string, kind: FileKind }

/**
 * The file's URL; the trailing name lets players show (and guess the type from) it. The route
 * is chosen by kind (/image/, /document/, else /stream/). `sign` gives the query that signs a
 * path ('' on an open server); the signature covers the path without the name.
 */
export function fileUrl (base: string, infoHash: string, file: FileLink, sign: (path: string) => string): string {
  const path = `/${routeOfKind(file.kind)}/${infoHash}/${file.id}`
  return `${base}${path}/${encodeURIComponent(file.name)}${sign(path)}`
}

/** A subtitle of a video, as the torrent document and playlists list it. */
export interface SubtitleLink { id: number, name: string, lang?: string, url: string }

/**
 * `hlsUrl`: the HLS master playlist of a video or audio file (src/media), for browsers that
 * cannot play the file itself (MKV, HEVC, AC-3 ...).
 */
export type DocumentFile = FileStatus & { kind: FileKind, streamUrl: string, hlsUrl?: string, media?: MediaInfo, subtitles?: SubtitleLink[] }

/** The HLS master playlist URL of a file, signed when tokens are on (the playlist signs its children). */
export function hlsUrl (base: string, infoHash: string, fileId: number, sign: (path: string) => string): string {
  const path = `/hls/${infoHash}/${fileId}/playlist.m3u8`
  return `${base}${path}${sign(path)}`
}

/**
 * The public torrent document: the engine's status plus each file's kind and absolute URL
 * (signed when tokens are on), for video and audio the HLS URL and, once probed, the media
 * details, and for a video the subtitle files named after it.
 */
export function torrentDocument (status: TorrentStatus, base: string, sign: (path: string) => string, probed: (fileId: number) => MediaInfo | undefined = () => undefined): Omit<TorrentStatus, 'files'> & { playlistUrl: string, files: DocumentFile[] } {
  const links = status.files.map((f) => {
    const kind = kindOf(f)
    // `media`: what probing found (duration, codecs, tracks, playback), once this front-end has
    // probed the file (an HLS request did); a document never starts a probe.
    const info = kind === 'video' || kind === 'audio' ? probed(f.id) : undefined
    const media = kind === 'video' || kind === 'audio' ? { hlsUrl: hlsUrl(base, status.infoHash, f.id, sign), ...(info !== undefined ? { media: info } : {}) } : {}
    return { ...f, kind, streamUrl: fileUrl(base, status.infoHash, { id: f.id, name: f.name, kind }, sign), ...media }
  })
  const subtitles = subtitlesOf(status.files)
  const playlist = `/playlist/${status.infoHash}.m3u`
  return {
    ...status,
    // The M3U for players (VLC, mpv, Kodi), signed like the streams so it works without headers.
    playlistUrl: `${base}${playlist}${sign(playlist)}`,
    files: links.map((f) => {
      const subs = subtitles.get(f.id)
      if (subs === undefined) return f
      return {
        ...f,
        subtitles: subs.map(({ id, lang }) => {
          const sub = links.find((l) => l.id === id)
          return { id, name: sub?.name ?? '', ...(lang !== undefined ? { lang } : {}), url: sub?.streamUrl ?? '' }
        })
      }
    })
  }
}
