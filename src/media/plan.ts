import { encoderArgs, encoderInputArgs } from './hwaccel.js'
import type { EncodeSettings } from './hwaccel.js'
import type { MediaInfo } from './probe.js'
import { COPYABLE_AUDIO, isCopyableVideo } from './probe.js'

/** One HLS rendition: a video variant or an audio track, made by its own ffmpeg. */
export interface Rendition {
  /** `v0` (source size), `v1`... (extra heights), `a0`, `a1`... (audio tracks). */
  id: string
  kind: 'video' | 'audio'
  /** Stream index within its kind (`0:v:N`, `0:a:N`). */
  track: number
  /** Video: the height to scale down to; 0 keeps the source size. */
  maxHeight: number
  /** Copied as it is: AAC/MP3 audio, and H.264 video whose keyframes the container index gives. */
  copy: boolean
}

/** What a file becomes: fixed by the file and the settings, so every process computes the same. */
export interface Plan {
  duration: number
  /** Start time of every segment, seconds; the first is 0. */
  starts: number[]
  renditions: Rendition[]
}

/** The settings a plan depends on. */
export interface PlanSettings {
  segmentDuration: number
  variants: readonly number[]
}

/**
 * Segment starts on a fixed grid (0, D, 2D ...), the encoder forcing a keyframe at each, so
 * a session started at any segment makes the same segments as one run from the start. A tail
 * shorter than half a segment is merged into the one before it (ffmpeg is told the same list,
 * so the playlist's count is what ffmpeg makes).
 */
export function segmentGrid (duration: number, segmentDuration: number): number[] {
  const starts = [0]
  for (let t = segmentDuration; t < duration - segmentDuration / 2; t += segmentDuration) starts.push(t)
  return starts
}

/**
 * Segment starts on the file's own keyframes (video copied): the first keyframe at or past each
 * multiple of the target after the previous start, a tail shorter than half a target merged.
 */
export function keyframeGrid (keyframes: readonly number[], duration: number, segmentDuration: number): number[] {
  const starts = [0]
  for (const k of keyframes) {
    const last = starts[starts.length - 1] ?? 0
    if (k - last >= segmentDuration - 0.05 && k < duration - segmentDuration / 2) starts.push(k)
  }
  return starts
}

/** The renditions and segments of a probed file (`keyframes`: from the container index, if any). */
export function planFor (info: MediaInfo, settings: PlanSettings, keyframes: readonly number[] | null = null): Plan {
  const renditions: Rendition[] = []
  const copyVideo = keyframes !== null && info.video !== null && isCopyableVideo(info.video)
  if (info.video !== null) {
    renditions.push({ id: 'v0', kind: 'video', track: 0, maxHeight: 0, copy: copyVideo })
    const sourceHeight = info.video.height
    settings.variants.filter((h) => h < sourceHeight).forEach((h, i) => {
      renditions.push({ id: `v${i + 1}`, kind: 'video', track: 0, maxHeight: h, copy: false })
    })
  }
  for (const a of info.audio) {
    renditions.push({ id: `a${a.index}`, kind: 'audio', track: a.index, maxHeight: 0, copy: COPYABLE_AUDIO.has(a.codec) && a.channels <= 2 })
  }
  const starts = copyVideo ? keyframeGrid(keyframes.map((k) => k - info.startTime), info.duration, settings.segmentDuration) : segmentGrid(info.duration, settings.segmentDuration)
  return { duration: info.duration, starts, renditions }
}

/** Duration of segment `n` of a plan. */
export function segmentLength (plan: Plan, n: number): number {
  const start = plan.starts[n] ?? plan.duration
  const end = plan.starts[n + 1] ?? plan.duration
  return Math.max(0, end - start)
}

/**
 * ffmpeg's arguments to make the segments of `r` from segment `from` on into `dir`
 * (`<n>.ts`, and `list.csv` naming each finished one). `-copyts -start_at_zero` keeps the
 * file's own timestamps, so a segment is the same whichever segment the run started at.
 */
export function segmentArgs (plan: Plan, r: Rendition, from: number, input: string, dir: string, encode: EncodeSettings): string[] {
  const start = plan.starts[from] ?? 0
  const copy = r.kind === 'video' && r.copy
  // Copy: cut just before each keyframe, seek just past it (measured: byte-identical segments).
  const cuts = plan.starts.slice(from + 1).map((t) => (copy ? t - 0.01 : t).toFixed(3)).join(',')
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y']
  // The daemon closes a connection its reader left idle (ffmpeg paused): ffmpeg reconnects.
  if (/^https?:/.test(input)) args.push('-reconnect', '1', '-reconnect_on_network_error', '1', '-reconnect_delay_max', '4')
  if (r.kind === 'video' && !copy) args.push(...encoderInputArgs(encode.hwaccel))
  if (from > 0) args.push('-ss', (copy ? start + 0.001 : start).toFixed(3))
  args.push('-i', input, '-copyts', '-start_at_zero', '-avoid_negative_ts', 'disabled', '-map_metadata', '-1', '-map_chapters', '-1')
  if (copy) {
    args.push('-map', `0:v:${r.track}`, '-c:v', 'copy')
  } else if (r.kind === 'video') {
    args.push('-map', `0:v:${r.track}`, ...encoderArgs(encode, r.maxHeight),
      // The source's own timestamps: a constant-rate output would place frames by where the run started.
      '-fps_mode', 'passthrough', '-enc_time_base', '1:90000')
    if (cuts !== '') args.push('-force_key_frames', cuts)
  } else {
    args.push('-map', `0:a:${r.track}`)
    if (r.copy) args.push('-c:a', 'copy')
    else args.push('-c:a', 'aac', '-ac', '2', '-b:a', '160k')
  }
  args.push('-f', 'segment', '-segment_format', 'mpegts')
  if (cuts !== '') args.push('-segment_times', cuts)
  else args.push('-segment_time', '86400')
  args.push('-segment_start_number', String(from), '-segment_list', `${dir}/list.csv`, '-segment_list_type', 'csv', `${dir}/%d.ts`)
  return args
}
