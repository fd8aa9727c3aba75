import fs from 'node:fs'
import path from 'node:path'
import { TodError } from '../errors.js'
import type { Logger } from '../log.js'
import { detectEncoder } from './hwaccel.js'
import type { Hwaccel } from './hwaccel.js'
import type { MediaMetrics } from './media-metrics.js'
import { NO_RENDITION, NO_SEGMENT } from './not-found.js'
import type { MediaOptions } from './options.js'
import { planFor, segmentArgs } from './plan.js'
import type { Plan } from './plan.js'
import { mkvKeyframes } from './mkv-index.js'
import { mp4Keyframes } from './mp4-index.js'
import type { RangeReader } from './mp4-index.js'
import { isCopyableVideo, probe } from './probe.js'
import type { MediaInfo } from './probe.js'
import { Producer } from './producer.js'
import { Slots, isAlive } from './slots.js'
import { VttMaker } from './subtitles.js'

/** A file of a torrent, and the URL its bytes are read from (the daemon's own range path). */
export interface MediaSource {
  infoHash: string
  fileId: number
  /** http://127.0.0.1:PORT/stream/IH/ID[?exp=&sig=]; fresh per request, as signatures expire. */
  url: string
}

interface Session {
  key: string
  dir: string
  plan: Plan
  url: string
  producers: Map<string, Producer>
  lastUsed: number
  /** Segment requests being answered: a session is not idle while one waits. */
  busy: number
  release: () => void
}

const PROBES_KEPT = 256
const SWEEP_MS = 5_000

/**
 * The media layer of one process: probes (cached), and the sessions that make HLS segments.
 * Sessions live in the process that received the request; segments depend only on the file
 * and the settings, so any process makes the same segment, and the session limit is shared
 * through {@link Slots} in the cache folder.
 */
export class MediaService {
  readonly options: MediaOptions
  /** Subtitle conversions, kept. */
  readonly vtt: VttMaker
  readonly #metrics: MediaMetrics | null
  readonly #probes = new Map<string, Promise<MediaInfo>>()
  /** The probes that have answered, for those who must not wait for one (the M3U). */
  readonly #probed = new Map<string, MediaInfo>()
  readonly #indexes = new Map<string, Promise<number[] | null>>()
  readonly #sessions = new Map<string, Session>()
  readonly #slots: Slots
  readonly #timer: NodeJS.Timeout
  /** The video encoder used: `options.hwaccel` if this machine has it, else software. */
  readonly #encoder: Promise<Hwaccel>

  constructor (options: MediaOptions, metrics: MediaMetrics | null = null, log: Pick<Logger, 'info' | 'warn'> | null = null) {
    this.options = options
    this.#metrics = metrics
    this.#encoder = detectEncoder(options.hwaccel, options.ffmpegPath, log)
    this.vtt = new VttMaker(options.ffmpegPath, options.subtitleTimeoutMs)
    fs.mkdirSync(options.cacheDir, { recursive: true })
    sweepDead(options.cacheDir, true)
    this.#slots = new Slots(path.join(options.cacheDir, 'slots'), options.maxSessions)
    this.#timer = setInterval(() => { this.#closeIdle() }, Math.min(SWEEP_MS, Math.max(250, options.idleTimeoutMs / 4)))
    this.#timer.unref()
  }

