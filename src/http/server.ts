import http from 'node:http'
import type { Socket } from 'node:net'
import type { Config } from '../config/config.js'
import { TodError } from '../errors.js'
import type { Logger } from '../log.js'
import type { HttpMetrics } from '../metrics/http-metrics.js'
import { requestId } from '../metrics/request-id.js'
import { Access } from '../security/access.js'
import { canonicalLocation } from './canonical.js'
import { MediaMetrics } from '../media/media-metrics.js'
import { mediaOptions } from '../media/options.js'
import { MediaService } from '../media/service.js'
import { FileCache } from './file-cache.js'
import type { EngineClient } from './engine-client.js'
import { Guard } from './guard.js'
import { errorAnswer, sendError } from './respond.js'
import { findRoute, isMethod } from './routes.js'
import { sendfileAvailability } from './sendfile.js'

/** The Range header in a request's log line, cut to this length (a player's 416 can be traced). */
const LOGGED_RANGE_CHARS = 64
/** Time to send a whole request (a body included: POST /torrents bodies are small). */
const REQUEST_TIMEOUT_MS = 30_000
const KEEP_ALIVE_TIMEOUT_MS = 5_000
/** A `.` or `..` path segment, plain or percent-encoded. */
const DOT_SEGMENT = /(^|\/)(\.|%2e){1,2}(\/|$)/i
/**
 * How often Node checks header and request timeouts. Its default (30 s) would let a slowloris
 * socket live for header_timeout + 30 s.
 */
const TIMEOUT_CHECK_MS = 1_000

export interface FrontendServer {
  server: http.Server
  /**
   * Finishes gracefully: stops accepting at once, closes idle keep-alive connections at once,
   * lets responses in flight run to their end (a slow reader of a big file keeps streaming
   * until done or until the supervisor's deadline) with `Connection: close` where the headers
   * are not sent yet, and resolves once the last connection has closed.
   */
  drain: () => Promise<void>
}

/**
 * The public HTTP server of one front-end: routes, one error edge, one log line per request.
 */
