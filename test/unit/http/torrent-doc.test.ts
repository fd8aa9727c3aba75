import t from 'tap'
import { torrentDocument } from '../../../src/http/torrent-doc.js'
import type { TorrentStatus } from '../../../src/protocol.js'

const IH = 'c9e15763f722f23e98a29decdfae341b98d53056'
const file = (id: number, name: string, mime: string): TorrentStatus['files'][number] => ({ id, name, path: `film/${name}`, size: 1000, mime, progress: 0 })
const status: TorrentStatus = {
  ...{ infoHash: IH, name: 'film', size: 4000, pieceLength: 16384, state: 'active' as const },
  ...{ progress: 0, downloaded: 0, downloadSpeed: 0, uploadSpeed: 0, peers: 0, streams: 0, addedAt: 0, lastAccess: 0 },
  files: [file(0, 'movie.mkv', 'video/x-matroska'), file(1, 'movie.en.srt', 'application/x-subrip'), file(2, 'cover.jpg', 'image/jpeg'), file(3, 'song.flac', 'audio/flac')]
}

t.test('video and audio files carry the HLS playlist URL, others not', async (t) => {
  const doc = torrentDocument(status, 'http://tv.example', () => '')
  t.equal(doc.files[0]?.hlsUrl, `http://tv.example/hls/${IH}/0/playlist.m3u8`)
  t.equal(doc.files[3]?.hlsUrl, `http://tv.example/hls/${IH}/3/playlist.m3u8`)
  t.equal(doc.files[1]?.hlsUrl, undefined, 'a subtitle file')
  t.equal(doc.files[2]?.hlsUrl, undefined, 'an image')
  t.equal(doc.files[2]?.streamUrl, `http://tv.example/image/${IH}/2/cover.jpg`)
  t.same(doc.files[0]?.subtitles?.map((s) => s.id), [1], 'the sidecar subtitle is linked to its video')
})

t.test('signed when tokens are on: the playlist path is what is signed', async (t) => {
  const signed: string[] = []
  const doc = torrentDocument(status, 'http://tv.example', (p) => { signed.push(p); return '?exp=1&sig=x' })
  t.equal(doc.files[0]?.hlsUrl, `http://tv.example/hls/${IH}/0/playlist.m3u8?exp=1&sig=x`)
  t.ok(signed.includes(`/hls/${IH}/0/playlist.m3u8`))
})

t.test('media details once probed, never for other kinds', async (t) => {
  const info = { duration: 20, startTime: 0, container: 'matroska,webm', video: null, audio: [], subtitles: [], playback: 'transcode' as const }
  const doc = torrentDocument(status, 'http://tv.example', () => '', (id) => id === 0 || id === 2 ? info : undefined)
  t.same(doc.files[0]?.media, info, 'a probed video')
  t.equal(doc.files[3]?.media, undefined, 'audio not probed yet')
  t.equal(doc.files[2]?.media, undefined, 'an image never')
})

t.test('the M3U URL, signed like the streams', async (t) => {
  t.equal(torrentDocument(status, 'http://tv.example', () => '').playlistUrl, `http://tv.example/playlist/${IH}.m3u`)
  t.equal(torrentDocument(status, 'http://tv.example', (p) => `?sig=${p.length}`).playlistUrl, `http://tv.example/playlist/${IH}.m3u?sig=${`/playlist/${IH}.m3u`.length}`)
})
