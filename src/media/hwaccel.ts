import fs from 'node:fs'
import type { Logger } from '../log.js'
import { runTool } from './run-tool.js'

/** Video encoders `media.hwaccel` names: libx264 (`none`), VA-API, NVENC, Quick Sync. */
export const HWACCELS = ['none', 'vaapi', 'nvenc', 'qsv'] as const
export type Hwaccel = typeof HWACCELS[number]

/** The render node VA-API encodes on (the first GPU). */
export const VAAPI_DEVICE = '/dev/dri/renderD128'

const DETECT_TIMEOUT_MS = 10_000

/**
 * The hardware H.264 encoders an `ffmpeg -hide_banner -encoders` listing names (a line such as
 * ` V....D h264_vaapi   H.264/AVC (VAAPI) (codec h264)`), in {@link HWACCELS} order.
 */
export function listedEncoders (listing: string): Hwaccel[] {
  const found = new Set<string>()
  for (const m of listing.matchAll(/^\s*V\S*\s+h264_(vaapi|nvenc|qsv)\s/gm)) found.add(m[1] ?? '')
  return HWACCELS.filter((h) => h !== 'none' && found.has(h))
}

/**
 * The hardware encoders usable here: listed by this ffmpeg, and for VA-API with a render node
 * present. Listed is not proven: a build with NVENC lists it on a machine without an NVIDIA
 * card (its runs then fail, and the segment request gets 502 after one restart). A missing or
 * failing ffmpeg means none.
 */
export async function availableEncoders (ffmpeg: string, deviceExists: (file: string) => boolean = fs.existsSync): Promise<Hwaccel[]> {
  let listing: string
  try {
    listing = (await runTool(ffmpeg, ['-hide_banner', '-encoders'], DETECT_TIMEOUT_MS)).stdout
  } catch {
    return []
  }
  return listedEncoders(listing).filter((h) => h !== 'vaapi' || deviceExists(VAAPI_DEVICE))
}

/** The encoder to use: the one asked for if available, else software. */
export function chooseEncoder (wanted: Hwaccel, available: readonly Hwaccel[]): Hwaccel {
  return wanted === 'none' || available.includes(wanted) ? wanted : 'none'
}

/**
 * Detects the encoders (once per process, at start), logs which are available in one line,
 * and warns when the one asked for is not (software is used instead: not a crash).
 */
export async function detectEncoder (wanted: Hwaccel, ffmpeg: string, log: Pick<Logger, 'info' | 'warn'> | null): Promise<Hwaccel> {
  const available = await availableEncoders(ffmpeg)
  let chosen = chooseEncoder(wanted, available)
  // Listed is not proven (Debian's ffmpeg lists NVENC and QSV on machines without the card):
  // one frame encoded with it at start tells, instead of every transcode failing later.
  if (chosen !== 'none' && !(await encodesOneFrame(ffmpeg, chosen))) {
    log?.warn('media.hwaccel: the encoder is listed but could not encode a test frame, encoding with libx264', { wanted })
    chosen = 'none'
  }
  log?.info('media: video encoders', { hardware: available, configured: wanted, using: chosen === 'none' ? 'libx264' : `h264_${chosen}` })
  if (chosen === 'none' && wanted !== 'none' && !available.includes(wanted)) log?.warn('media.hwaccel: that encoder is not available here, encoding with libx264', { wanted, available })
  return chosen
}

/** Whether `ffmpeg` encodes one small frame with the hardware encoder `h` (within the detection deadline). */
export async function encodesOneFrame (ffmpeg: string, h: Exclude<Hwaccel, 'none'>): Promise<boolean> {
  const upload = h === 'vaapi' ? ['-vf', 'format=nv12,hwupload'] : []
  try {
    const run = await runTool(ffmpeg, ['-hide_banner', '-v', 'error', ...encoderInputArgs(h), '-f', 'lavfi', '-i', 'color=c=black:s=256x144:d=0.1', '-frames:v', '1', ...upload, '-c:v', `h264_${h}`, '-f', 'null', '-'], DETECT_TIMEOUT_MS)
    return run.code === 0
  } catch {
    return false
  }
}

/** What video encoding depends on. */
export interface EncodeSettings {
  /** An x264 preset; the hardware encoders get their nearest equivalent. */
  preset: string
  /** x264's CRF; the hardware encoders' constant-quality value. */
  crf: number
  hwaccel: Hwaccel
}

/** Arguments that go before `-i` (the VA-API device). */
export function encoderInputArgs (hwaccel: Hwaccel): string[] {
  return hwaccel === 'vaapi' ? ['-vaapi_device', VAAPI_DEVICE] : []
}

/** x264 presets, fastest first, and the NVENC (p1 fastest) and QSV equivalents. */
const X264 = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow']
const NVENC = ['p1', 'p2', 'p3', 'p4', 'p4', 'p5', 'p6']
const QSV = ['veryfast', 'veryfast', 'veryfast', 'faster', 'fast', 'medium', 'slow']

/**
 * The encoder's output arguments for a video rendition (`maxHeight` 0: the source size): 8-bit
 * 4:2:0 H.264 High, which every HLS player decodes. VA-API uploads the frames to the GPU
 * after scaling (`format=nv12,hwupload`).
 */
export function encoderArgs (encode: EncodeSettings, maxHeight: number): string[] {
  const scale = maxHeight > 0 ? [`scale=-2:'min(ih,${maxHeight})'`] : []
  const filter = (chain: string[]): string[] => (chain.length > 0 ? ['-vf', chain.join(',')] : [])
  const level = Math.max(0, X264.indexOf(encode.preset))
  const crf = String(encode.crf)
  switch (encode.hwaccel) {
    case 'none':
      return ['-c:v', 'libx264', '-preset', encode.preset, '-crf', crf, '-pix_fmt', 'yuv420p', '-profile:v', 'high', ...filter(scale)]
    case 'vaapi':
      return [...filter([...scale, 'format=nv12', 'hwupload']), '-c:v', 'h264_vaapi', '-rc_mode', 'CQP', '-qp', crf, '-profile:v', 'high']
    case 'nvenc':
      return ['-c:v', 'h264_nvenc', '-preset', NVENC[level] ?? 'p4', '-rc', 'vbr', '-cq', crf, '-b:v', '0', '-pix_fmt', 'yuv420p', '-profile:v', 'high', ...filter(scale)]
    case 'qsv':
      return ['-c:v', 'h264_qsv', '-preset', QSV[level] ?? 'medium', '-global_quality', crf, '-pix_fmt', 'nv12', '-profile:v', 'high', ...filter(scale)]
  }
}
