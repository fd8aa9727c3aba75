/**
 * Media fixtures for the HLS tests, made with Debian's ffmpeg: short, small pictures, so a
 * transcode of each takes well under a second on 2 cores.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { FFMPEG } from './media.js'

/** A subtitle cue every fixture with subtitles shows: from 2 s to 6 s. */
export const CUE = { start: 2, end: 6, text: 'Hello from the test' }

async function ffmpeg (args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(FFMPEG, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    child.once('error', reject)
    child.once('close', (code) => { code === 0 ? resolve() : reject(new Error(`ffmpeg ${code ?? '?'}: ${err.slice(-1000)}`)) })
  })
}

function picture (seconds: number, size = '320x180', rate = 24): string[] {
  return ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}:duration=${seconds}`]
}

function tone (seconds: number, freq = 440, layout = 'stereo'): string[] {
  return ['-f', 'lavfi', '-i', `sine=frequency=${freq}:sample_rate=48000:duration=${seconds},aformat=channel_layouts=${layout}`]
}

const X264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '48']
/** As a real encode is: B-frames (composition offsets, an edit list), a keyframe every 2 s. */
const X264_B = ['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '3', '-pix_fmt', 'yuv420p', '-g', '48', '-keyint_min', '48']

/** SRT text with {@link CUE}. */
export function srt (): string {
  return `1\n00:00:0${CUE.start},000 --> 00:00:0${CUE.end},000\n${CUE.text}\n\n`
}

/** ASS text with {@link CUE}. */
function ass (): string {
  return `[Script Info]\nScriptType: v4.00+\nPlayResX: 320\nPlayResY: 180\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\nStyle: Default,Arial,16,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:0${CUE.start}.00,0:00:0${CUE.end}.00,Default,,0,0,0,,${CUE.text}\n`
}

/** The fixture files, by role. */
export interface HlsFixtures {
  /** H.264 + AAC, moov first. */
  mp4: string
  /** H.264 + AAC, moov at the end. */
  mp4MoovLast: string
  /** H.264 + AC-3 5.1 with an ASS track; `sidecar` goes with it. */
  mkv: string
  sidecar: string
  /** HEVC + AAC in Matroska. */
  hevc: string
  /** H.264 with two AAC tracks (eng 440 Hz, fra 880 Hz). */
  twoAudio: string
  /** Random bytes named .mp4. */
  notMedia: string
  /** The first half of `mp4MoovLast`: no moov at all. */
  truncated: string
}

/** Makes every fixture into `dir` (created); `seconds` long each. */
export async function makeHlsFixtures (dir: string, seconds = 20): Promise<HlsFixtures> {
  fs.mkdirSync(dir, { recursive: true })
  const f = (name: string): string => path.join(dir, name)
  const assFile = f('track.ass')
  fs.writeFileSync(assFile, ass())
  const fixtures: HlsFixtures = {
    mp4: f('h264-aac.mp4'),
    mp4MoovLast: f('moov-last.mp4'),
    mkv: f('movie-ac3.mkv'),
    sidecar: f('movie-ac3.en.srt'),
    hevc: f('hevc.mkv'),
    twoAudio: f('two-audio.mp4'),
    notMedia: f('not-media.mp4'),
    truncated: f('truncated.mp4')
  }
  await Promise.all([
    ffmpeg([...picture(seconds), ...tone(seconds), ...X264_B, '-c:a', 'aac', '-b:a', '96k', '-movflags', '+faststart', fixtures.mp4]),
    ffmpeg([...picture(seconds), ...tone(seconds), ...X264_B, '-c:a', 'aac', '-b:a', '96k', fixtures.mp4MoovLast]),
    ffmpeg([...picture(seconds), ...tone(seconds, 440, '5.1'), '-i', assFile, '-map', '0:v', '-map', '1:a', '-map', '2:s', ...X264, '-c:a', 'ac3', '-b:a', '192k', '-c:s', 'ass', '-metadata:s:s:0', 'language=eng', fixtures.mkv]),
    ffmpeg([...picture(seconds), ...tone(seconds), '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error:keyint=48', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '96k', fixtures.hevc]),
    ffmpeg([...picture(seconds), ...tone(seconds, 440), ...tone(seconds, 880), '-map', '0:v', '-map', '1:a', '-map', '2:a', ...X264, '-c:a', 'aac', '-b:a', '96k', '-metadata:s:a:0', 'language=eng', '-metadata:s:a:1', 'language=fra', fixtures.twoAudio])
  ])
  fs.writeFileSync(fixtures.sidecar, srt())
  fs.writeFileSync(fixtures.notMedia, Buffer.alloc(300_000, 7).map((_, i) => (i * 2654435761) >>> 24))
  const whole = fs.readFileSync(fixtures.mp4MoovLast)
  fs.writeFileSync(fixtures.truncated, whole.subarray(0, Math.floor(whole.length / 2)))
  fs.rmSync(assFile)
  return fixtures
}
