import http from 'node:http'
import type { Socket } from 'node:net'
import type { Config } from '../config/config.js'
import { TodError } from '../errors.js'
import type { Logger } from '../log.js'
import type { HttpMetrics } from '../metrics/http-metrics.js'
import { requestId } from '../metrics/request-id.js'
import { Access } from '../security/access.js'
import { MediaMetrics } from '../media/media-metrics.js'
import { mediaOptions } from '../media/options.js'
import { MediaService } from '../media/service.js'
import { FileCache } from './file-cache.js'
import type { EngineClient } from './engine-client.js'
import { Guard } from './guard.js'
import { sendError } from './respond.js'
import { route } from './routes.js'
import { sendfileAvailability } from './sendfile.js'

/** Time to send a whole request (a body included: POST /torrents bodies are small). */
const REQUEST_TIMEOUT_MS = 30_000
const KEEP_ALIVE_TIMEOUT_MS = 5_000
/**
 * How often Node checks header and request timeouts. Its default (30 s) would let a slowloris
 * socket live for header_timeout + 30 s.
 */
const TIMEOUT_CHECK_MS = 1_000

export interface FrontendServer {
  server: http.Server
  /**
   * Finishes gracefully: from now on every response closes its connection; idle keep-alive
   * connections are left to expire (clients drop them before KEEP_ALIVE_TIMEOUT_MS, as the
   * Keep-Alive header tells them, so none is closed under a request being sent); then the
   * server stops accepting and resolves once the last response has ended.
   */
  drain: () => Promise<void>
}

/**
 * The public HTTP server of one front-end: routes, one error edge, one log line per request.
 */
export function createHttpServer (config: Config, engine: EngineClient, log: Logger, urlKey: string, metrics: HttpMetrics): FrontendServer {
  const access = new Access({ tokens: config.security.api_tokens, signingKey: urlKey, ttlSec: config.security.signed_url_ttl })
  const guard = new Guard(config, engine, access)
  const media = new MediaService(mediaOptions(config.media, config.torrent.dir), new MediaMetrics(metrics.registry))
  const ctx = { config, engine, access, files: new FileCache(), media }
  const sendfile = config.streaming.sendfile ? sendfileAvailability() : null
  if (sendfile !== null && !sendfile.available) log.warn('sendfile(2) is not available: file bytes are copied', { reason: sendfile.reason })
  let draining = false
  const server = http.createServer({
    headersTimeout: config.server.header_timeout_ms,
    requestTimeout: Math.max(REQUEST_TIMEOUT_MS, config.server.header_timeout_ms),
    connectionsCheckingInterval: TIMEOUT_CHECK_MS,
    maxHeaderSize: config.server.max_header_bytes,
    // Checked below instead, so the 400 has a JSON body like every other error.
    requireHostHeader: false
  }, (req, res) => {
    if (draining) res.shouldKeepAlive = false
    const started = process.hrtime.bigint()
    let routeName = 'unknown'
    const id = requestId(req.headers['x-request-id'])
    res.setHeader('X-Request-Id', id)
    const exchange = metrics.track(req, res, () => routeName)
    res.once('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      // The path only: query strings may carry magnets with many trackers, and later secrets.
      const path = (req.url ?? '').split('?')[0]
      const ttfbMs = exchange.ttfbMs === null ? null : Math.round(exchange.ttfbMs * 10) / 10
      log.info('request', { id, method: req.method, path, route: routeName, status: res.statusCode, bytes: exchange.bytes, ms: Math.round(ms * 10) / 10, ttfbMs, aborted: !res.writableFinished })
    })
    void (async () => {
      try {
        if (await guard.cors(req, res)) {
          routeName = 'preflight'
          return
        }
        // RFC 9112 3.2: an HTTP/1.1 request without exactly one Host is a 400.
        if (req.httpVersion === '1.1' && req.headersDistinct.host?.length !== 1) {
          throw new TodError('TOD_ERR_BAD_QUERY', 'an HTTP/1.1 request needs exactly one Host header')
        }
        let url: URL
        try {
          url = new URL(req.url ?? '/', 'http://localhost')
        } catch {
          throw new TodError('TOD_ERR_BAD_QUERY', 'the request target is not a valid URL')
        }
        // Counted before routing: a scanner's 404s count too. A load balancer's checks do not.
        if (url.pathname !== '/health' && url.pathname !== '/health/live') await guard.limit(req)
        const match = route(url.pathname, config.debug.fault_injection)
        if (match === null) throw new TodError('TOD_ERR_NOT_FOUND')
        routeName = match.name
        if (!match.methods.includes(req.method ?? '')) {
          throw new TodError('TOD_ERR_METHOD', undefined, { headers: { Allow: match.methods.join(', ') } })
        }
        guard.authorize(match.name, req, url)
        await match.handler(req, res, url, ctx)
      } catch (err) {
        if (isClientGone(err)) return
        const e = sendError(res, err, log)
        if (e.status >= 500) log.warn('request failed', { id, route: routeName, code: e.code, err: e.message })
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
    writeRawError(socket, new TodError('TOD_ERR_METHOD', 'this server is not a proxy'))
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
      setTimeout(() => { server.close(() => { resolve() }) }, KEEP_ALIVE_TIMEOUT_MS + 1000)
    })
    await drained
  }
  return { server, drain }
}

/** An error written straight to a socket that has no response object, then closed. */
function writeRawError (socket: Socket, e: TodError): void {
  const body = JSON.stringify({ error: { code: e.code, message: e.message } })
  socket.end(`HTTP/1.1 ${e.status} ${http.STATUS_CODES[e.status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
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
