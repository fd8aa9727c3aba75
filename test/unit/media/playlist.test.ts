// Playlists: VOD, complete, signed child URLs, renditions as EXT-X-MEDIA.
import t from 'tap'
import { masterPlaylist, mediaPlaylist, subtitlePlaylist } from '../../../src/media/playlist.js'
import { planFor } from '../../../src/media/plan.js'
import type { MediaInfo } from '../../../src/media/probe.js'

const info: MediaInfo = {
  duration: 20,
  startTime: 0,
  container: 'matroska,webm',
  video: { index: 0, codec: 'hevc', width: 1920, height: 1080, pixFmt: 'yuv420p', fps: 24 },
  audio: [{ index: 0, codec: 'ac3', channels: 6, language: 'eng', title: 'Main "mix"', default: true }, { index: 1, codec: 'aac', channels: 2, language: '', title: '', default: false }],
  subtitles: [],
  playback: 'transcode'
}
const plan = planFor(info, { segmentDuration: 6, variants: [720] })
/** Shows which absolute path each child URL was signed for. */
const sign = (p: string): string => `?for=${p}`

t.test('master: variants with audio and subtitle groups, every child URL signed', async (t) => {
  const text = masterPlaylist(info, plan, [{ id: 'f3', name: 'movie.en.srt', language: 'en', track: null, fileId: 3 }], '/hls/ab/1/', sign)
  t.match(text, /^#EXTM3U\n/)
  t.match(text, /#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="Main mix",LANGUAGE="eng",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="a0\/index\.m3u8\?for=\/hls\/ab\/1\/a0\/index\.m3u8"/)
  t.match(text, /NAME="Audio 2",DEFAULT=NO/)
  t.match(text, /#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="movie\.en\.srt",LANGUAGE="en",.*URI="f3\/index\.m3u8\?for=\/hls\/ab\/1\/f3\/index\.m3u8"/)
  t.match(text, /#EXT-X-STREAM-INF:BANDWIDTH=6000000,RESOLUTION=1920x1080,CODECS="avc1\.640028,mp4a\.40\.2",AUDIO="aud",SUBTITLES="subs"\nv0\/index\.m3u8\?for=\/hls\/ab\/1\/v0\/index\.m3u8\n/)
  t.match(text, /RESOLUTION=1280x720,.*\nv1\/index\.m3u8/)
})

t.test('media playlist: VOD, ENDLIST, every segment, signed', async (t) => {
  const text = mediaPlaylist(plan, '/hls/ab/1/v0/', sign)
  t.match(text, /#EXT-X-TARGETDURATION:8\n/)
  t.match(text, /#EXT-X-PLAYLIST-TYPE:VOD\n/)
  t.match(text, /#EXTINF:6\.000,\n0\.ts\?for=\/hls\/ab\/1\/v0\/0\.ts\n#EXTINF:6\.000,\n1\.ts\?for=\/hls\/ab\/1\/v0\/1\.ts\n#EXTINF:8\.000,\n2\.ts\?for=\/hls\/ab\/1\/v0\/2\.ts\n#EXT-X-ENDLIST\n$/)
  t.equal(mediaPlaylist(plan, '/hls/ab/1/v0/', () => ''), mediaPlaylist(plan, '/hls/ab/1/v0/', () => ''), 'the same every time')
})

t.test('subtitle playlist: one WebVTT segment for the whole file', async (t) => {
  t.match(subtitlePlaylist(20, '/hls/ab/1/t0/', () => ''), /#EXT-X-TARGETDURATION:20\n.*#EXTINF:20\.000,\n0\.vtt\n#EXT-X-ENDLIST\n$/s)
})
