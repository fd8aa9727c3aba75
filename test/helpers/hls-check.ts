/** Checks of HLS answers with Debian's ffprobe/ffmpeg: what a segment holds, whether it decodes. */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { FFMPEG } from './media.js'

const run = promisify(execFile)
const FFPROBE = process.env.FFPROBE_PATH ?? '/usr/bin/ffprobe'

async function withFile<T> (bytes: Uint8Array, use: (file: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-seg-'))
  const file = path.join(dir, 'seg.ts')
  fs.writeFileSync(file, bytes)
  try {
    return await use(file)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** True when ffmpeg decodes every frame of the segment without an error. */
export async function decodes (bytes: Uint8Array): Promise<boolean> {
  return await withFile(bytes, async (file) => {
    try {
      const { stderr } = await run(FFMPEG, ['-v', 'error', '-xerror', '-i', file, '-f', 'null', '-'], { timeout: 30_000 })
      return stderr.trim() === ''
    } catch {
      return false
    }
  })
}

/** The codec names and the pts (seconds) of every packet of the first stream of a segment. */
export async function packets (bytes: Uint8Array): Promise<{ codecs: string[], pts: number[] }> {
  return await withFile(bytes, async (file) => {
    const { stdout } = await run(FFPROBE, ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_packets', '-select_streams', '0', file], { timeout: 30_000, maxBuffer: 64 << 20 })
    const json = JSON.parse(stdout) as { streams: Array<{ codec_name: string }>, packets: Array<{ pts_time: string }> }
    return { codecs: json.streams.map((s) => s.codec_name), pts: json.packets.map((p) => Number(p.pts_time)).sort((a, b) => a - b) }
  })
}

/** The EXTINF durations and URIs of a media playlist. */
export function parsePlaylist (text: string): { durations: number[], uris: string[], vod: boolean, ended: boolean } {
  const lines = text.split('\n')
  const durations: number[] = []
  const uris: string[] = []
  for (const [i, line] of lines.entries()) {
    const m = /^#EXTINF:([\d.]+),/.exec(line)
    if (m !== null) {
      durations.push(Number(m[1]))
      uris.push(lines[i + 1] ?? '')
    }
  }
  return { durations, uris, vod: lines.includes('#EXT-X-PLAYLIST-TYPE:VOD'), ended: lines.includes('#EXT-X-ENDLIST') }
}
