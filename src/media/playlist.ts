import type { Plan } from './plan.js'
import { segmentLength } from './plan.js'
import type { MediaInfo } from './probe.js'

/** A subtitle rendition: a text track of the file (`t<N>`) or a sidecar file of the torrent (`f<fileId>`). */
export interface SubtitleSource {
  id: string
  name: string
  language: string
  /** Embedded track index (`0:s:N`), or null for a sidecar file. */
  track: number | null
  /** The sidecar's file id, or null for an embedded track. */
  fileId: number | null
}

/** How a child URL is signed: `?exp=&sig=` for an absolute path, or ''. */
export type Signer = (absolutePath: string) => string

/** MPEG-TS timestamps start 1.4 s in (ffmpeg's mux delay); WebVTT cue 0 maps there. */
export const TS_OFFSET_90K = 126000

/**
 * The master playlist: one variant per video rendition, every audio track as an
 * EXT-X-MEDIA TYPE=AUDIO rendition, text subtitles as TYPE=SUBTITLES. `base` is
 * `/hls/IH/ID/` (child URIs are relative to it, each with its own signature).
 */
export function masterPlaylist (info: MediaInfo, plan: Plan, subs: readonly SubtitleSource[], base: string, sign: Signer): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:4', '#EXT-X-INDEPENDENT-SEGMENTS']
  const child = (id: string, name: string): string => `${id}/${name}${sign(`${base}${id}/${name}`)}`
  const audio = plan.renditions.filter((r) => r.kind === 'audio')
  const videos = plan.renditions.filter((r) => r.kind === 'video')
  audio.forEach((r, i) => {
    const t = info.audio[r.track]
    const name = quoted(t?.title !== '' && t?.title !== undefined ? t.title : `Audio ${r.track + 1}${t?.language !== '' && t?.language !== undefined ? ` (${t.language})` : ''}`)
    const lang = t?.language !== undefined && t.language !== '' && t.language !== 'und' ? `,LANGUAGE=${quoted(t.language)}` : ''
    const isDefault = i === 0 ? 'YES' : 'NO'
    lines.push(`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME=${name}${lang},DEFAULT=${isDefault},AUTOSELECT=${isDefault},CHANNELS="2",URI="${child(r.id, 'index.m3u8')}"`)
  })
  for (const s of subs) {
    const lang = s.language !== '' && s.language !== 'und' ? `,LANGUAGE=${quoted(s.language)}` : ''
    lines.push(`#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME=${quoted(s.name)}${lang},DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="${child(s.id, 'index.m3u8')}"`)
  }
  const groups = `${audio.length > 0 ? ',AUDIO="aud"' : ''}${subs.length > 0 ? ',SUBTITLES="subs"' : ''}`
  for (const v of videos) {
    const srcH = info.video?.height ?? 0
    const srcW = info.video?.width ?? 0
    const h = v.maxHeight > 0 ? Math.min(v.maxHeight, srcH) : srcH
    const w = srcH > 0 ? Math.round(srcW * h / srcH / 2) * 2 : srcW
    const codecs = audio.length > 0 ? 'avc1.640028,mp4a.40.2' : 'avc1.640028'
    lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${bandwidth(h)},RESOLUTION=${w}x${h},CODECS="${codecs}"${groups}`, child(v.id, 'index.m3u8'))
  }
  if (videos.length === 0 && audio[0] !== undefined) {
    lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=200000,CODECS="mp4a.40.2"${subs.length > 0 ? ',SUBTITLES="subs"' : ''}`, child(audio[0].id, 'index.m3u8'))
  }
  return lines.join('\n') + '\n'
}

/** A rendition's VOD playlist: every segment from the first request, never changing. */
export function mediaPlaylist (plan: Plan, base: string, sign: Signer): string {
  const lengths = plan.starts.map((_, n) => segmentLength(plan, n))
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${Math.ceil(Math.max(...lengths))}`, '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-INDEPENDENT-SEGMENTS']
  lengths.forEach((len, n) => { lines.push(`#EXTINF:${len.toFixed(3)},`, `${n}.ts${sign(`${base}${n}.ts`)}`) })
  lines.push('#EXT-X-ENDLIST')
  return lines.join('\n') + '\n'
}

/** A subtitle rendition's playlist: the whole track as one WebVTT segment. */
export function subtitlePlaylist (duration: number, base: string, sign: Signer): string {
  return ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${Math.ceil(duration)}`, '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD',
    `#EXTINF:${duration.toFixed(3)},`, `0.vtt${sign(`${base}0.vtt`)}`, '#EXT-X-ENDLIST'].join('\n') + '\n'
}

function bandwidth (height: number): number {
  if (height >= 1080) return 6_000_000
  if (height >= 720) return 3_500_000
  if (height >= 480) return 1_800_000
  return 900_000
}

/** A quoted-string attribute (RFC 8216 4.2): no quotes, CR or LF inside. */
function quoted (s: string): string {
  return `"${s.replace(/["\r\n]/g, '').slice(0, 64)}"`
}
