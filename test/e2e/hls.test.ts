// End to end: the real daemon makes HLS out of files a WebTorrent peer on loopback seeds:
// probes, VOD playlists, segments that decode, the same segment after a jump, subtitles as
// WebVTT, idle clean-up, clear errors for files that are not media or are damaged, and the
// M3U's durations once probed. media.hwaccel asks for VA-API where this machine has no render
// node: every transcode here goes through the fallback to libx264.
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { waitFor } from '../helpers/async.js'
import { startDaemon } from '../helpers/daemon.js'
import { decodes, packets, parsePlaylist } from '../helpers/hls-check.js'
import { CUE, makeHlsFixtures } from '../helpers/hls-media.js'
import { startSeeder } from '../helpers/seeder.js'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-hls-'))
const fx = await makeHlsFixtures(path.join(work, 'media'))
const all = [fx.mp4, fx.mp4MoovLast, fx.mkv, fx.sidecar, fx.hevc, fx.twoAudio, fx.notMedia, fx.truncated]
const seeder = await startSeeder(all, { name: 'movies', pieceLength: 64 * 1024 })
const cacheDir = path.join(work, 'hls-cache')
const hwaccel = fs.existsSync('/dev/dri/renderD128') ? 'none' : 'vaapi'
const daemon = await startDaemon({ workers: 2, shards: 1, env: { TOD_P2M_MEDIA_IDLE_TIMEOUT: '2', TOD_P2M_MEDIA_MAX_SESSIONS: '16', TOD_P2M_MEDIA_CACHE_DIR: cacheDir, TOD_P2M_MEDIA_HWACCEL: hwaccel } })
t.teardown(async () => {
  await daemon.stop()
  await seeder.stop()
  fs.rmSync(work, { recursive: true, force: true })
})
const added = await fetch(`${daemon.base}/torrents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ magnet: seeder.magnet }) })
t.equal(added.status, 201, 'torrent added')

const ih = seeder.infoHash
const idOf = (file: string): number => seeder.files.findIndex((f) => f.name === path.basename(file))
const hls = (file: string, rest: string): string => `${daemon.base}/hls/${ih}/${idOf(file)}/${rest}`
const text = async (url: string): Promise<string> => {
  const res = await fetch(url)
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`)
  return await res.text()
}
const bytes = async (url: string): Promise<Uint8Array> => {
  const res = await fetch(url)
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`)
  return new Uint8Array(await res.arrayBuffer())
}
const errorOf = async (url: string): Promise<{ status: number, code: string, message: string }> => {
  const res = await fetch(url)
  const body = await res.json() as { error: { code: string, message: string } }
  return { status: res.status, ...body.error }
}

t.test('probe: container, codecs, tracks and how a browser plays each file', async (t) => {
  const mp4 = JSON.parse(await text(hls(fx.mp4, 'info.json'))) as Record<string, unknown>
  t.match(mp4, { container: /mp4/, video: { codec: 'h264', width: 320, height: 180 }, audio: [{ codec: 'aac' }], playback: 'direct' })
  t.ok(Math.abs(Number(mp4.duration) - 20) < 0.2, 'duration')
  const mkv = JSON.parse(await text(hls(fx.mkv, 'info.json'))) as Record<string, unknown>
  t.match(mkv, { container: /matroska/, audio: [{ codec: 'ac3', channels: 6 }], subtitles: [{ codec: 'ass', text: true, convertible: true, language: 'eng' }], playback: 'transcode', sidecars: [{ name: path.basename(fx.sidecar), language: 'en' }] })
  t.match(JSON.parse(await text(hls(fx.hevc, 'info.json'))), { video: { codec: 'hevc' }, playback: 'transcode' })
  t.match(JSON.parse(await text(hls(fx.mp4MoovLast, 'info.json'))), { video: { codec: 'h264' }, playback: 'direct' })
  t.match(mp4, { renditions: [{ id: 'v0', copy: true }, { id: 'a0', copy: true }] }, 'H.264 + AAC in MP4: remuxed, keyframes from the index')
  t.match(mkv, { renditions: [{ id: 'v0', copy: true }, { id: 'a0', copy: false }] }, 'H.264 in MKV remuxed on its Cues, AC-3 to AAC')
  t.match(JSON.parse(await text(hls(fx.hevc, 'info.json'))), { renditions: [{ id: 'v0', copy: false }] }, 'HEVC encoded')
})

t.test('a file that is not media is 415; a truncated one is a clear 422, not a hang', async (t) => {
  t.match(await errorOf(hls(fx.notMedia, 'playlist.m3u8')), { status: 415, code: 'TOD_ERR_UNSUPPORTED_MEDIA' })
  t.match(await errorOf(hls(fx.truncated, 'playlist.m3u8')), { status: 422, code: 'TOD_ERR_CORRUPT_MEDIA', message: /moov|could not read/ })
})

t.test('master playlist: variant, audio renditions, subtitle renditions', async (t) => {
  const two = await text(hls(fx.twoAudio, 'playlist.m3u8'))
  t.equal(two.match(/#EXT-X-MEDIA:TYPE=AUDIO/g)?.length, 2, 'two audio renditions')
  t.match(two, /LANGUAGE="eng".*DEFAULT=YES/)
  t.match(two, /LANGUAGE="fra".*DEFAULT=NO/)
  const mkv = await text(hls(fx.mkv, 'playlist.m3u8'))
  t.equal(mkv.match(/#EXT-X-MEDIA:TYPE=SUBTITLES/g)?.length, 2, 'the ASS track and the sidecar .srt')
  t.match(mkv, /#EXT-X-STREAM-INF:.*AUDIO="aud",SUBTITLES="subs"\nv0\/index\.m3u8/)
})

t.test('VOD playlists: complete, ended, the same on every request, durations add up', async (t) => {
  for (const file of [fx.mp4, fx.mkv, fx.hevc]) {
    const first = await text(hls(file, 'v0/index.m3u8'))
    t.equal(await text(hls(file, 'v0/index.m3u8')), first, 'never changes')
    const p = parsePlaylist(first)
    t.ok(p.vod && p.ended, 'VOD with ENDLIST')
    t.equal(p.durations.length, 3, '20 s in 6 s segments, the short tail merged')
    t.ok(Math.abs(p.durations.reduce((a, b) => a + b, 0) - 20) < 0.1, 'durations add up to the file')
    t.same(parsePlaylist(await text(hls(file, 'a0/index.m3u8'))).durations, p.durations, 'audio on the same grid')
  }
})

t.test('first, middle and last segments decode; video is H.264 whatever the source', async (t) => {
  for (const file of [fx.mp4, fx.mkv, fx.hevc, fx.mp4MoovLast]) {
    for (const n of [0, 1, 2]) {
      const seg = await bytes(hls(file, `v0/${n}.ts`))
      t.ok(await decodes(seg), `${path.basename(file)} v0/${n}.ts decodes`)
      if (n === 1) t.same((await packets(seg)).codecs, ['h264'])
    }
    const audio = await bytes(hls(file, 'a0/2.ts'))
    t.ok(await decodes(audio), `${path.basename(file)} a0/2.ts decodes`)
    t.same((await packets(audio)).codecs, [file === fx.mp4 || file === fx.mp4MoovLast || file === fx.hevc ? 'aac' : 'aac'])
  }
  t.ok(await decodes(await bytes(hls(fx.twoAudio, 'a1/1.ts'))), 'the second audio track')
})

t.test('a segment past the end is 404; an unknown rendition is 404', async (t) => {
  t.equal((await fetch(hls(fx.mp4, 'v0/3.ts'))).status, 404)
  t.equal((await fetch(hls(fx.mp4, 'v9/0.ts'))).status, 404)
  t.equal((await fetch(hls(fx.mp4, 'v0/index.m3u9'))).status, 404)
})

t.test('transcode: idle sessions are stopped and their folders removed; a jump gives the same timestamps', async (t) => {
  // From the start: 0, 1, 2 in order.
  const fromStart = []
  for (const n of [0, 1, 2]) fromStart.push(await packets(await bytes(hls(fx.hevc, `v0/${n}.ts`))))
  await waitFor(() => fs.readdirSync(cacheDir).filter((n) => /^\d+-/.test(n)).length === 0 ? true : undefined, { timeoutMs: 15_000, what: 'idle sessions removed' })
  // A new session that starts at the last segment.
  const jumped = await packets(await bytes(hls(fx.hevc, 'v0/2.ts')))
  t.same(jumped.pts, fromStart[2]?.pts, 'same timestamps whether the session started there or ran from the start')
  t.ok(Math.abs((jumped.pts[0] ?? 0) - 1.4 - 12) < 0.1, 'segment 2 starts at 12 s (+1.4 s mux delay)')
})

t.test('remux: a segment made after a jump is byte-identical to the one made from the start', async (t) => {
  for (const file of [fx.mp4MoovLast, fx.mkv]) {
    const fromStart = []
    for (const n of [0, 1, 2]) fromStart.push(await bytes(hls(file, `v0/${n}.ts`)))
    await waitFor(() => fs.readdirSync(cacheDir).filter((n) => /^\d+-/.test(n)).length === 0 ? true : undefined, { timeoutMs: 15_000, what: 'idle sessions removed' })
    const jumped = await bytes(hls(file, 'v0/2.ts'))
    t.ok(Buffer.from(jumped).equals(Buffer.from(fromStart[2] ?? [])), `${path.basename(file)} segment 2: same bytes`)
    t.same((await packets(jumped)).codecs, ['h264'])
  }
})

t.test('subtitles: the ASS track and the sidecar .srt as WebVTT', async (t) => {
  const fromTrack = await text(`${daemon.base}/subtitles/${ih}/${idOf(fx.mkv)}.vtt`)
  t.match(fromTrack, /^WEBVTT/)
  t.match(fromTrack, new RegExp(`00:0${CUE.start}\\.\\d+ --> 00:0${CUE.end}\\.\\d+\\n${CUE.text}`))
  t.match(await text(`${daemon.base}/subtitles/${ih}/${idOf(fx.mkv)}.vtt?track=0`), CUE.text)
  t.equal((await fetch(`${daemon.base}/subtitles/${ih}/${idOf(fx.mkv)}.vtt?track=5`)).status, 404)
  t.match(await text(`${daemon.base}/subtitles/${ih}/${idOf(fx.sidecar)}.vtt`), new RegExp(`00:0${CUE.start}\\.000 --> 00:0${CUE.end}\\.000\\n${CUE.text}`))
  const sidecar = `f${idOf(fx.sidecar)}`
  const playlist = parsePlaylist(await text(hls(fx.mkv, `${sidecar}/index.m3u8`)))
  t.same(playlist.uris, ['0.vtt'])
  t.match(await text(hls(fx.mkv, `${sidecar}/0.vtt`)), /^WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00\.000\n/)
  t.match(await text(hls(fx.mkv, 't0/0.vtt')), /X-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00\.0\d\d\n/)
})

t.test('metrics: sessions, ffmpeg starts, segments made and served, time to first segment, CPU', async (t) => {
  const metrics = await text(`${daemon.base}/metrics`)
  for (const name of ['media_sessions', 'media_ffmpeg_starts_total', 'media_segments_made_total', 'media_segments_served_total', 'media_first_segment_seconds_bucket', 'media_ffmpeg_cpu_seconds_total']) {
    t.match(metrics, new RegExp(`tod_p2m_${name}`), name)
  }
})

t.test('M3U: a file probed by this front-end has its duration; the M3U starts no probe', async (t) => {
  // One kept-alive connection: both requests reach the same front-end (the cache is per process).
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => { agent.destroy() })
  const get = async (url: string): Promise<{ status: number, body: string }> => await new Promise((resolve, reject) => {
    http.get(url, { agent }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (s: string) => { body += s })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
    }).on('error', reject).setTimeout(60_000, function (this: http.ClientRequest) { this.destroy(new Error(`${url}: no answer`)) })
  })
  const extinf = (m3u: string, name: string): string | undefined => m3u.split('\n').find((l) => l.startsWith('#EXTINF:') && l.endsWith(`,${name}`))
  t.equal((await get(hls(fx.twoAudio, 'info.json'))).status, 200)
  t.equal((await get(hls(fx.notMedia, 'info.json'))).status, 415)
  const m3u = await get(`${daemon.base}/playlist/${ih}.m3u`)
  t.equal(m3u.status, 200)
  t.equal(extinf(m3u.body, path.basename(fx.twoAudio)), `#EXTINF:20,${path.basename(fx.twoAudio)}`, 'probed: 20 s')
  t.equal(extinf(m3u.body, path.basename(fx.notMedia)), `#EXTINF:-1,${path.basename(fx.notMedia)}`, 'not media: unknown')
  t.equal(m3u.body.split('\n').filter((l) => l.startsWith('#EXTINF:')).length, 7, 'every video file listed')
})
