import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Config } from '../config/config.js'
import { hlsInfo, hlsMaster, hlsRendition, hlsSegment, subtitlesVtt } from '../media/handlers.js'
import type { MediaService } from '../media/service.js'
import type { Access } from '../security/access.js'
import type { EngineClient } from './engine-client.js'
import type { FileCache } from './file-cache.js'
import { crashShard, health, live } from './handlers/health.js'
import { metrics } from './handlers/metrics.js'
import { asset, page } from './handlers/page.js'
import { pieces } from './handlers/pieces.js'
import { serveFile, streamMagnet } from './handlers/stream.js'
import { addTorrent, listTorrents, playlist, torrent } from './handlers/torrents.js'
import { PathPattern } from './route-match.js'
import type { Params } from './route-match.js'

/** What a handler needs; built once per front-end. */
export interface RouteContext {
  /** The slices handlers read: addresses, limits and timeouts; streaming; the .torrent limits. */
  config: Pick<Config, 'server' | 'streaming'> & { torrent: Pick<Config['torrent'], 'max_files' | 'max_path_bytes' | 'dir'> }
  engine: EngineClient
  /** Tokens and signed URLs: documents and playlists hand out signed stream URLs. */
  access: Access
  /** Files the engine has described, so a stream of a known file skips the `file` task. */
  files: FileCache
  /** HLS sessions, probes and subtitle conversions of this front-end. */
  media: MediaService
}

export type Method = 'GET' | 'HEAD' | 'POST' | 'DELETE'

/** One request as a handler sees it: the path's parameters already parsed and validated. */
export interface RouteRequest<P> {
  req: IncomingMessage
  res: ServerResponse
  url: URL
  params: P
  ctx: RouteContext
  route: RouteFacts
}

/** A handler answers the request (the bytes sent are counted by the server's metrics). */
export type Handler<P = Record<never, never>> = (x: RouteRequest<P>) => Promise<void>

/** What the rest of the server knows of a route: read by the server, access, signing and metrics. */
export interface RouteFacts {
  /** Name in logs and the `route` label of metrics. */
  name: string
  /** Answered without a token (a load balancer's checks). */
  open: boolean
  /** A signed URL (`?exp=&sig=`) stands in for a token: players cannot send headers. */
  signable: boolean
  /** Sends file bytes: time to first byte and active streams are measured. */
  streaming: boolean
  /** Not counted against security.requests_per_minute (a load balancer's checks). */
  unlimited: boolean
  /** Exists only with debug.fault_injection. */
  debugOnly: boolean
  /** Query parameters the route reads (besides `exp` and `sig`, which access reads). */
  query: readonly string[]
}

/** One entry of the table: a pattern, its facts, and a handler per method. */
export interface RouteSpec<P extends string> extends Partial<Omit<RouteFacts, 'name'>> {
  name: string
  pattern: P
  methods: Partial<Record<Method, Handler<Params<P>>>>
}

/** A compiled entry, its parameters' types erased behind `run`. */
export interface Route extends RouteFacts {
  pattern: string
  methods: readonly Method[]
  /** The path's raw parameters and the signed part of the path, or null if not this route. */
  match: (pathname: string) => RouteMatch | null
}

export interface RouteMatch {
  /** The path without its trailing name: what a signature covers. */
  fixedPath: string
  /** Parses the parameters (400 on bad ones) and runs the method's handler. */
  run: (method: Method, req: IncomingMessage, res: ServerResponse, url: URL, ctx: RouteContext) => Promise<void>
}

function entry<P extends string> (spec: RouteSpec<P>): Route {
  const pattern = new PathPattern(spec.pattern)
  const facts: RouteFacts = {
    name: spec.name,
    open: spec.open ?? false,
    signable: spec.signable ?? false,
    streaming: spec.streaming ?? false,
    unlimited: spec.unlimited ?? false,
    debugOnly: spec.debugOnly ?? false,
    query: spec.query ?? []
  }
  const methods = Object.keys(spec.methods).filter(isMethod)
  return {
    ...facts,
    pattern: spec.pattern,
    methods,
    match: (pathname) => {
      const m = pattern.match(pathname)
      if (m === null) return null
      return {
        fixedPath: m.fixedPath,
        run: async (method, req, res, url, ctx) => {
          const handler = spec.methods[method]
          if (handler === undefined) throw new Error(`${spec.name}: no ${method} handler`)
          await handler({ req, res, url, params: pattern.parse(m.raw), ctx, route: facts })
        }
      }
    }
  }
}