export function createHttpServer (config: Config, engine: EngineClient, log: Logger, urlKey: string, metrics: HttpMetrics): FrontendServer {
  const access = new Access({ tokens: config.security.api_tokens, signingKey: urlKey, ttlSec: config.security.signed_url_ttl })
  const guard = new Guard(config, engine, access)
  const media = new MediaService(mediaOptions(config.media, config.torrent.dir), new MediaMetrics(metrics.registry), log)
  const ctx = { config, engine, access, files: new FileCache(), media }
  const sendfile = config.streaming.sendfile ? sendfileAvailability() : null
  if (sendfile !== null && !sendfile.available) log.warn('sendfile(2) is not available: file bytes are copied', { reason: sendfile.reason })
  let draining = false
  /** Responses not finished yet: a drain closes their connections as they end. */
  const inFlight = new Set<http.ServerResponse>()
  const closeWhenDone = (res: http.ServerResponse): void => {
    if (!res.headersSent) res.shouldKeepAlive = false
    // The connection turns idle once the response is done: close it then, not after the keep-alive timeout.
    res.once('close', () => { setImmediate(() => { server.closeIdleConnections() }) })
  }
  const server = http.createServer({
    headersTimeout: config.server.header_timeout_ms,
    requestTimeout: Math.max(REQUEST_TIMEOUT_MS, config.server.header_timeout_ms),
    connectionsCheckingInterval: TIMEOUT_CHECK_MS,
    maxHeaderSize: config.server.max_header_bytes,
    // Checked below instead, so the 400 has a JSON body like every other error.
    requireHostHeader: false
  }, (req, res) => {
    if (draining) closeWhenDone(res)
    inFlight.add(res)
    const started = process.hrtime.bigint()
    let facts = { name: 'unknown', streaming: false }
    const id = requestId(req.headers['x-request-id'])
    res.setHeader('X-Request-Id', id)
    res.setHeader('X-Tod-Node', config.server.node_name)
    const exchange = metrics.track(req, res, () => facts)
    res.once('close', () => {
      inFlight.delete(res)
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      // The path only: query strings may carry magnets with many trackers, and later secrets.
      const path = (req.url ?? '').split('?')[0]
      const ttfbMs = exchange.ttfbMs === null ? null : Math.round(exchange.ttfbMs * 10) / 10
      const range = req.headers.range === undefined ? {} : { range: req.headers.range.slice(0, LOGGED_RANGE_CHARS) }
      log.info('request', { id, method: req.method, path, ...range, route: facts.name, status: res.statusCode, bytes: exchange.bytes, ms: Math.round(ms * 10) / 10, ttfbMs, aborted: !res.writableFinished })
    })
    void (async () => {
      try {
        if (await guard.cors(req, res)) {
          facts = { name: 'preflight', streaming: false }
          return
        }
        // RFC 9112 3.2: an HTTP/1.1 request without exactly one Host is a 400.
        if (req.httpVersion === '1.1' && req.headersDistinct.host?.length !== 1) {
          throw new TodError('TOD_ERR_BAD_QUERY', { reason: 'an HTTP/1.1 request needs exactly one Host header' })
        }
        let url: URL
        try {
          url = new URL(req.url ?? '/', 'http://localhost')
        } catch {
          throw new TodError('TOD_ERR_BAD_QUERY', { reason: 'the request target is not a valid URL' })
        }
        // A target that climbs (`/..`, `/stream/%2e%2e/...`) is normalised by the URL parser into
        // another path, possibly a real route (`/..` is `/`, the page): it names no route.
        const found = DOT_SEGMENT.test((req.url ?? '').split('?')[0] ?? '') ? null : findRoute(url.pathname, config.debug.fault_injection)
        // Counted before a 404: a scanner's misses count too. A load balancer's checks do not.
        if (found?.route.unlimited !== true) await guard.limit(req)
        if (found === null) throw new TodError('TOD_ERR_NOT_FOUND')
        const { route, match } = found
        facts = route
        const method = req.method ?? ''
        if (!isMethod(method) || !route.methods.includes(method)) {
          throw new TodError('TOD_ERR_METHOD', undefined, { headers: { Allow: route.methods.join(', ') } })
        }
        guard.authorize({ open: route.open, signable: route.signable, signedPath: match.fixedPath }, req, url)
        // Behind a balancer routing by info-hash (server.hash_routing): a torrent named in another
        // form than lower-case hex goes back to the balancer in that form, to reach its owner.
        const canonical = config.server.hash_routing ? canonicalLocation(url) : null
        if (canonical !== null) {
          facts = { name: 'canonical-redirect', streaming: false }
          res.writeHead(307, { Location: canonical, 'Content-Length': 0, 'Cache-Control': 'no-store' }).end()
          return
        }
        await match.run(method, req, res, url, ctx)
      } catch (err) {
        if (isClientGone(err)) return
        const e = sendError(res, err, log)
        if (e.status >= 500) log.warn('request failed', { id, route: facts.name, code: e.code, err: e.message })
      }
    })()
  })
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS
  // The daemon-wide connection cap, split between front-ends; Node closes connections beyond it.
  server.maxConnections = Math.max(1, Math.ceil(config.server.max_connections / config.server.workers))
  server.on('drop', (data?: { remoteAddress?: string }) => { log.warn('connection dropped: server.max_connections reached', { client: data?.remoteAddress }) })
  // Requests Node hands to other events than 'request': answered as errors, in JSON.
  server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) => {
    log.info('bad request', { client: req.socket.remoteAddress, err: 'unsupported Expect', answer: 'TOD_ERR_EXPECTATION' })
    sendError(res, new TodError('TOD_ERR_EXPECTATION'), log)
  })
  server.on('connect', (req: http.IncomingMessage, socket: Socket) => {
    log.info('bad request', { client: req.socket.remoteAddress, err: 'CONNECT', answer: 'TOD_ERR_METHOD' })
    writeRawError(socket, new TodError('TOD_ERR_METHOD', { reason: 'this server is not a proxy' }))
  })
  // Requests Node refuses before any handler runs (malformed, headers too large or too slow)
  // get a JSON answer like every other error, and a log line.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const code = clientErrorCode(err.code)
    if (code === null || !socket.writable) {
      log.debug('client gone before a request', { client: socket.remoteAddress, err: err.code ?? err.message })
      socket.destroy()
      return
    }
    log.info('bad request', { client: socket.remoteAddress, err: err.code ?? err.message, answer: code })
    writeRawError(socket, new TodError(code))
  })
  let drained: Promise<void> | undefined
  const drain = async (): Promise<void> => {
    draining = true
    drained ??= new Promise<void>((resolve) => {
      for (const res of inFlight) closeWhenDone(res)
      // close() stops accepting and calls back once every connection has closed.
      server.close(() => { resolve() })
      server.closeIdleConnections()
    })
    await drained
  }
  return { server, drain }
}

/** An error written straight to a socket that has no response object, then closed. */
function writeRawError (socket: Socket, e: TodError): void {
  const { status, headers, body } = errorAnswer(e)
  const lines = Object.entries({ ...headers, Connection: 'close' }).map(([k, v]) => `${k}: ${String(v).replace(/[\r\n]/g, '')}\r\n`)
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n${lines.join('')}\r\n${body}`)
}

/** The answer to a request Node's parser refused; null: the client is gone, say nothing. */
function clientErrorCode (code: string | undefined): 'TOD_ERR_HEADERS_TOO_LARGE' | 'TOD_ERR_TIMEOUT' | 'TOD_ERR_BAD_QUERY' | null {
  if (code === 'ECONNRESET' || code === 'EPIPE') return null
  if (code === 'HPE_HEADER_OVERFLOW') return 'TOD_ERR_HEADERS_TOO_LARGE'
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'TOD_ERR_TIMEOUT'
  return 'TOD_ERR_BAD_QUERY'
}

function isClientGone (err: unknown): boolean {
  const code = (err as { code?: unknown }).code
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED'
}
