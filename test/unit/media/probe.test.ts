// ffprobe's JSON becomes a MediaInfo: tracks, text vs bitmap subtitles, how a browser plays it.
import t from 'tap'
import { describe } from '../../../src/media/probe.js'

const stream = (codecType: string, codec: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ codec_type: codecType, codec_name: codec, ...extra })

t.test('H.264 + AAC in MP4 plays directly; in Matroska after a remux', async (t) => {
  const streams = [stream('video', 'h264', { width: 1280, height: 720, pix_fmt: 'yuv420p', avg_frame_rate: '24000/1001' }), stream('audio', 'aac', { channels: 2, tags: { language: 'eng' } })]
  const mp4 = describe({ format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '60.5', start_time: '0.000' }, streams })
  t.match(mp4, { duration: 60.5, video: { codec: 'h264', width: 1280, height: 720 }, audio: [{ language: 'eng', channels: 2 }], playback: 'direct' })
  t.ok(Math.abs((mp4.video?.fps ?? 0) - 23.976) < 0.001)
  t.equal(describe({ format: { format_name: 'matroska,webm', duration: '60' }, streams }).playback, 'remux')
})

t.test('HEVC, 10-bit H.264, AC-3: transcode; bitmap subtitles are not text; cover art is not video', async (t) => {
  const info = describe({
    format: { format_name: 'matroska,webm', duration: '10' },
    streams: [
      stream('video', 'mjpeg', { disposition: { attached_pic: 1 } }),
      stream('video', 'h264', { pix_fmt: 'yuv420p10le', width: 640, height: 360 }),
      stream('audio', 'ac3', { channels: 6, tags: { language: 'und' } }),
      stream('subtitle', 'hdmv_pgs_subtitle'), stream('subtitle', 'subrip', { tags: { language: 'fre', title: 'French' } })
    ]
  })
  t.equal(info.video?.pixFmt, 'yuv420p10le')
  t.equal(info.playback, 'transcode')
  t.equal(info.audio[0]?.language, '', 'und is no language')
  t.match(info.subtitles, [{ codec: 'hdmv_pgs_subtitle', text: false }, { codec: 'subrip', text: true, language: 'fre', title: 'French', index: 1 }])
  t.equal(describe({ format: { format_name: 'matroska,webm', duration: '9' }, streams: [stream('video', 'hevc')] }).playback, 'transcode')
})

t.test('no audio or video: 415; no duration: 422', async (t) => {
  t.throws(() => describe({ format: { format_name: 'tty', duration: '3' }, streams: [stream('video', 'ansi')] }), { code: 'TOD_ERR_UNSUPPORTED_MEDIA' })
  t.throws(() => describe({ format: { format_name: 'srt' }, streams: [stream('subtitle', 'subrip')] }), { code: 'TOD_ERR_UNSUPPORTED_MEDIA' })
  t.throws(() => describe({ format: { format_name: 'mpegts' }, streams: [stream('video', 'h264')] }), { code: 'TOD_ERR_CORRUPT_MEDIA' })
  t.throws(() => describe('nonsense'), { code: 'TOD_ERR_UNSUPPORTED_MEDIA' })
})
