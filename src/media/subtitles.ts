import path from 'node:path'
import { TodError } from '../errors.js'
import type { FileInfo } from '../protocol.js'
import type { SubtitleSource } from './playlist.js'
import { TS_OFFSET_90K } from './playlist.js'
import type { MediaInfo } from './probe.js'
import { runTool } from './run-tool.js'

const SIDECAR = /\.(srt|ass|ssa|vtt)$/i
const VTT_KEPT = 32
const MAX_VTT_BYTES = 8 * 1024 * 1024

/** Whether a torrent file is a subtitle file ffmpeg converts. */
export function isSubtitleFile (name: string): boolean {
  return SIDECAR.test(name)
}

/**
 * The subtitle renditions of a video: its text tracks, then the torrent's subtitle files that
 * go with it (named after the video, e.g. `Movie.en.srt` for `Movie.mkv`; when none is, every
 * subtitle file of a torrent with a single video).
 */
export function subtitleSources (info: MediaInfo, video: FileInfo, files: readonly FileInfo[]): SubtitleSource[] {
  const out: SubtitleSource[] = info.subtitles.filter((s) => s.text).map((s) => ({
    id: `t${s.index}`, name: s.title !== '' ? s.title : `Subtitles ${s.index + 1}${s.language !== '' ? ` (${s.language})` : ''}`, language: s.language, track: s.index, fileId: null
  }))
  const stem = video.name.replace(/\.[^.]+$/, '').toLowerCase()
  const subs = files.filter((f) => isSubtitleFile(f.name))
  const named = subs.filter((f) => f.name.toLowerCase().startsWith(stem))
  const videos = files.filter((f) => f.mime.startsWith('video/')).length
  const chosen = named.length > 0 ? named : videos <= 1 ? subs : []
  for (const f of chosen) {
    out.push({ id: `f${f.id}`, name: path.posix.basename(f.path), language: languageOf(f.name, stem), track: null, fileId: f.id })
  }
  return out
}

/** `Movie.en.srt` -> `en`; '' when the name carries no language. */
function languageOf (name: string, stem: string): string {
  const rest = name.toLowerCase().slice(name.toLowerCase().startsWith(stem) ? stem.length : 0).replace(SIDECAR, '')
  const m = /[._ -]([a-z]{2,3})$/.exec(rest)
  return m?.[1] ?? ''
}

/** Converts text subtitles to WebVTT with ffmpeg; answers are kept (a torrent's file never changes). */
export class VttMaker {
  readonly #ffmpeg: string
  readonly #timeoutMs: number
  readonly #made = new Map<string, Promise<string>>()

  constructor (ffmpeg: string, timeoutMs: number) {
    this.#ffmpeg = ffmpeg
    this.#timeoutMs = timeoutMs
  }

  /**
   * WebVTT of track `track` (`0:s:N`) of the file at `url`, or of the whole file when null (a
   * sidecar). A track inside a media file needs the whole file read: its packets are spread
   * through it.
   */
  async vtt (key: string, url: string, track: number | null): Promise<string> {
    const id = `${key}/${track ?? 'file'}`
    let p = this.#made.get(id)
    if (p === undefined) {
      p = this.#convert(url, track)
      this.#made.set(id, p)
      p.catch(() => { this.#made.delete(id) })
      while (this.#made.size > VTT_KEPT) this.#made.delete(this.#made.keys().next().value as string)
    }
    return await p
  }

  async #convert (url: string, track: number | null): Promise<string> {
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', url, '-map', track === null ? '0:s:0' : `0:s:${track}`, '-c:s', 'webvtt', '-f', 'webvtt', '-']
    const result = await runTool(this.#ffmpeg, args, this.#timeoutMs, MAX_VTT_BYTES)
    if (result.code !== 0 || !result.stdout.startsWith('WEBVTT')) {
      if (/matches no streams|Invalid data found/.test(result.stderr)) throw new TodError('TOD_ERR_UNSUPPORTED_MEDIA', { name: 'the source', kind: 'a text subtitle', mime: 'ffmpeg found no text subtitle stream in it' })
      throw new TodError('TOD_ERR_MEDIA_FAILED', { reason: `ffmpeg could not convert the subtitles (exit ${result.code ?? 'by signal'})` })
    }
    return result.stdout
  }
}

/** The WebVTT of an HLS subtitle rendition: its cue times mapped onto the segments' clock. */
export function withTimestampMap (vtt: string, startTime: number): string {
  const eol = vtt.indexOf('\n')
  const head = eol < 0 ? vtt : vtt.slice(0, eol)
  const rest = eol < 0 ? '' : vtt.slice(eol + 1)
  return `${head.trimEnd()}\nX-TIMESTAMP-MAP=MPEGTS:${TS_OFFSET_90K},LOCAL:${clock(startTime)}\n${rest}`
}

/** hh:mm:ss.mmm */
function clock (sec: number): string {
  const ms = Math.round(sec * 1000)
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0')
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}.${pad(ms % 1000, 3)}`
}
