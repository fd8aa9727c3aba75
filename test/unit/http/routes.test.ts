import t from 'tap'
import { ROUTES, findRoute, signedPath } from '../../../src/http/routes.js'
import { PathPattern } from '../../../src/http/route-match.js'

const IH = 'c9e15763f722f23e98a29decdfae341b98d53056'

t.test('every path finds its route by the table; near misses are 404s', async (t) => {
  const name = (p: string, debug = false): string | null => findRoute(p, debug)?.route.name ?? null
  t.equal(name('/health'), 'health')
  t.equal(name('/health/live'), 'health-live')
  t.equal(name('/stream'), 'stream-magnet')
  t.equal(name(`/stream/${IH}/0`), 'stream-file')
  t.equal(name(`/stream/${IH}/0/a/b.mkv`), 'stream-file')
  t.equal(name(`/document/${IH}/0/x.srt`), 'document')
  t.equal(name(`/torrent/${IH}`), 'torrent')
  t.equal(name(`/playlist/${IH}.m3u`), 'playlist')
  t.equal(name(`/hls/${IH}/0/playlist.m3u8`), 'hls-master')
  t.equal(name(`/hls/${IH}/0/info.json`), 'hls-info')
  t.equal(name(`/hls/${IH}/0/v0/index.m3u8`), 'hls-rendition', 'the literal beats the segment parameter')
  t.equal(name(`/hls/${IH}/0/v0/3.ts`), 'hls-segment')
  t.equal(name(`/hls/${IH}/0/t0/0.vtt`), 'hls-segment')
  t.equal(name(`/subtitles/${IH}/2.vtt`), 'subtitles')
  t.equal(name('/'), 'page')
  t.equal(name('/assets/0123abcd/app.js'), 'page-asset')
  t.equal(name(`/torrent/${IH}/pieces/3`), 'pieces')
  for (const p of ['/index.html', '/stream/', `/stream/${IH}`, `/stream/${IH}/`, '/stream//0', '/torrent/', `/torrent/${IH}/`, '/torrents/x', '/healthz', '/debug/crash-shard/0', `/hls/${IH}/0`, `/hls/${IH}/0/other.m3u8`, `/hls/${IH}/0/v0/3.ts/x`, `/subtitles/${IH}`]) {
    t.equal(name(p), null, p)
  }
  t.equal(name('/debug/crash-shard/0', true), 'debug-crash', 'debug routes only with fault injection')
})

t.test('facts live in the table: open, signable, streaming, unlimited', async (t) => {
  const facts = Object.fromEntries(ROUTES.map((r) => [r.name, r]))
  t.same(ROUTES.filter((r) => r.open).map((r) => r.name), ['page', 'page-asset', 'health', 'health-live'])
  t.same(ROUTES.filter((r) => r.unlimited).map((r) => r.name), ['health', 'health-live'])
  t.same(ROUTES.filter((r) => r.signable).map((r) => r.name).sort(), ['document', 'hls-info', 'hls-master', 'hls-rendition', 'hls-segment', 'image', 'playlist', 'stream-file', 'subtitles'])
  t.same(ROUTES.filter((r) => r.streaming).map((r) => r.name).sort(), ['document', 'hls-segment', 'image', 'stream-file', 'stream-magnet'])
  t.same(facts.torrent?.methods, ['GET', 'HEAD', 'DELETE'])
  t.equal(new Set(ROUTES.map((r) => r.name)).size, ROUTES.length, 'names are unique (metric labels)')
})

t.test('parameters are parsed and validated by name', async (t) => {
  const p = new PathPattern('/stream/:infoHash/:fileId/*name')
  const m = p.match(`/stream/${IH.toUpperCase()}/12/film.mkv`)
  t.ok(m)
  t.same(p.parse(m!.raw), { infoHash: IH, fileId: 12, name: 'film.mkv' })
  t.equal(m!.fixedPath, `/stream/${IH.toUpperCase()}/12`)
  t.throws(() => p.parse(p.match(`/stream/${IH}/01`)!.raw), { code: 'TOD_ERR_BAD_FILE_ID' })
  t.throws(() => p.parse(p.match('/stream/xyz/0')!.raw), { code: 'TOD_ERR_BAD_INFOHASH' })
  const pl = new PathPattern('/playlist/:playlist')
  t.same(pl.parse(pl.match(`/playlist/${IH}.m3u8`)!.raw), { playlist: IH })
  t.throws(() => pl.parse(pl.match(`/playlist/${IH}`)!.raw), { code: 'TOD_ERR_BAD_INFOHASH' })
  const seg = new PathPattern('/hls/:infoHash/:fileId/:rendition/:segment')
  t.same(seg.parse(seg.match(`/hls/${IH}/3/a1/12.ts`)!.raw), { infoHash: IH, fileId: 3, rendition: 'a1', segment: { index: 12, kind: 'ts' } })
  t.same(seg.parse(seg.match(`/hls/${IH}/3/f4/0.vtt`)!.raw).segment, { index: 0, kind: 'vtt' })
  for (const bad of ['x0/1.ts', 'v01/1.ts', 'v0/01.ts', 'v0/1.vtt', 'v0/1.mp4', 'v0/-1.ts']) {
    t.throws(() => seg.parse(seg.match(`/hls/${IH}/3/${bad}`)!.raw), { code: 'TOD_ERR_NOT_FOUND' }, bad)
  }
  const sub = new PathPattern('/subtitles/:infoHash/:subtitle')
  t.same(sub.parse(sub.match(`/subtitles/${IH}/7.vtt`)!.raw), { infoHash: IH, subtitle: 7 })
  t.throws(() => sub.parse(sub.match(`/subtitles/${IH}/7.srt`)!.raw), { code: 'TOD_ERR_BAD_FILE_ID' })
  t.throws(() => new PathPattern('/x/*name/y'), /last segment/)
  t.throws(() => new PathPattern('/x/:nope'), /unknown route parameter/)
})

t.test('the signed path drops a trailing name only', async (t) => {
  t.equal(signedPath(`/stream/${IH}/0/film.mp4`), `/stream/${IH}/0`)
  t.equal(signedPath(`/image/${IH}/3/a/b.jpg`), `/image/${IH}/3`)
  t.equal(signedPath(`/playlist/${IH}.m3u`), `/playlist/${IH}.m3u`)
  t.equal(signedPath(`/hls/${IH}/0/v0/3.ts`), `/hls/${IH}/0/v0/3.ts`, 'each HLS URL is signed whole')
  t.equal(signedPath('/unknown/a/b'), '/unknown/a/b')
})
