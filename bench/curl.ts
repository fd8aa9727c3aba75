/**
 * Throughput is measured with curl writing to /dev/null: a light C client, so the figure is
 * the server's and not the client's (node:http reads ~500 MB/s here, curl ~1200 MB/s from
 * nginx). Several readers are several curl processes, which can use both cores.
 */
import { execFile } from 'node:child_process'
import { msSince } from './stats.js'

/** What one curl transfer reported. */
export interface CurlResult {
  status: number
  bytes: number
  /** curl's time_starttransfer: start to the first response byte, ms. */
  firstByteMs: number
  /** curl's time_total, ms. */
  totalMs: number
}

/** Options for {@link curlGet}. */
export interface CurlOptions {
  /** Inclusive byte range. */
  range?: { start: number, end: number }
  /** Give up after this many seconds (default 300). */
  maxTimeS?: number
}

/** GETs `url` into /dev/null with curl; rejects on a curl failure or a status other than 200/206. */
export async function curlGet (url: string, opts: CurlOptions = {}): Promise<CurlResult> {
  const args = ['-sS', '-o', '/dev/null', '--max-time', String(opts.maxTimeS ?? 300),
    '-w', '%{http_code} %{size_download} %{time_starttransfer} %{time_total}']
  if (opts.range !== undefined) args.push('-r', `${opts.range.start}-${opts.range.end}`)
  args.push(url)
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('curl', args, { encoding: 'utf8' }, (err, out, stderr) => {
      if (err !== null) reject(new Error(`curl ${url}: ${stderr.trim() || err.message}`))
      else resolve(out)
    })
  })
  const [code, size, start, total] = stdout.trim().split(' ').map(Number)
  const result = { status: code ?? 0, bytes: size ?? 0, firstByteMs: (start ?? 0) * 1000, totalMs: (total ?? 0) * 1000 }
  if (result.status !== 200 && result.status !== 206) throw new Error(`curl ${url}: HTTP ${result.status}`)
  return result
}

/** Several curl transfers at once. */
export interface ParallelResult {
  results: CurlResult[]
  /** From starting the first to the end of the last, ms. */
  elapsedMs: number
  /** Body bytes of all transfers. */
  bytes: number
}

/** Runs one curl per request, all at once, and times the whole batch. */
export async function curlParallel (requests: ReadonlyArray<{ url: string } & CurlOptions>): Promise<ParallelResult> {
  const t0 = process.hrtime.bigint()
  const results = await Promise.all(requests.map(async ({ url, ...opts }) => await curlGet(url, opts)))
  return { results, elapsedMs: msSince(t0), bytes: results.reduce((s, r) => s + r.bytes, 0) }
}
