/**
 * Test media generators: synthetic videos made with Debian's ffmpeg and
 * random binary files, plus a streaming SHA-256 helper.
 */
import { spawn } from 'node:child_process'
import { createHash, randomFill } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, rm } from 'node:fs/promises'
import path from 'node:path'

/** Fill `buf[offset, offset + size)` with random bytes. */
function randomFillAsync (buf: Buffer, offset: number, size: number): Promise<void> {
  return new Promise((resolve, reject) => {
    randomFill(buf, offset, size, (err) => err ? reject(err) : resolve())
  })
}

/** ffmpeg binary used by {@link makeVideo}; override with `FFMPEG_PATH`. */
export const FFMPEG: string = process.env.FFMPEG_PATH ?? '/usr/bin/ffmpeg'

/** Container formats {@link makeVideo} can produce. */
export type VideoFormat = 'mp4' | 'mkv' | 'webm'

/** Options for {@link makeVideo}. */
export interface MakeVideoOptions {
  /** File name (may contain sub directories) relative to `dir`. Default `video-<s>s-<w>x<h>.<format>`. */
  name?: string
  /** Duration in seconds (default 20). */
  seconds?: number
  /** Frame width in pixels (default 640, must be even). */
  width?: number
  /** Frame height in pixels (default 360, must be even). */
  height?: number
  /** Frames per second (default 25). */
  fps?: number
  /** Container (default `mp4`): mp4 and mkv get H.264 + AAC, webm gets VP8 + Opus. */
  format?: VideoFormat
  /**
   * Video bitrate in bits per second (default 1_000_000, i.e. about 2.8 MB for
   * 20 s including audio). With H.264 the stream is constant bitrate (x264
   * filler data), so the output size is predictable even for the very simple
   * test pattern. VP8 may undershoot.
   */
  videoBitrate?: number
  /**
   * Aim for a total file size of about this many bytes; overrides
   * `videoBitrate`. Accurate within a few percent for mp4/mkv (CBR). Large
   * targets are cheap: ~100 MB of 640x360 mp4 takes about a second here.
   */
  targetBytes?: number
  /** Distance between key frames in seconds (default 2). */
  keyframeIntervalSeconds?: number
  /** Include a sine audio track (default true). */
  audio?: boolean
}

/** Audio bitrate used for generated videos, bits per second. */
const AUDIO_BITRATE = 128_000

/**
 * Run ffmpeg with the given arguments; rejects with the tail of its stderr on
 * a non-zero exit.
 */
function runFfmpeg (args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(FFMPEG, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-8000)
    })
    child.once('error', reject)
    child.once('close', (code, signal) => {
      if (code === 0) resolve()
      else reject(new Error(`ffmpeg exited with ${code ?? signal}: ${stderr.trim()}`))
    })
  })
}

/**
 * Generate a synthetic video (lavfi `testsrc2` picture + `sine` audio) with
 * ffmpeg, using the ultrafast x264 preset so it is quick even for large files.
 * mp4 output is written with `-movflags +faststart` (moov atom first).
 *
 * @param dir - directory to write into (created if missing).
 * @param opts - see {@link MakeVideoOptions}.
 * @returns absolute path of the written file.
 */
export async function makeVideo (dir: string, opts: MakeVideoOptions = {}): Promise<string> {
  const seconds = opts.seconds ?? 20
  const width = opts.width ?? 640
  const height = opts.height ?? 360
  const fps = opts.fps ?? 25
  const format: VideoFormat = opts.format ?? 'mp4'
  const audio = opts.audio ?? true
  const gop = Math.max(1, Math.round((opts.keyframeIntervalSeconds ?? 2) * fps))
  if (!(seconds > 0)) throw new RangeError('seconds must be > 0')
  if (width % 2 !== 0 || height % 2 !== 0) throw new RangeError('width and height must be even')

  let videoBitrate = opts.videoBitrate ?? 1_000_000
  if (opts.targetBytes !== undefined) {
    const totalBits = opts.targetBytes * 8
    // ~1.5% container overhead, and the audio track.
    videoBitrate = totalBits * 0.985 / seconds - (audio ? AUDIO_BITRATE : 0)
  }
  videoBitrate = Math.max(50_000, Math.round(videoBitrate))

  const name = opts.name ?? `video-${seconds}s-${width}x${height}.${format}`
  const out = path.resolve(dir, name)
  await mkdir(path.dirname(out), { recursive: true })

  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`
  ]
  if (audio) {
    args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`)
  }
  const br = String(videoBitrate)
  if (format === 'webm') {
    args.push(
      '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8',
      '-b:v', br, '-minrate', br, '-maxrate', br, '-g', String(gop)
    )
    if (audio) args.push('-c:a', 'libopus', '-b:a', String(AUDIO_BITRATE))
  } else {
    args.push(
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
      '-b:v', br, '-minrate', br, '-maxrate', br, '-bufsize', br,
      '-x264-params', 'nal-hrd=cbr',
      '-g', String(gop)
    )
    if (audio) args.push('-c:a', 'aac', '-b:a', String(AUDIO_BITRATE))
    if (format === 'mp4') args.push('-movflags', '+faststart')
  }
  args.push('-t', String(seconds), '-f', format === 'mkv' ? 'matroska' : format, out)

  try {
    await runFfmpeg(args)
  } catch (err) {
    await rm(out, { force: true })
    throw err
  }
  return out
}

/**
 * Write `bytes` bytes of cryptographically random data to `dir/name`
 * (parent directories are created), in 1 MiB chunks so memory use stays flat
 * even for multi-hundred-megabyte files.
 *
 * @returns absolute path of the written file.
 */
export async function makeRandomFile (dir: string, name: string, bytes: number): Promise<string> {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError('bytes must be a non-negative integer')
  const out = path.resolve(dir, name)
  await mkdir(path.dirname(out), { recursive: true })
  const chunkSize = 1024 * 1024
  const buf = Buffer.allocUnsafe(Math.min(chunkSize, Math.max(bytes, 1)))
  const fh = await open(out, 'w')
  try {
    let written = 0
    while (written < bytes) {
      const n = Math.min(buf.length, bytes - written)
      await randomFillAsync(buf, 0, n)
      let off = 0
      while (off < n) {
        const { bytesWritten } = await fh.write(buf, off, n - off)
        off += bytesWritten
      }
      written += n
    }
  } finally {
    await fh.close()
  }
  return out
}

/** Hex SHA-256 of a file's contents, streamed. */
export function sha256File (file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    const stream = createReadStream(file)
    stream.on('error', reject)
    stream.on('data', (chunk) => hash.update(chunk))
    stream.on('end', () => resolve(hash.digest('hex')))
  })
}

/** Hex SHA-256 of an in-memory buffer (handy for HTTP response bodies). */
export function sha256 (data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}
