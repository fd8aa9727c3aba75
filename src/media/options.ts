import os from 'node:os'
import path from 'node:path'

/** x264 presets, fastest first. */
export const PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow'] as const

/**
 * The convict schema fragment of the media layer (section `media`); the daemon's schema
 * includes it as `media: mediaSchema`.
 */
export const mediaSchema = {
  ffmpeg_path: { doc: 'The ffmpeg program (Debian: apt-get install ffmpeg).', format: String, default: 'ffmpeg', env: 'TOD_P2M_MEDIA_FFMPEG_PATH' },
  ffprobe_path: { doc: 'The ffprobe program (same package as ffmpeg).', format: String, default: 'ffprobe', env: 'TOD_P2M_MEDIA_FFPROBE_PATH' },
  max_sessions: { doc: 'Most files being made into HLS at once, daemon-wide (503 with Retry-After beyond); 0 means one per CPU. A session runs one ffmpeg per rendition being watched (video and audio).', format: 'nat', default: 0, env: 'TOD_P2M_MEDIA_MAX_SESSIONS' },
  idle_timeout: { doc: 'Seconds without a request after which a session stops its ffmpeg and removes its segments.', format: 'nat', default: 60, env: 'TOD_P2M_MEDIA_IDLE_TIMEOUT' },
  segment_duration: { doc: 'Target HLS segment length in seconds (the original streaming.hls_segment_duration).', format: 'nat', default: 6, env: 'TOD_P2M_MEDIA_SEGMENT_DURATION' },
  video_preset: { doc: 'libx264 preset of video transcodes (faster presets cost less CPU and more bits).', format: [...PRESETS], default: 'veryfast', env: 'TOD_P2M_MEDIA_VIDEO_PRESET' },
  video_crf: { doc: 'libx264 constant rate factor of video transcodes (lower is better quality).', format: 'nat', default: 23, env: 'TOD_P2M_MEDIA_VIDEO_CRF' },
  variants: { doc: 'Extra video variants as maximum heights (e.g. [720, 480]), each a transcode; the source-resolution variant is always listed first.', format: Array, default: [] as number[], env: 'TOD_P2M_MEDIA_VARIANTS' },
  hwaccel: { doc: 'Hardware video encoding; only none (libx264) is implemented.', format: ['none'], default: 'none', env: 'TOD_P2M_MEDIA_HWACCEL' },
  cache_dir: { doc: 'Folder for HLS segments; empty means <torrent.dir>/.tod-p2m-hls. Emptied of dead sessions at start.', format: String, default: '', env: 'TOD_P2M_MEDIA_CACHE_DIR' },
  ahead_segments: { doc: 'How many segments ffmpeg may make beyond the last one requested before it is paused (SIGSTOP) until the player comes nearer.', format: 'nat', default: 4, env: 'TOD_P2M_MEDIA_AHEAD_SEGMENTS' },
  probe_timeout_ms: { doc: 'Deadline of one ffprobe run (the file header is read over the daemon\'s own range path).', format: 'nat', default: 30000, env: 'TOD_P2M_MEDIA_PROBE_TIMEOUT_MS' },
  segment_timeout_ms: { doc: 'How long a segment request waits for ffmpeg to make it (504 after).', format: 'nat', default: 60000, env: 'TOD_P2M_MEDIA_SEGMENT_TIMEOUT_MS' },
  subtitle_timeout_ms: { doc: 'Deadline of one subtitle conversion (a track inside a file needs the whole file read).', format: 'nat', default: 120000, env: 'TOD_P2M_MEDIA_SUBTITLE_TIMEOUT_MS' }
}

/** The `media` section as convict returns it. */
export interface MediaConfig {
  readonly ffmpeg_path: string
  readonly ffprobe_path: string
  readonly max_sessions: number
  readonly idle_timeout: number
  readonly segment_duration: number
  readonly video_preset: typeof PRESETS[number]
  readonly video_crf: number
  readonly variants: readonly number[]
  readonly hwaccel: 'none'
  readonly cache_dir: string
  readonly ahead_segments: number
  readonly probe_timeout_ms: number
  readonly segment_timeout_ms: number
  readonly subtitle_timeout_ms: number
}

/** What the media layer runs with: the section with its defaults resolved. */
export interface MediaOptions {
  ffmpegPath: string
  ffprobePath: string
  maxSessions: number
  idleTimeoutMs: number
  segmentDuration: number
  videoPreset: typeof PRESETS[number]
  videoCrf: number
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
    variants: [...media.variants].map(Number).filter((h) => Number.isInteger(h) && h >= 144 && h <= 4320).sort((a, b) => b - a),
    cacheDir: media.cache_dir !== '' ? media.cache_dir : path.join(dataDir, '.tod-p2m-hls'),
    aheadSegments: Math.max(1, media.ahead_segments),
    probeTimeoutMs: media.probe_timeout_ms,
    segmentTimeoutMs: media.segment_timeout_ms,
    subtitleTimeoutMs: media.subtitle_timeout_ms
  }
}