  /** The file's probe, cached (a file in a torrent never changes). */
  async info (src: MediaSource): Promise<MediaInfo> {
    const key = `${src.infoHash}/${src.fileId}`
    let p = this.#probes.get(key)
    if (p === undefined) {
      p = probe(this.options.ffprobePath, src.url, this.options.probeTimeoutMs)
      this.#probes.set(key, p)
      // Only answers are kept: a timeout or a missing ffmpeg may be over next time.
      p.then((info) => { if (this.#probes.has(key)) this.#probed.set(key, info) }, (err: unknown) => {
        if (!(err instanceof TodError && err.code === 'TOD_ERR_UNSUPPORTED_MEDIA')) this.#probes.delete(key)
      })
      while (this.#probes.size > PROBES_KEPT) {
        const oldest = this.#probes.keys().next().value as string
        this.#probes.delete(oldest)
        this.#probed.delete(oldest)
      }
    }
    return await p
  }

  /** The probe of a file if this process has it already; never starts one. */
  probed (infoHash: string, fileId: number): MediaInfo | undefined {
    return this.#probed.get(`${infoHash}/${fileId}`)
  }

  async plan (src: MediaSource): Promise<Plan> {
    const info = await this.info(src)
    return planFor(info, this.options, await this.#keyframes(src, info))
  }

  /** Keyframes of H.264 in MP4/MOV or Matroska from the container index (cached); null: the video is encoded. */
  async #keyframes (src: MediaSource, info: MediaInfo): Promise<number[] | null> {
    if (info.video === null || !isCopyableVideo(info.video)) return null
    const reader = /mp4|mov/.test(info.container) ? mp4Keyframes : info.container.startsWith('matroska') ? mkvKeyframes : null
    if (reader === null) return null
    const key = `${src.infoHash}/${src.fileId}`
    let p = this.#indexes.get(key)
    if (p === undefined) {
      p = reader(rangeReader(src.url, this.options.probeTimeoutMs)).catch(() => null)
      this.#indexes.set(key, p)
      while (this.#indexes.size > PROBES_KEPT) this.#indexes.delete(this.#indexes.keys().next().value as string)
    }
    return await p
  }

  /** The path of a finished segment of rendition `rendition` (404 for one that does not exist). */
  async segment (src: MediaSource, rendition: string, n: number): Promise<string> {
    const plan = await this.plan(src)
    const r = plan.renditions.find((x) => x.id === rendition)
    if (r === undefined) throw new TodError('TOD_ERR_NOT_FOUND', NO_RENDITION)
    if (!Number.isInteger(n) || n < 0 || n >= plan.starts.length) throw new TodError('TOD_ERR_NOT_FOUND', NO_SEGMENT)
    const session = await this.#session(src)
    const hwaccel = await this.#encoder
    let producer = session.producers.get(r.id)
    if (producer === undefined) {
      const m = this.#metrics
      producer = new Producer(path.join(session.dir, r.id), {
        ffmpeg: this.options.ffmpegPath,
        args: (from, dir) => segmentArgs(session.plan, r, from, session.url, dir, { preset: this.options.videoPreset, crf: this.options.videoCrf, hwaccel }),
        count: session.plan.starts.length,
        ahead: this.options.aheadSegments,
        timeoutMs: this.options.segmentTimeoutMs,
        onStart: (restart) => m?.starts.inc({ kind: restart ? 'restart' : 'start' }),
        onSegment: (ms, first) => {
          m?.segmentsMade.inc({ kind: r.kind })
          if (first) m?.firstSegment.observe({ kind: r.kind }, ms / 1000)
        },
        onCpu: (sec) => m?.cpu.inc(sec)
      })
      session.producers.set(r.id, producer)
    }
    session.busy++
    let file: string
    try {
      file = await producer.segment(n)
    } finally {
      session.busy--
      session.lastUsed = Date.now()
    }
    this.#metrics?.segmentsServed.inc()
    return file
  }

  /** Sessions open in this process. */
  get sessions (): number {
    return this.#sessions.size
  }

  /** Stops every session and removes its segments. */
  close (): void {
    clearInterval(this.#timer)
    for (const s of [...this.#sessions.values()]) this.#end(s)
  }

  async #session (src: MediaSource): Promise<Session> {
    const key = `${src.infoHash}-${src.fileId}`
    const open = this.#sessions.get(key)
    if (open !== undefined) {
      open.url = src.url
      open.lastUsed = Date.now()
      return open
    }
    const plan = await this.plan(src)
    const again = this.#sessions.get(key)
    if (again !== undefined) return again
    const release = this.#slots.acquire(key)
    const dir = path.join(this.options.cacheDir, `${process.pid}-${key}`)
    const session: Session = { key, dir, plan, url: src.url, producers: new Map(), lastUsed: Date.now(), busy: 0, release }
    this.#sessions.set(key, session)
    this.#metrics?.sessions.set(this.#sessions.size)
    return session
  }

  #closeIdle (): void {
    // Again now and then: the front-ends of a killed daemon may outlive the new one's start by a moment.
    try {
      sweepDead(this.options.cacheDir, false)
    } catch { /* the folder went away or is not ours to clean: the next start sweeps */ }
    const now = Date.now()
    for (const s of [...this.#sessions.values()]) {
      if (s.busy === 0 && now - s.lastUsed >= this.options.idleTimeoutMs) this.#end(s)
    }
  }

  #end (s: Session): void {
    if (this.#sessions.get(s.key) !== s) return
    this.#sessions.delete(s.key)
    for (const p of s.producers.values()) p.close()
    s.release()
    fs.rm(s.dir, { recursive: true, force: true }, () => {})
    this.#metrics?.sessions.set(this.#sessions.size)
  }
}

/**
 * Removes the folders of sessions whose process is gone (a crash or a SIGKILL left them), and
 * at start (`atStart`) those of an earlier process with this one's pid.
 */
export function sweepDead (cacheDir: string, atStart: boolean): void {
  for (const name of fs.readdirSync(cacheDir)) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1])
    if (!Number.isInteger(pid) || pid <= 0) continue
    if (pid === process.pid ? atStart : !isAlive(pid)) fs.rmSync(path.join(cacheDir, name), { recursive: true, force: true })
  }
}

/** Range reads of the daemon's own stream URL. */
function rangeReader (url: string, timeoutMs: number): RangeReader {
  return async (offset, length) => {
    const res = await fetch(url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` }, signal: AbortSignal.timeout(timeoutMs) })
    if (res.status !== 206 && res.status !== 200) throw new TodError('TOD_ERR_MEDIA_FAILED', { reason: `a range read of the file answered HTTP ${res.status}` })
    const size = Number(/\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1] ?? res.headers.get('content-length'))
    const bytes = Buffer.from(await res.arrayBuffer())
    return { bytes: res.status === 200 ? bytes.subarray(offset, offset + length) : bytes, size }
  }
}
