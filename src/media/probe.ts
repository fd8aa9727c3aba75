import { TodError } from '../errors.js'
import { runTool } from './run-tool.js'

/** TOD_ERR_UNSUPPORTED_MEDIA of a file ffprobe finds no audio or video in. */
const NOT_MEDIA = { name: 'the file', kind: 'audio or video', mime: 'no audio or video stream; fetch its bytes with /stream' }

/** A video stream as the plan needs it. */
export interface VideoTrack {
  /** Index among the file's video streams (`0:v:N`). */
  index: number
  codec: string
  width: number
  height: number
  pixFmt: string
  /** Frames per second, 0 when unknown. */
  fps: number
}

export interface AudioTrack {
  /** Index among the file's audio streams (`0:a:N`). */
  index: number
  codec: string
  channels: number
  language: string
  title: string
  default: boolean
}

export interface SubtitleTrack {
  /** Index among the file's subtitle streams (`0:s:N`). */
  index: number
  codec: string
  language: string
  title: string
  /** Text subtitles convert to WebVTT; bitmap ones (PGS, VobSub, DVB) do not. */
  text: boolean
}

/** How a browser can play the file. */
export type Playback = 'direct' | 'remux' | 'transcode'

/** What ffprobe told about a file. */
export interface MediaInfo {
  /** Seconds. */
  duration: number
  /** The first timestamp, seconds (segments are shifted to start at 0; WebVTT cues are mapped by it). */
  startTime: number
  /** ffprobe's format name, e.g. `mov,mp4,m4a,3gp,3g2,mj2` or `matroska,webm`. */
  container: string
  video: VideoTrack | null
  audio: AudioTrack[]
  subtitles: SubtitleTrack[]
  playback: Playback
}

const TEXT_SUBTITLES: ReadonlySet<string> = new Set(['subrip', 'srt', 'ass', 'ssa', 'webvtt', 'mov_text', 'text', 'microdvd', 'subviewer', 'subviewer1', 'sami', 'realtext', 'jacosub', 'mpl2', 'pjs', 'vplayer', 'stl', 'ttml'])
/** Audio a browser's MSE takes inside MPEG-TS as it is. */
export const COPYABLE_AUDIO: ReadonlySet<string> = new Set(['aac', 'mp3'])
const BROWSER_AUDIO: ReadonlySet<string> = new Set(['aac', 'mp3', 'opus', 'vorbis', 'flac'])
const BROWSER_VIDEO: ReadonlySet<string> = new Set(['h264', 'vp8', 'vp9', 'av1'])

/** H.264 that every browser decodes: 8-bit 4:2:0. */
export function isCopyableVideo (v: VideoTrack): boolean {
  return v.codec === 'h264' && (v.pixFmt === 'yuv420p' || v.pixFmt === 'yuvj420p')
}

/**
 * Probes a file with ffprobe reading `url` (the daemon's own range path: only the pieces the
 * demuxer touches are fetched). A file that is not media is TOD_ERR_UNSUPPORTED_MEDIA (415);
 * one ffprobe cannot make sense of is TOD_ERR_CORRUPT_MEDIA (422).
 */
