import crypto from 'node:crypto'
import { TodError } from '../errors.js'
import { signQuery, verifySignature } from './signed-url.js'

/** Routes a signed URL opens: the bytes of one file, and playlists (players cannot send headers). */
const SIGNABLE_ROUTES: ReadonlySet<string> = new Set(['stream-file', 'document', 'image', 'playlist', 'hls-master', 'hls-info', 'hls-rendition', 'hls-segment', 'subtitles'])
/**
 * Routes open to anyone: a load balancer's checks carry no token. /metrics is not among them
 * (it tells how busy the server is); Prometheus sends the token (`authorization` in its
 * scrape config).
 */
const OPEN_ROUTES: ReadonlySet<string> = new Set(['health', 'health-live'])

export interface AccessOptions {
  /** security.api_tokens; empty means the server is open. */
  tokens: readonly string[]
  /** HMAC key of signed URLs. */
  signingKey: string
  /** Seconds a URL handed out stays valid. */
  ttlSec: number
}

/**
 * Who may use the API: bearer tokens (`security.api_tokens`) and the signed URLs the API hands
 * out. With no tokens configured everything is open and no URL is signed.
 */
export class Access {
  readonly #tokens: Buffer[]
  readonly #key: string
  readonly #ttlSec: number

  constructor (opts: AccessOptions) {
    // Hashed so the comparison is constant-time whatever the token lengths.
    this.#tokens = opts.tokens.map(digest)
    this.#key = opts.signingKey
    this.#ttlSec = opts.ttlSec
  }

  get enabled (): boolean { return this.#tokens.length > 0 }

  /**
   * Throws 401 without credentials, 403 with a wrong token or a bad or expired signature.
   * `authorization` is the request's Authorization header.
   */
  check (route: string, url: URL, authorization: string | undefined, nowSec = Math.floor(Date.now() / 1000)): void {
    if (!this.enabled || OPEN_ROUTES.has(route)) return
    if (authorization !== undefined) {
      const m = /^Bearer[ ]+([\x21-\x7e]+)\s*$/i.exec(authorization)
      if (m === null) throw new TodError('TOD_ERR_UNAUTHORIZED', 'use Authorization: Bearer TOKEN', { headers: challenge('invalid_request') })
      const given = digest(m[1] as string)
      if (!this.#tokens.some((t) => crypto.timingSafeEqual(t, given))) throw new TodError('TOD_ERR_FORBIDDEN', 'the token is not valid')
      return
    }
    const verdict = SIGNABLE_ROUTES.has(route) ? verifySignature(this.#key, url, nowSec) : 'absent'
    if (verdict === 'valid') return
    if (verdict === 'absent') throw new TodError('TOD_ERR_UNAUTHORIZED', undefined, { headers: challenge() })
    throw new TodError('TOD_ERR_FORBIDDEN', verdict === 'expired' ? 'the signed URL has expired' : 'the URL signature is not valid')
  }

  /** `?exp=&sig=` for a URL handed out by the API ('' when the server is open). */
  query (path: string, nowSec = Math.floor(Date.now() / 1000)): string {
    return this.enabled ? `?${signQuery(this.#key, path, nowSec + this.#ttlSec)}` : ''
  }
}

function digest (token: string): Buffer {
  return crypto.createHash('sha256').update(token).digest()
}

function challenge (error?: string): Record<string, string> {
  return { 'WWW-Authenticate': `Bearer realm="tod-p2m"${error !== undefined ? `, error="${error}"` : ''}` }
}
