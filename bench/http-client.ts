/**
 * A timed HTTP GET with node:http, for the measures that are about latency (first byte of a
 * read, a 1 MiB seek) or need the bytes checked. Throughput is measured with curl instead
 * (see curl.ts): node:http tops out near 400-650 MB/s on this machine, curl near 1200 MB/s.
 */
import { createHash } from 'node:crypto'
import http from 'node:http'
import { msSince } from './stats.js'

/** What one timed GET saw. */
export interface TimedResponse {
  status: number
  /** Body bytes received. */
  bytes: number
  /** Request start to the first body byte (headers alone do not count), ms. */
  firstByteMs: number
  /** Request start to the last body byte, ms. */
  totalMs: number
  /** Hex SHA-256 of the body, when asked for. */
  sha256?: string
  /** The body, when asked for. */
  body?: Buffer
}

/** Options for {@link timedGet}. */
export interface TimedGetOptions {
  /** Inclusive byte range to ask for. */
  range?: { start: number, end: number }
  /** Hash the body (SHA-256). */
  hash?: boolean
  /** Keep the body in memory (for small reads that are compared with the source). */
  keep?: boolean
  /** Abort after this long (default 120 s). */
  timeoutMs?: number
}

/**
 * GETs `url` on a fresh connection (no keep-alive agent: each read pays its connect, the
 * same for every server) and times the first and last body bytes. Rejects on a network
 * error, a timeout or a status other than 200/206.
 */
export async function timedGet (url: string, opts: TimedGetOptions = {}): Promise<TimedResponse> {
  const headers: Record<string, string> = {}
  if (opts.range !== undefined) headers.Range = `bytes=${opts.range.start}-${opts.range.end}`
  const t0 = process.hrtime.bigint()
  return await new Promise<TimedResponse>((resolve, reject) => {
    const req = http.get(url, { agent: false, headers, timeout: opts.timeoutMs ?? 120_000 }, (res) => {
      const status = res.statusCode ?? 0
      if (status !== 200 && status !== 206) {
        res.resume()
        reject(new Error(`GET ${url}: HTTP ${status}`))
        return
      }
      const hash = opts.hash === true ? createHash('sha256') : undefined
      const chunks: Buffer[] = []
      let bytes = 0
      let firstByteMs = Number.NaN
      res.on('data', (chunk: Buffer) => {
        if (bytes === 0) firstByteMs = msSince(t0)
        bytes += chunk.length
        hash?.update(chunk)
        if (opts.keep === true) chunks.push(chunk)
      })
      res.once('error', reject)
      res.once('end', () => {
        const out: TimedResponse = { status, bytes, firstByteMs, totalMs: msSince(t0) }
        if (hash !== undefined) out.sha256 = hash.digest('hex')
        if (opts.keep === true) out.body = Buffer.concat(chunks)
        resolve(out)
      })
    })
    req.once('timeout', () => { req.destroy(new Error(`GET ${url}: no answer within ${opts.timeoutMs ?? 120_000} ms`)) })
    req.once('error', reject)
  })
}
