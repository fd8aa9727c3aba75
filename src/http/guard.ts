import type { IncomingMessage, ServerResponse } from 'node:http'
import cors from 'cors'
import type { Config } from '../config/config.js'
import { TodError } from '../errors.js'
import type { Access, AccessTarget } from '../security/access.js'
import { clientIp, clientKey } from './client-ip.js'
import type { EngineClient } from './engine-client.js'

/** Headers a page may read from our answers (ranges, validators, errors). */
const EXPOSED = ['Accept-Ranges', 'Content-Range', 'Content-Length', 'Content-Disposition', 'ETag', 'Location', 'Retry-After', 'X-Request-Id']
/** Headers a page may send: credentials, ranges and conditionals. */
const ALLOWED = ['Authorization', 'Content-Type', 'Range', 'If-Range', 'If-Match', 'If-None-Match', 'Prefer', 'X-Request-Id']

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void

/**
 * What every request passes before its route runs: CORS (a preflight is answered here), the
 * per-client request limit, shared by all front-ends through the supervisor, and access
 * (bearer token or signed URL).
 */
export class Guard {
  readonly #config: Config
  readonly #engine: EngineClient
  readonly #access: Access
  readonly #cors: Middleware | null

  constructor (config: Config, engine: EngineClient, access: Access) {
    this.#config = config
    this.#engine = engine
    this.#access = access
    const origins = config.security.allowed_origins
    // `cors` sends Access-Control-Allow-Origin only for a listed origin (and Vary: Origin); "*"
    // allows every origin, and credentials are never allowed: tokens travel in Authorization.
    this.#cors = config.security.enable_cors
      ? cors({ origin: origins.includes('*') ? '*' : [...origins], methods: ['GET', 'HEAD', 'POST', 'DELETE'], allowedHeaders: ALLOWED, exposedHeaders: EXPOSED, maxAge: 600, credentials: false }) as Middleware
      : null
  }

  /** CORS headers; answers a preflight itself. Resolves true when the response is finished. */
  async cors (req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const middleware = this.#cors
    if (middleware === null) {
      // Answers are cached for a year (streams are immutable): one cached while CORS was off
      // would be reused, without its CORS headers, once CORS is turned on. Saying that it
      // depends on Origin makes a browser ask again for a request with another Origin.
      res.setHeader('Vary', 'Origin')
      return false
    }
    await new Promise<void>((resolve, reject) => { middleware(req, res, (err) => { if (err !== undefined) reject(err); else resolve() }) })
    return res.writableEnded
  }

  /** 429 with Retry-After once the client has used its requests of this minute. */
  async limit (req: IncomingMessage): Promise<void> {
    if (this.#config.security.requests_per_minute === 0) return
    const verdict = await this.#engine.admit(clientOf(req, this.#config))
    if (!verdict.allowed) {
      throw new TodError('TOD_ERR_RATE_LIMITED', { seconds: verdict.retryAfterSec }, { headers: { 'Retry-After': String(verdict.retryAfterSec) } })
    }
  }

  /** 401/403 unless the request carries a valid token, or a valid signature where one may stand in. */
  authorize (target: AccessTarget, req: IncomingMessage, url: URL): void {
    this.#access.check(target, url.searchParams, req.headers.authorization)
  }
}

/** The key a request's client is counted under (address, or IPv6 /64). */
export function clientOf (req: IncomingMessage, config: Pick<Config, 'server'>): string {
  return clientKey(clientIp(req, config.server.trust_proxy))
}
