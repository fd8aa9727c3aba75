import type { IncomingMessage, ServerResponse } from 'node:http'
import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'
import type { MetricsSnapshot } from '../protocol.js'
import { countBodyBytesWith } from './body-bytes.js'
import { PREFIX, newRegistry, snapshotOf } from './registry.js'

/**
 * The route a request matched, as the route table (src/http/routes.ts) describes it; routes
 * that stream file bytes get a time-to-first-byte and count as active streams.
 */
export interface TrackedRoute {
  name: string
  streaming: boolean
}
/** Methods the routes use; anything else is counted as `other` so the label stays bounded. */
const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
/** From a warm page cache (ms) to a cold piece from a slow swarm (tens of seconds). */
const TTFB_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/** What one request did, for its log line. */
export interface Exchange {
  /** Body bytes written so far. */
  readonly bytes: number
  /** Milliseconds from the request to the first write of the response (status line and headers, with the first body bytes if any); null before. */
  readonly ttfbMs: number | null
}

/**
 * One front-end's HTTP metrics, in its own registry with its process metrics. The supervisor
 * sums every front-end's registry, so the labels are the route name (a fixed set, never the
 * path), the method and the status.
 */
export class HttpMetrics {
  readonly registry: Registry
  readonly #requests: Counter<'route' | 'method' | 'status'>
  readonly #bytes: Counter<'route'>
  readonly #ttfb: Histogram<'route'>
  readonly #streams: Gauge

  /** `slot`: this front-end's number from the supervisor (labels its process metrics). */
  constructor (slot: number) {
    this.registry = newRegistry(`frontend-${slot}`)
    const registers = [this.registry]
    this.#requests = new Counter({ name: `${PREFIX}http_requests_total`, help: 'HTTP requests answered, by route name, method and status (counted when the response ends or the client goes away).', labelNames: ['route', 'method', 'status'], registers })
    this.#bytes = new Counter({ name: `${PREFIX}http_response_body_bytes_total`, help: 'Response body bytes written, by route name.', labelNames: ['route'], registers })
    this.#ttfb = new Histogram({ name: `${PREFIX}http_stream_ttfb_seconds`, help: 'Time from a stream request (GET) to the first byte of its 2xx response, by route name.', labelNames: ['route'], buckets: TTFB_BUCKETS, registers })
    this.#streams = new Gauge({ name: `${PREFIX}http_active_streams`, help: 'Stream responses (GET, 2xx) sending bytes now.', registers })
  }

  /**
   * Watches one request: counts its body bytes and the time to its first byte (by wrapping
   * `res.write` and `res.end`: Node has no per-response write event; bytes sent around them,
   * with sendfile(2), are reported through `bodyBytesSent`), and records it when the response
   * ends or the client goes away. `routeOf` is read then, so it may be set late.
   */
  track (req: IncomingMessage, res: ServerResponse, routeOf: () => TrackedRoute): Exchange {
    const started = process.hrtime.bigint()
    const state = { bytes: 0, ttfbMs: null as number | null }
    let streaming = false
    const first = (): void => {
      if (state.ttfbMs !== null) return
      state.ttfbMs = Number(process.hrtime.bigint() - started) / 1e6
      if (req.method === 'GET' && routeOf().streaming && res.statusCode >= 200 && res.statusCode < 300) {
        streaming = true
        this.#streams.inc()
      }
    }
    // Node sends no body for these, whatever the handler writes.
    const bodyless = (): boolean => req.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304
    const write = res.write
    const end = res.end
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      first()
      if (!bodyless()) state.bytes += byteLength(chunk, rest[0])
      return (write as (...a: unknown[]) => boolean).call(res, chunk, ...rest)
    }) as typeof res.write
    res.end = ((...args: unknown[]) => {
      first()
      if (typeof args[0] !== 'function' && !bodyless()) state.bytes += byteLength(args[0], args[1])
      return (end as (...a: unknown[]) => ServerResponse).apply(res, args)
    }) as typeof res.end
    countBodyBytesWith(res, (bytes) => {
      first()
      if (!bodyless()) state.bytes += bytes
    })
    res.once('close', () => {
      const route = routeOf().name
      const method = METHODS.has(req.method ?? '') ? req.method as string : 'other'
      this.#requests.inc({ route, method, status: String(res.statusCode) })
      if (state.bytes > 0) this.#bytes.inc({ route }, state.bytes)
      if (streaming) {
        this.#streams.dec()
        this.#ttfb.observe({ route }, (state.ttfbMs ?? 0) / 1000)
      }
    })
    return state
  }

  async snapshot (): Promise<MetricsSnapshot> {
    return await snapshotOf(this.registry)
  }
}

function byteLength (chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8')
  if (chunk instanceof Uint8Array) return chunk.byteLength
  return 0
}
