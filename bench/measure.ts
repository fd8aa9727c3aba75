/**
 * The individual measures, each on a URL that serves the benchmark file. They know nothing
 * of which server is behind the URL; the runner decides which are cold (pieces still in the
 * swarm) and which warm (file complete on disk, in the page cache).
 */
import fs from 'node:fs'
import { sha256File } from '../test/helpers/media.js'
import { curlGet, curlParallel } from './curl.js'
import { timedGet } from './http-client.js'
import { treeCpuSeconds } from './proc-stats.js'
import { segmentedDownload } from './segmented.js'
import type { SegmentedTool } from './segmented.js'
import type { Swarm } from './swarm.js'

/** Bytes of one seek read: 1 MiB, as in issue 6. */
export const SEEK_BYTES = 1024 * 1024

const MB = 1e6
const GB = 1e9

/** The whole file read once from the start, cold. */
export interface ColdRead {
  firstByteMs: number
  mbps: number
  /** CPU seconds of the server's process tree per GB delivered. */
  cpuPerGB: number
}

/**
 * Reads the whole file from byte 0 with node:http and checks its SHA-256 (the rate is bound
 * by the swarm, ~100 MB/s, well under what node:http reads). CPU is the server tree's
 * user+system time across the read.
 */
export async function coldSequential (url: string, pid: number, swarm: Swarm): Promise<ColdRead> {
  const cpu0 = treeCpuSeconds(pid)
  const r = await timedGet(url, { hash: true, timeoutMs: 120_000 })
  const cpu = treeCpuSeconds(pid) - cpu0
  if (r.bytes !== swarm.size || r.sha256 !== swarm.sha256) throw new Error(`cold read of ${url}: ${r.bytes} bytes, sha256 ${r.sha256 ?? '?'} differs from the source`)
  return { firstByteMs: r.firstByteMs, mbps: r.bytes / MB / (r.totalMs / 1000), cpuPerGB: cpu / (r.bytes / GB) }
}

/** The whole file with curl into /dev/null; MB/s. */
export async function sequential (url: string, size: number): Promise<number> {
  const r = await curlGet(url)
  if (r.bytes !== size) throw new Error(`read of ${url}: ${r.bytes} of ${size} bytes`)
  return r.bytes / MB / (r.totalMs / 1000)
}

/** One seek: request start to first body byte, and to the whole 1 MiB. */
export interface Seek { firstByteMs: number, completeMs: number }

/** A 1 MiB range at `pos`, on a fresh connection, compared byte for byte with the source. */
export async function seek (url: string, pos: number, swarm: Swarm): Promise<Seek> {
  const end = Math.min(swarm.size, pos + SEEK_BYTES) - 1
  const r = await timedGet(url, { range: { start: pos, end }, keep: true, timeoutMs: 60_000 })
  if (r.status !== 206 || r.body === undefined || !r.body.equals(sourceBytes(swarm, pos, end - pos + 1))) {
    throw new Error(`seek to ${pos} of ${url}: HTTP ${r.status}, ${r.bytes} bytes that differ from the source`)
  }
  return { firstByteMs: r.firstByteMs, completeMs: r.totalMs }
}

/** `n` readers of the whole file at once (curl processes); aggregate MB/s. */
export async function readers (url: string, n: number, size: number): Promise<number> {
  const { results, elapsedMs, bytes } = await curlParallel(Array.from({ length: n }, () => ({ url })))
  const short = results.find((r) => r.bytes !== size)
  if (short !== undefined) throw new Error(`a reader of ${url} got ${short.bytes} of ${size} bytes`)
  return bytes / MB / (elapsedMs / 1000)
}

/** A segmented download (aria2c or curl ranges) into `dir`; MB/s. With `verify`, the file's SHA-256 is checked. */
export async function segmented (tool: SegmentedTool, url: string, swarm: Swarm, dir: string, verify: boolean): Promise<number> {
  const r = await segmentedDownload(tool, url, swarm.size, dir)
  try {
    if (verify && r.file !== undefined && await sha256File(r.file) !== swarm.sha256) throw new Error(`segmented download of ${url} differs from the source`)
  } finally {
    if (r.file !== undefined) fs.rmSync(r.file, { force: true })
  }
  return swarm.size / MB / (r.ms / 1000)
}

/** `len` bytes of the source file from `pos` (from the page cache: the seeder keeps it warm). */
function sourceBytes (swarm: Swarm, pos: number, len: number): Buffer {
  const buf = Buffer.alloc(len)
  const fd = fs.openSync(swarm.file, 'r')
  try {
    fs.readSync(fd, buf, 0, len, pos)
  } finally {
    fs.closeSync(fd)
  }
  return buf
}
