import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Config } from '../config/config.js'
import type { Access } from '../security/access.js'
import type { EngineClient } from './engine-client.js'
import type { FileCache } from './file-cache.js'
import { hlsInfo, hlsMaster, hlsRendition, hlsSegment, subtitlesVtt } from '../media/handlers.js'
import type { MediaHandler, MediaParams } from '../media/handlers.js'
import type { MediaService } from '../media/service.js'
import { crashShard, health, live } from './handlers/health.js'
import { metrics } from './handlers/metrics.js'
import { serveFile, streamMagnet } from './handlers/stream.js'
import { addTorrent, listTorrents, playlist, torrent } from './handlers/torrents.js'

/** What a handler needs; built once per front-end. */
export interface RouteContext {
  config: Config
  engine: EngineClient
  /** Tokens and signed URLs: documents and playlists hand out signed stream URLs. */
  access: Access
  /** Files the engine has described, so a stream of a known file skips the `file` task. */
  files: FileCache
  media: MediaService
}

/** A handler answers the request (the bytes sent are counted by the server's metrics). */
export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, ctx: RouteContext) => Promise<void>

export interface Route { name: string, handler: Handler, methods: readonly string[] }

const READ = ['GET', 'HEAD'] as const
const streamAny = serveFile('any')
const streamDocument = serveFile('document')
const streamImage = serveFile('image')

/** Matches a path to its route (name for logs, handler, allowed methods); null means 404. */
export function route (pathname: string, faultInjection: boolean): Route | null {
  if (pathname === '/health') return { name: 'health', handler: health, methods: READ }
  if (pathname === '/health/live') return { name: 'health-live', handler: live, methods: READ }
  if (pathname === '/metrics') return { name: 'metrics', handler: metrics, methods: READ }
  if (pathname === '/stream') return { name: 'stream-magnet', handler: streamMagnet, methods: READ }
  if (pathname.startsWith('/stream/')) return { name: 'stream-file', handler: streamAny, methods: READ }
  if (pathname.startsWith('/document/')) return { name: 'document', handler: streamDocument, methods: READ }
  if (pathname.startsWith('/image/')) return { name: 'image', handler: streamImage, methods: READ }
  if (pathname === '/torrents') return { name: 'torrents', handler: async (req, res, url, ctx) => req.method === 'POST' ? await addTorrent(req, res, url, ctx) : await listTorrents(req, res, url, ctx), methods: ['GET', 'HEAD', 'POST'] }
  if (/^\/torrent\/[^/]+$/.test(pathname)) return { name: 'torrent', handler: torrent, methods: ['GET', 'HEAD', 'DELETE'] }
  if (pathname.startsWith('/playlist/')) return { name: 'playlist', handler: playlist, methods: READ }
  const hls = /^\/hls\/([^/]+)\/([^/]+)\/(?:(playlist\.m3u8|info\.json)|([^/]+)\/([^/]+))$/.exec(pathname)
  if (hls !== null) {
    const [, infoHash = '', fileId = '', top, rendition, leaf] = hls
    if (top === 'playlist.m3u8') return media('hls-master', hlsMaster, { infoHash, fileId })
    if (top === 'info.json') return media('hls-info', hlsInfo, { infoHash, fileId })
    if (leaf === 'index.m3u8') return media('hls-rendition', hlsRendition, { infoHash, fileId, rendition })
    return media('hls-segment', hlsSegment, { infoHash, fileId, rendition, segment: leaf })
  }
  const subs = /^\/subtitles\/([^/]+)\/([^/]+)\.vtt$/.exec(pathname)
  if (subs !== null) return media('subtitles', subtitlesVtt, { infoHash: subs[1] ?? '', fileId: subs[2] ?? '' })
  if (faultInjection && pathname.startsWith('/debug/crash-shard/')) return { name: 'debug-crash', handler: crashShard, methods: ['POST'] }
  return null
}

/** TEMP wiring: a media handler with its named parameters, until the route table takes them. */
function media (name: string, handler: MediaHandler, params: MediaParams): Route {
  return { name, handler: async (req, res, _url, ctx) => { await handler(req, res, params, ctx) }, methods: READ }
}
