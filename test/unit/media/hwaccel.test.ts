import fs from 'node:fs'
// Hardware encoders: what an ffmpeg listing offers, the fallback to software, and the arguments
// of each encoder. No GPU here: the runs themselves are software (test/e2e/hls*.test.ts).
import t from 'tap'
import { availableEncoders, chooseEncoder, detectEncoder, encodesOneFrame, encoderArgs, encoderInputArgs, listedEncoders, VAAPI_DEVICE } from '../../../src/media/hwaccel.js'
import { planFor, segmentArgs } from '../../../src/media/plan.js'
import type { MediaInfo } from '../../../src/media/probe.js'

const LISTING = `Encoders:
 V..... = Video
 ------
 V....D libx264              libx264 H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 (codec h264)
 V....D h264_nvenc           NVIDIA NVENC H.264 encoder (codec h264)
 V..... h264_qsv             H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 (Intel Quick Sync Video acceleration) (codec h264)
 V....D h264_vaapi           H.264/AVC (VAAPI) (codec h264)
 V....D hevc_vaapi           H.265/HEVC (VAAPI) (codec hevc)
 A....D aac                  AAC (Advanced Audio Coding)
`

t.test('listing: the h264_ hardware encoders ffmpeg names, in a fixed order', async (t) => {
  t.same(listedEncoders(LISTING), ['vaapi', 'nvenc', 'qsv'])
  t.same(listedEncoders(LISTING.replace(/^.*h264_(nvenc|vaapi).*$/gm, '')), ['qsv'])
  t.same(listedEncoders(' V....D libx264   libx264 H.264\n V....D hevc_nvenc  NVENC HEVC\n'), [])
  t.same(listedEncoders('h264_vaapi mentioned in prose\n'), [], 'only encoder lines count')
})

t.test('available: vaapi needs the render node; a missing ffmpeg offers nothing', async (t) => {
  const withNode = await availableEncoders('ffmpeg', () => true)
  const withoutNode = await availableEncoders('ffmpeg', (file) => file !== VAAPI_DEVICE)
  t.same(withoutNode, withNode.filter((h) => h !== 'vaapi'))
  t.notOk(withoutNode.includes('vaapi'))
  t.same(await availableEncoders('/no/such/ffmpeg', () => true), [])
})

t.test('choice: the one asked for if available, else software', async (t) => {
  t.equal(chooseEncoder('none', ['vaapi']), 'none')
  t.equal(chooseEncoder('vaapi', ['vaapi', 'nvenc']), 'vaapi')
  t.equal(chooseEncoder('nvenc', ['vaapi']), 'none')
  t.equal(chooseEncoder('qsv', []), 'none')
})

t.test('detection logs one line, and warns (no throw) when falling back', async (t) => {
  const lines: Array<{ level: string, msg: string, meta: unknown }> = []
  const log = {
    info: (msg: string, meta: unknown) => { lines.push({ level: 'info', msg, meta }) },
    warn: (msg: string, meta: unknown) => { lines.push({ level: 'warn', msg, meta }) }
  } as never
  t.equal(await detectEncoder('vaapi', '/no/such/ffmpeg', log), 'none')
  t.same(lines.map((l) => l.level), ['info', 'warn'])
  t.match(lines[0]?.meta, { hardware: [], configured: 'vaapi', using: 'libx264' })
  t.match(lines[1]?.meta, { wanted: 'vaapi', available: [] })
  lines.length = 0
  t.equal(await detectEncoder('none', '/no/such/ffmpeg', log), 'none')
  t.same(lines.map((l) => l.level), ['info'], 'no warning when software was asked for')
})

