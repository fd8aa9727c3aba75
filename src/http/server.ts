import http from 'node:http'
import type { Config } from '../config/config.js'
import { TodError } from '../errors.js'
import type { Logger } from '../log.js'
import type { EngineClient } from './engine-client.js'
import { sendError } from './respond.js'
import { route } from './routes.js'

/** Header timeout: slow clients (slowloris) must not hold sockets for long. */
const HEADERS_TIMEOUT_MS = 10_000
const REQUEST_TIMEOUT_MS = 30_000
const KEEP_ALIVE_TIMEOUT_MS = 5_000

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
export function createHttpServer (config: Config, engine: EngineClient, log: Logger): FrontendServer {
  const ctx = { config, engine }
  let draining = false
  const server = http.createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => {
    if (draining) res.shouldKeepAlive = false
    const started = process.hrtime.bigint()
    let routeName = 'unknown'
    let bytes = 0
    res.once('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      // The path only: query strings may carry magnets with many trackers, and later secrets.
      const path = (req.url ?? '').split('?')[0]
      log.info('request', { method: req.method, path, route: routeName, status: res.statusCode, bytes, ms: Math.round(ms * 10) / 10, aborted: !res.writableFinished })
    })
    void (async () => {
      try {
        let url: URL
        try {
          url = new URL(req.url ?? '/', 'http://localhost')
        } catch {
          throw new TodError('TOD_ERR_BAD_QUERY', 'the request target is not a valid URL')
        }
        const match = route(url.pathname, config.debug.fault_injection)
        if (match === null) throw new TodError('TOD_ERR_NOT_FOUND')
        routeName = match.name
        if (!match.methods.includes(req.method ?? '')) {
          throw new TodError('TOD_ERR_METHOD', undefined, { headers: { Allow: match.methods.join(', ') } })
        }
        bytes = await match.handler(req, res, url, ctx)
      } catch (err) {
        if (isClientGone(err)) return
        const e = sendError(res, err, log)
        if (e.status >= 500) log.warn('request failed', { route: routeName, code: e.code, err: e.message })
      }
    })()
  })
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS
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

function isClientGone (err: unknown): boolean {
  const code = (err as { code?: unknown }).code
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED'
}
