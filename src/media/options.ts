import os from 'node:os'
import path from 'node:path'
import type { Config } from '../config/config.js'
import type { KeySpec } from '../config/schema.js'
import { HWACCELS } from './hwaccel.js'
import type { Hwaccel } from './hwaccel.js'

/** x264 presets, fastest first. */
export const PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow'] as const

/**
 * The convict schema fragment of the media layer (section `media`); the daemon's schema
 * includes it as `media: mediaSchema`. Every key is `restart`: the cache folder and the session
 * slots are shared by all front-ends, which must agree on them.
 */
export const mediaSchema = {
  ffmpeg_path: { doc: 'The ffmpeg program (Debian: apt-get install ffmpeg).', format: String, default: 'ffmpeg', env: 'TOD_P2M_MEDIA_FFMPEG_PATH', live: 'restart' },
  ffprobe_path: { doc: 'The ffprobe program (same package as ffmpeg).', format: String, default: 'ffprobe', env: 'TOD_P2M_MEDIA_FFPROBE_PATH', live: 'restart' },
  max_sessions: { doc: 'Most files being made into HLS at once, daemon-wide (503 with Retry-After beyond); 0 means one per CPU. A session runs one ffmpeg per rendition being watched (video and audio).', format: 'nat', default: 0, env: 'TOD_P2M_MEDIA_MAX_SESSIONS', live: 'restart' },
  idle_timeout: { doc: 'Seconds without a request after which a session stops its ffmpeg and removes its segments.', format: 'nat', default: 60, env: 'TOD_P2M_MEDIA_IDLE_TIMEOUT', live: 'restart' },
  segment_duration: { doc: 'Target HLS segment length in seconds (the original streaming.hls_segment_duration).', format: 'nat', default: 6, env: 'TOD_P2M_MEDIA_SEGMENT_DURATION', live: 'restart' },
  video_preset: { doc: 'libx264 preset of video transcodes (faster presets cost less CPU and more bits).', format: PRESETS, default: 'veryfast', env: 'TOD_P2M_MEDIA_VIDEO_PRESET', live: 'restart' },
  video_crf: { doc: 'libx264 constant rate factor of video transcodes (lower is better quality).', format: 'nat', default: 23, env: 'TOD_P2M_MEDIA_VIDEO_CRF', live: 'restart' },
  variants: { doc: 'Extra video variants as maximum heights in pixels (e.g. ["720", "480"], or 720,480 in the environment), each a transcode; the source-resolution variant is always listed first. Heights outside 144 to 4320 are ignored.', format: 'list', default: [] as string[], env: 'TOD_P2M_MEDIA_VARIANTS', live: 'restart' },
  hwaccel: { doc: 'Video encoder of transcodes: none (libx264), vaapi (h264_vaapi on /dev/dri/renderD128), nvenc (h264_nvenc) or qsv (h264_qsv). Detected at start (the encoders ffmpeg lists, and the render node for vaapi); one that is not available falls back to libx264 with a warning.', format: HWACCELS, default: 'none', env: 'TOD_P2M_MEDIA_HWACCEL', live: 'restart' },
  cache_dir: { doc: 'Folder for HLS segments; empty means <torrent.dir>/.tod-p2m-hls. Emptied of dead sessions at start.', format: String, default: '', env: 'TOD_P2M_MEDIA_CACHE_DIR', live: 'restart' },
  ahead_segments: { doc: 'How many segments ffmpeg may make beyond the last one requested before it is paused (SIGSTOP) until the player comes nearer.', format: 'nat', default: 4, env: 'TOD_P2M_MEDIA_AHEAD_SEGMENTS', live: 'restart' },
  probe_timeout_ms: { doc: 'Deadline of one ffprobe run (the file header is read over the daemon\'s own range path).', format: 'nat', default: 30000, env: 'TOD_P2M_MEDIA_PROBE_TIMEOUT_MS', live: 'restart' },
  segment_timeout_ms: { doc: 'How long a segment request waits for ffmpeg to make it (504 after).', format: 'nat', default: 60000, env: 'TOD_P2M_MEDIA_SEGMENT_TIMEOUT_MS', live: 'restart' },
  subtitle_timeout_ms: { doc: 'Deadline of one subtitle conversion (a track inside a file needs the whole file read).', format: 'nat', default: 120000, env: 'TOD_P2M_MEDIA_SUBTITLE_TIMEOUT_MS', live: 'restart' }
} as const satisfies Record<string, KeySpec>

/** The `media` section of the configuration. */
export type MediaConfig = Config['media']

/** What the media layer runs with: the section with its defaults resolved. */
export interface MediaOptions {
  ffmpegPath: string
  ffprobePath: string
  maxSessions: number
  idleTimeoutMs: number
  segmentDuration: number
  videoPreset: typeof PRESETS[number]
  videoCrf: number
  /** The encoder asked for; the one used is detected at start (MediaService). */
  hwaccel: Hwaccel
  /** Maximum heights of the extra variants, largest first. */
  variants: number[]
  cacheDir: string
  aheadSegments: number
  probeTimeoutMs: number
  segmentTimeoutMs: number
  subtitleTimeoutMs: number
}

/** Resolves the section: 0 sessions means one per CPU, an empty cache_dir lives in the data folder. */
export function mediaOptions (media: MediaConfig, dataDir: string): MediaOptions {
  return {
    ffmpegPath: media.ffmpeg_path,
    ffprobePath: media.ffprobe_path,
    maxSessions: media.max_sessions > 0 ? media.max_sessions : Math.max(1, os.availableParallelism()),
    idleTimeoutMs: media.idle_timeout * 1000,
    segmentDuration: Math.max(1, media.segment_duration),
    videoPreset: media.video_preset,
    videoCrf: media.video_crf,
    hwaccel: media.hwaccel,
    variants: [...media.variants].map(Number).filter((h) => Number.isInteger(h) && h >= 144 && h <= 4320).sort((a, b) => b - a),
    cacheDir: media.cache_dir !== '' ? media.cache_dir : path.join(dataDir, '.tod-p2m-hls'),
    aheadSegments: Math.max(1, media.ahead_segments),
    probeTimeoutMs: media.probe_timeout_ms,
    segmentTimeoutMs: media.segment_timeout_ms,
    subtitleTimeoutMs: media.subtitle_timeout_ms
  }
}