t.test('an encoder that is listed but has no hardware falls back after a test frame', { skip: fs.existsSync('/dev/nvidia0') ? 'an NVIDIA card is present' : false }, async (t) => {
  // Debian's ffmpeg lists h264_nvenc on machines without an NVIDIA card (this one).
  const listed = await availableEncoders('ffmpeg', () => false)
  if (!listed.includes('nvenc')) {
    t.comment('this ffmpeg does not list h264_nvenc')
    return
  }
  t.equal(await encodesOneFrame('ffmpeg', 'nvenc'), false, 'no frame without the card')
  const lines: Array<{ level: string, msg: string }> = []
  const log = {
    info: (msg: string) => { lines.push({ level: 'info', msg }) },
    warn: (msg: string) => { lines.push({ level: 'warn', msg }) }
  } as never
  t.equal(await detectEncoder('nvenc', 'ffmpeg', log), 'none', 'software instead')
  t.match(lines.find((l) => l.level === 'warn')?.msg, /could not encode a test frame/)
})

t.test('arguments of each encoder', async (t) => {
  const at = { preset: 'veryfast', crf: 23 }
  t.same(encoderArgs({ ...at, hwaccel: 'none' }, 0), ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-profile:v', 'high'])
  t.same(encoderArgs({ ...at, hwaccel: 'none' }, 720).slice(-2), ['-vf', "scale=-2:'min(ih,720)'"])
  t.same(encoderArgs({ ...at, hwaccel: 'vaapi' }, 0), ['-vf', 'format=nv12,hwupload', '-c:v', 'h264_vaapi', '-rc_mode', 'CQP', '-qp', '23', '-profile:v', 'high'])
  t.same(encoderArgs({ ...at, hwaccel: 'vaapi' }, 480).slice(0, 2), ['-vf', "scale=-2:'min(ih,480)',format=nv12,hwupload"], 'scaled on the CPU, then uploaded')
  t.same(encoderArgs({ ...at, hwaccel: 'nvenc' }, 0), ['-c:v', 'h264_nvenc', '-preset', 'p3', '-rc', 'vbr', '-cq', '23', '-b:v', '0', '-pix_fmt', 'yuv420p', '-profile:v', 'high'])
  t.same(encoderArgs({ preset: 'slow', crf: 20, hwaccel: 'qsv' }, 0), ['-c:v', 'h264_qsv', '-preset', 'slow', '-global_quality', '20', '-pix_fmt', 'nv12', '-profile:v', 'high'])
  t.same(encoderInputArgs('vaapi'), ['-vaapi_device', VAAPI_DEVICE])
  t.same(encoderInputArgs('nvenc'), [])
})

t.test('a run: the VA-API device before the input, the encoder after it; copy and audio untouched', async (t) => {
  const info: MediaInfo = {
    duration: 20,
    startTime: 0,
    container: 'matroska,webm',
    video: { index: 0, codec: 'hevc', width: 1280, height: 720, pixFmt: 'yuv420p', fps: 24 },
    audio: [{ index: 0, codec: 'ac3', channels: 6, language: 'eng', title: '', default: true }],
    subtitles: [],
    playback: 'transcode'
  }
  const plan = planFor(info, { segmentDuration: 6, variants: [] })
  const [v0, a0] = plan.renditions
  if (v0 === undefined || a0 === undefined) throw new Error('renditions')
  const args = segmentArgs(plan, v0, 1, '/f.mkv', '/d', { preset: 'veryfast', crf: 23, hwaccel: 'vaapi' }).join(' ')
  t.match(args, /^.*-vaapi_device \/dev\/dri\/renderD128 -ss 6\.000 -i \/f\.mkv .*-map 0:v:0 -vf format=nv12,hwupload -c:v h264_vaapi .*-fps_mode passthrough .*-force_key_frames 12\.000/)
  t.match(segmentArgs(plan, v0, 0, '/f.mkv', '/d', { preset: 'veryfast', crf: 23, hwaccel: 'nvenc' }).join(' '), /-c:v h264_nvenc/)
  t.notMatch(segmentArgs(plan, a0, 0, '/f.mkv', '/d', { preset: 'veryfast', crf: 23, hwaccel: 'vaapi' }).join(' '), /vaapi/, 'audio runs get no device')
})
