// The plan: a fixed grid or the file's keyframes, renditions, and the ffmpeg arguments of a run.
import t from 'tap'
import { keyframeGrid, planFor, segmentArgs, segmentGrid, segmentLength } from '../../../src/media/plan.js'
import type { MediaInfo } from '../../../src/media/probe.js'

const info = (over: Partial<MediaInfo> = {}): MediaInfo => ({
  duration: 20,
  startTime: 0,
  container: 'mov,mp4,m4a,3gp,3g2,mj2',
  video: { index: 0, codec: 'h264', width: 1920, height: 1080, pixFmt: 'yuv420p', fps: 24 },
  audio: [{ index: 0, codec: 'aac', channels: 2, language: 'eng', title: '', default: true }, { index: 1, codec: 'ac3', channels: 6, language: 'fre', title: '', default: false }],
  subtitles: [],
  playback: 'direct',
  ...over
})

t.test('grid: every D seconds, a tail under D/2 merged', async (t) => {
  t.same(segmentGrid(20, 6), [0, 6, 12])
  t.same(segmentGrid(21.5, 6), [0, 6, 12, 18])
  t.same(segmentGrid(3, 6), [0])
})

t.test('keyframe grid: the first keyframe at least D after the previous start', async (t) => {
  t.same(keyframeGrid([0, 2, 4, 6, 8, 10.5, 12, 14, 16, 18], 20, 6), [0, 6, 12])
  t.same(keyframeGrid([0, 5, 10, 15], 20, 6), [0, 10])
})

t.test('renditions: copy H.264 with an index, AAC copied, AC-3 encoded, variants below the source only', async (t) => {
  const plan = planFor(info(), { segmentDuration: 6, variants: [2160, 720] }, [0, 2, 4, 6.5, 8, 12.5, 14, 16, 18])
  t.same(plan.starts, [0, 6.5, 12.5])
  t.match(plan.renditions, [{ id: 'v0', copy: true }, { id: 'v1', maxHeight: 720, copy: false }, { id: 'a0', copy: true }, { id: 'a1', copy: false }])
  t.equal(segmentLength(plan, 2), 7.5)
  const noIndex = planFor(info(), { segmentDuration: 6, variants: [] }, null)
  t.match(noIndex.renditions[0], { id: 'v0', copy: false })
  t.same(noIndex.starts, [0, 6, 12])
})

t.test('ffmpeg arguments: copy seeks past the keyframe and cuts before; encode forces keyframes', async (t) => {
  const plan = planFor(info(), { segmentDuration: 6, variants: [720] }, [0, 6, 12, 18])
  const [v0, v1, a1] = [plan.renditions[0], plan.renditions[1], plan.renditions[3]]
  if (v0 === undefined || v1 === undefined || a1 === undefined) throw new Error('renditions')
  const copy = segmentArgs(plan, v0, 1, 'http://127.0.0.1:1/stream/x/0', '/tmp/d', { preset: 'veryfast', crf: 23, hwaccel: 'none' })
  t.match(copy.join(' '), /-ss 6\.001 -i http:\/\/127\.0\.0\.1:1\/stream\/x\/0 -copyts -start_at_zero -avoid_negative_ts disabled/)
  t.match(copy.join(' '), /-c:v copy .*-segment_times 11\.990 -segment_start_number 1 -segment_list \/tmp\/d\/list\.csv/)
  t.match(copy.join(' '), /-reconnect 1/)
  const enc = segmentArgs(plan, v1, 0, '/f.mkv', '/tmp/d', { preset: 'veryfast', crf: 23, hwaccel: 'none' }).join(' ')
  t.notMatch(enc, /-ss /)
  t.match(enc, /-c:v libx264 -preset veryfast -crf 23 .*-vf scale=-2:'min\(ih,720\)' .*-force_key_frames 6\.000,12\.000 /)
  t.match(segmentArgs(plan, a1, 2, '/f.mkv', '/d', { preset: 'veryfast', crf: 23, hwaccel: 'none' }).join(' '), /-ss 12\.000 .*-map 0:a:1 -c:a aac -ac 2 .*-segment_time 86400 -segment_start_number 2/)
})