const METHODS: readonly Method[] = ['GET', 'HEAD', 'POST', 'DELETE']
/** A method some route may have (anything else is a 405 everywhere). */
export function isMethod (m: string): m is Method {
  return (METHODS as readonly string[]).includes(m)
}

const streamAny = serveFile('any')
const streamDocument = serveFile('document')
const streamImage = serveFile('image')

/**
 * Every route of the API. Adding one: an entry here and its handler. The server, access
 * checks, URL signing and metrics read these facts; nothing else lists routes.
 */
export const ROUTES: readonly Route[] = [
  // The web page: no token for the page itself (its API calls need one).
  entry({ name: 'page', pattern: '/', open: true, methods: { GET: page, HEAD: page } }),
  entry({ name: 'page-asset', pattern: '/assets/*name', open: true, methods: { GET: asset, HEAD: asset } }),
  entry({ name: 'health', pattern: '/health', open: true, unlimited: true, methods: { GET: health, HEAD: health } }),
  entry({ name: 'health-live', pattern: '/health/live', open: true, unlimited: true, methods: { GET: live, HEAD: live } }),
  entry({ name: 'metrics', pattern: '/metrics', methods: { GET: metrics, HEAD: metrics } }),
  entry({ name: 'stream-magnet', pattern: '/stream', streaming: true, query: ['magnet', 'file'], methods: { GET: streamMagnet, HEAD: streamMagnet } }),
  entry({ name: 'stream-file', pattern: '/stream/:infoHash/:fileId/*name', signable: true, streaming: true, methods: { GET: streamAny, HEAD: streamAny } }),
  entry({ name: 'document', pattern: '/document/:infoHash/:fileId/*name', signable: true, streaming: true, methods: { GET: streamDocument, HEAD: streamDocument } }),
  entry({ name: 'image', pattern: '/image/:infoHash/:fileId/*name', signable: true, streaming: true, methods: { GET: streamImage, HEAD: streamImage } }),
  entry({ name: 'torrents', pattern: '/torrents', query: ['wait'], methods: { GET: listTorrents, HEAD: listTorrents, POST: addTorrent } }),
  entry({ name: 'torrent', pattern: '/torrent/:infoHash', methods: { GET: torrent, HEAD: torrent, DELETE: torrent } }),
  entry({ name: 'pieces', pattern: '/torrent/:infoHash/pieces/:fileId', methods: { GET: pieces, HEAD: pieces } }),
  entry({ name: 'playlist', pattern: '/playlist/:playlist', signable: true, methods: { GET: playlist, HEAD: playlist } }),
  // A signed master playlist hands out signed child URLs (the media handlers sign each one).
  entry({ name: 'hls-master', pattern: '/hls/:infoHash/:fileId/playlist.m3u8', signable: true, methods: { GET: hlsMaster, HEAD: hlsMaster } }),
  entry({ name: 'hls-info', pattern: '/hls/:infoHash/:fileId/info.json', signable: true, methods: { GET: hlsInfo, HEAD: hlsInfo } }),
  // Before hls-segment, which would take index.m3u8 as a segment name.
  entry({ name: 'hls-rendition', pattern: '/hls/:infoHash/:fileId/:rendition/index.m3u8', signable: true, methods: { GET: hlsRendition, HEAD: hlsRendition } }),
  entry({ name: 'hls-segment', pattern: '/hls/:infoHash/:fileId/:rendition/:segment', signable: true, streaming: true, methods: { GET: hlsSegment, HEAD: hlsSegment } }),
  entry({ name: 'subtitles', pattern: '/subtitles/:infoHash/:subtitle', signable: true, query: ['track'], methods: { GET: subtitlesVtt, HEAD: subtitlesVtt } }),
  entry({ name: 'debug-crash', pattern: '/debug/crash-shard/:shard', debugOnly: true, methods: { POST: crashShard } })
]

/** The route of a path, or null (404). Debug routes exist only with `faultInjection`. */
export function findRoute (pathname: string, faultInjection: boolean): { route: Route, match: RouteMatch } | null {
  for (const route of ROUTES) {
    if (route.debugOnly && !faultInjection) continue
    const match = route.match(pathname)
    if (match !== null) return { route, match }
  }
  return null
}

/** The part of a path a signature covers: the path without a route's trailing name. */
export function signedPath (pathname: string): string {
  for (const route of ROUTES) {
    const match = route.match(pathname)
    if (match !== null) return match.fixedPath
  }
  return pathname
}
