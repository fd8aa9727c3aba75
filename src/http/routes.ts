import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Config } from '../config/config.js'
import type { Access } from '../security/access.js'
import type { EngineClient } from './engine-client.js'
import type { FileCache } from './file-cache.js'
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
  if (faultInjection && pathname.startsWith('/debug/crash-shard/')) return { name: 'debug-crash', handler: crashShard, methods: ['POST'] }
  return null
}