export async function probe (ffprobe: string, url: string, deadlineMs: number): Promise<MediaInfo> {
  const result = await runTool(ffprobe, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', url], deadlineMs)
  if (result.code !== 0) {
    if (!await looksLikeMedia(url)) throw new TodError('TOD_ERR_UNSUPPORTED_MEDIA', NOT_MEDIA)
    throw new TodError('TOD_ERR_CORRUPT_MEDIA', { reason: `ffprobe could not read it: ${lastLine(result.stderr)}` })
  }
  let json: unknown
  try {
    json = JSON.parse(result.stdout)
  } catch {
    throw new TodError('TOD_ERR_CORRUPT_MEDIA', { reason: 'ffprobe printed no usable description' })
  }
  return describe(json)
}

/** Turns ffprobe's JSON into a {@link MediaInfo}; exported for unit tests. */
export function describe (json: unknown): MediaInfo {
  const root = asRecord(json)
  const format = asRecord(root.format)
  const streams = Array.isArray(root.streams) ? root.streams.map(asRecord) : []
  const container = str(format.format_name)
  const videos = streams.filter((s) => s.codec_type === 'video' && num(asRecord(s.disposition).attached_pic) !== 1)
  const audios = streams.filter((s) => s.codec_type === 'audio')
  const subs = streams.filter((s) => s.codec_type === 'subtitle')
  if ((videos.length === 0 && audios.length === 0) || ['tty', 'image2', 'png_pipe', 'jpeg_pipe', 'gif'].includes(container)) {
    throw new TodError('TOD_ERR_UNSUPPORTED_MEDIA', NOT_MEDIA)
  }
  const duration = num(format.duration)
  if (!(duration > 0)) throw new TodError('TOD_ERR_CORRUPT_MEDIA', { reason: 'it has no known duration' })
  const v = videos[0]
  const video: VideoTrack | null = v === undefined
    ? null
    : { index: 0, codec: str(v.codec_name), width: num(v.width), height: num(v.height), pixFmt: str(v.pix_fmt), fps: rate(str(v.avg_frame_rate)) || rate(str(v.r_frame_rate)) }
  const audio = audios.map((a, index): AudioTrack => ({
    index, codec: str(a.codec_name), channels: num(a.channels), language: tag(a, 'language'), title: tag(a, 'title'), default: num(asRecord(a.disposition).default) === 1
  }))
  const subtitles = subs.map((s, index): SubtitleTrack => ({
    index, codec: str(s.codec_name), language: tag(s, 'language'), title: tag(s, 'title'), text: TEXT_SUBTITLES.has(str(s.codec_name))
  }))
  return { duration, startTime: Math.max(0, num(format.start_time)), container, video, audio, subtitles, playback: playbackOf(container, video, audio) }
}

function playbackOf (container: string, video: VideoTrack | null, audio: AudioTrack[]): Playback {
  const audioOk = audio.length === 0 || BROWSER_AUDIO.has(audio[0]?.codec ?? '')
  const videoOk = video === null || (BROWSER_VIDEO.has(video.codec) && (video.codec !== 'h264' || isCopyableVideo(video)))
  if (!audioOk || !videoOk) return 'transcode'
  const directContainer = /mp4|webm|mp3|ogg/.test(container) && !container.startsWith('matroska,webm') ? true : container === 'matroska,webm' && video?.codec !== 'h264'
  return directContainer ? 'direct' : 'remux'
}

function rate (s: string): number {
  const [n, d] = s.split('/').map(Number)
  return n !== undefined && d !== undefined && d > 0 && Number.isFinite(n / d) ? n / d : 0
}

function tag (s: Record<string, unknown>, name: string): string {
  const v = str(asRecord(s.tags)[name]).slice(0, 64)
  return name === 'language' && v === 'und' ? '' : v
}

function asRecord (v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null ? v as Record<string, unknown> : {}
}

function str (v: unknown): string {
  return typeof v === 'string' ? v : ''
}

function num (v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN
  return Number.isFinite(n) ? n : 0
}

function lastLine (s: string): string {
  return (s.trim().split('\n').pop() ?? '').replace(/https?:\/\/\S+/g, 'input').slice(0, 160)
}

/**
 * Whether the file starts like a media container (MP4/MOV, Matroska/WebM, AVI/WAV, Ogg, FLAC,
 * MP3, MPEG-TS/PS, ASF, FLV): such a file that ffprobe cannot read is damaged (422), anything
 * else is not media (415).
 */
async function looksLikeMedia (url: string): Promise<boolean> {
  let head: Buffer
  try {
    const res = await fetch(url, { headers: { Range: 'bytes=0-15' }, signal: AbortSignal.timeout(10_000) })
    head = Buffer.from(await res.arrayBuffer())
  } catch {
    return false
  }
  const ascii = head.toString('latin1')
  return ascii.slice(4, 8) === 'ftyp' || ['moov', 'mdat', 'free', 'wide'].includes(ascii.slice(4, 8)) ||
    head.readUInt32BE(0) === 0x1a45dfa3 || /^(RIFF|OggS|fLaC|ID3|FLV)/.test(ascii) ||
    head[0] === 0x47 || head.readUInt32BE(0) === 0x000001ba || head.readUInt32BE(0) === 0x3026b275 ||
    (head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0)
}
