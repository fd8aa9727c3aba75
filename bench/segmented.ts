/**
 * A download manager's way of fetching a file: several ranged requests at once covering the
 * file (aria2c -x8 -s8). With aria2c (Debian's aria2) the file is written to a tmpfs folder
 * so the client's disk is not the limit; without it, eight curl range requests into
 * /dev/null stand in (see {@link SegmentedTool}).
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { curlParallel } from './curl.js'
import { msSince } from './stats.js'

/** Which client does the segmented download: aria2c, or parallel curl ranges when aria2 could not be installed. */
export type SegmentedTool = 'aria2c' | 'curl-ranges'

/** One segmented download. */
export interface SegmentedResult {
  /** Wall time of the whole download, ms. */
  ms: number
  /** The downloaded file (aria2c only); the caller checks and removes it. */
  file?: string
}

/**
 * Downloads `url` (`size` bytes) with `connections` parallel ranged requests into `dir`.
 * aria2c starts with one GET, learns the size, then opens the other connections with ranges
 * (min split 1 MiB), as it does for users.
 */
export async function segmentedDownload (tool: SegmentedTool, url: string, size: number, dir: string, connections = 8): Promise<SegmentedResult> {
  if (tool === 'curl-ranges') {
    const part = Math.ceil(size / connections)
    const ranges = Array.from({ length: connections }, (_, i) => ({ url, range: { start: i * part, end: Math.min(size, (i + 1) * part) - 1 } }))
    const { elapsedMs, bytes } = await curlParallel(ranges)
    if (bytes !== size) throw new Error(`segmented curl got ${bytes} of ${size} bytes`)
    return { ms: elapsedMs }
  }
  const out = 'segmented.bin'
  fs.rmSync(path.join(dir, out), { force: true })
  const t0 = process.hrtime.bigint()
  await new Promise<void>((resolve, reject) => {
    execFile('aria2c', [
      '--no-conf=true', `--dir=${dir}`, `--out=${out}`,
      `--split=${connections}`, `--max-connection-per-server=${connections}`, '--min-split-size=1M',
      '--file-allocation=none', '--allow-overwrite=true', '--auto-file-renaming=false',
      '--console-log-level=warn', '--summary-interval=0', '--download-result=hide', '--quiet=true',
      '--disable-ipv6=true', '--max-tries=1', '--timeout=60', '--connect-timeout=10', '--remote-time=false',
      url
    ], { encoding: 'utf8', timeout: 300_000 }, (err, _stdout, stderr) => {
      if (err !== null) reject(new Error(`aria2c ${url}: ${stderr.trim() || err.message}`))
      else resolve()
    })
  })
  const ms = msSince(t0)
  const file = path.join(dir, out)
  const got = fs.statSync(file).size
  if (got !== size) throw new Error(`aria2c wrote ${got} of ${size} bytes`)
  return { ms, file }
}
