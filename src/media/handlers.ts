import fs from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { TodError } from '../errors.js'
import type { Params } from '../http/route-match.js'
import type { Handler, RouteContext } from '../http/routes.js'
import type { FileInfo } from '../protocol.js'
import { NO_RENDITION, NO_SUBTITLE } from './not-found.js'
import { masterPlaylist, mediaPlaylist, subtitlePlaylist } from './playlist.js'
import type { SubtitleSource } from './playlist.js'
import type { MediaSource } from './service.js'
import { isSubtitleFile, subtitleSources, withTimestampMap } from './subtitles.js'

/** What the media handlers use of a front-end. */
type MediaContext = Pick<RouteContext, 'engine' | 'access' | 'files' | 'media'>

const M3U8 = 'application/vnd.apple.mpegurl'

/** GET /hls/{infoHash}/{fileId}/playlist.m3u8: the master playlist. */
export const hlsMaster: Handler<Params<'/hls/:infoHash/:fileId/playlist.m3u8'>> = async ({ req, res, params, ctx }) => {
  const { src, file, infoHash } = await sourceOf(req, params, ctx)
  const info = await ctx.media.info(src)
  const plan = await ctx.media.plan(src)
  const subs = subtitleSources(info, file, await torrentFiles(ctx, infoHash))
  send(res, M3U8, masterPlaylist(info, plan, subs, `/hls/${infoHash}/${file.id}/`, (p) => ctx.access.query(p)))
}

/** GET /hls/{infoHash}/{fileId}/info.json: what the probe found and how the file is played. */
export const hlsInfo: Handler<Params<'/hls/:infoHash/:fileId/info.json'>> = async ({ req, res, params, ctx }) => {
  const { src, file, infoHash } = await sourceOf(req, params, ctx)
  const info = await ctx.media.info(src)
  const plan = await ctx.media.plan(src)
  const subs = subtitleSources(info, file, await torrentFiles(ctx, infoHash))
  const body = {
    ...info,
    subtitles: info.subtitles.map((s) => ({ ...s, convertible: s.text })),
    renditions: plan.renditions,
    segments: plan.starts.length,
    sidecars: subs.filter((s) => s.fileId !== null)
  }
  send(res, 'application/json; charset=utf-8', JSON.stringify(body))
}

/** GET /hls/{infoHash}/{fileId}/{rendition}/index.m3u8: a rendition's VOD playlist. */
export const hlsRendition: Handler<Params<'/hls/:infoHash/:fileId/:rendition/index.m3u8'>> = async ({ req, res, params, ctx }) => {
  const { src, file, infoHash } = await sourceOf(req, params, ctx)
  const rendition = params.rendition
  const base = `/hls/${infoHash}/${file.id}/${rendition}/`
  const sign = (p: string): string => ctx.access.query(p)
  if (/^[tf]/.test(rendition)) {
    await subtitleOf(ctx, src, file, infoHash, rendition)
    send(res, M3U8, subtitlePlaylist((await ctx.media.info(src)).duration, base, sign))
    return
  }
  const plan = await ctx.media.plan(src)
  if (!plan.renditions.some((r) => r.id === rendition)) throw new TodError('TOD_ERR_NOT_FOUND', NO_RENDITION)
  send(res, M3U8, mediaPlaylist(plan, base, sign))
}

/** GET /hls/{infoHash}/{fileId}/{rendition}/{n}.ts (or 0.vtt for subtitles): one segment. */
export const hlsSegment: Handler<Params<'/hls/:infoHash/:fileId/:rendition/:segment'>> = async ({ req, res, params, ctx }) => {
  const { src, file, infoHash } = await sourceOf(req, params, ctx)
  const { rendition, segment } = params
  if (segment.kind === 'vtt') {
    const s = await subtitleOf(ctx, src, file, infoHash, rendition)
    send(res, 'text/vtt; charset=utf-8', withTimestampMap(await vttOf(ctx, src, infoHash, s), s.fileId === null ? (await ctx.media.info(src)).startTime : 0))
    return
  }
  const path = await ctx.media.segment(src, rendition, segment.index)
  const size = (await fs.promises.stat(path)).size
  res.writeHead(200, { 'Content-Type': 'video/mp2t', 'Content-Length': size, 'Cache-Control': 'private, max-age=3600' })
  if (req.method === 'HEAD') {
    res.end()
    return
  }
  await pipeline(fs.createReadStream(path), res)
}

/**
 * GET /subtitles/{infoHash}/{fileId}.vtt[?track=N]: a subtitle file of the torrent, or text
 * track N (default: the first text track) of a media file, as WebVTT.
 */
export const subtitlesVtt: Handler<Params<'/subtitles/:infoHash/:subtitle'>> = async ({ req, res, url, params, ctx }) => {
  const { src, file, infoHash } = await sourceOf(req, { infoHash: params.infoHash, fileId: params.subtitle }, ctx)
  if (isSubtitleFile(file.name)) {
    send(res, 'text/vtt; charset=utf-8', await ctx.media.vtt.vtt(`${infoHash}/${file.id}`, src.url, null))
    return
  }
  const info = await ctx.media.info(src)
  const trackParam = url.searchParams.get('track')
  if (trackParam !== null && !/^(0|[1-9]\d{0,3})$/.test(trackParam)) throw new TodError('TOD_ERR_BAD_QUERY', { reason: 'track is a subtitle track number (info.json lists them)' })
  const track = trackParam === null ? info.subtitles.find((s) => s.text) : info.subtitles[Number(trackParam)]
  if (track === undefined) throw new TodError('TOD_ERR_NOT_FOUND', NO_SUBTITLE)
  if (!track.text) throw new TodError('TOD_ERR_UNSUPPORTED_MEDIA', { name: `subtitle track ${track.index}`, kind: 'text', mime: `${track.codec} is a bitmap format; only text tracks become WebVTT` })
  send(res, 'text/vtt; charset=utf-8', await ctx.media.vtt.vtt(`${infoHash}/${file.id}`, src.url, track.index))
}

async function subtitleOf (ctx: MediaContext, src: MediaSource, file: FileInfo, infoHash: string, id: string): Promise<SubtitleSource> {
  const subs = subtitleSources(await ctx.media.info(src), file, await torrentFiles(ctx, infoHash))
  const s = subs.find((x) => x.id === id)
  if (s === undefined) throw new TodError('TOD_ERR_NOT_FOUND', NO_SUBTITLE)
  return s
}

async function vttOf (ctx: MediaContext, src: MediaSource, infoHash: string, s: SubtitleSource): Promise<string> {
  if (s.fileId === null) return await ctx.media.vtt.vtt(`${infoHash}/${src.fileId}`, src.url, s.track)
  return await ctx.media.vtt.vtt(`${infoHash}/${s.fileId}`, streamUrl(src.url, infoHash, s.fileId, ctx), null)
}

/** The file and the loopback URL ffmpeg reads it from: the address and port this request came in on. */
async function sourceOf (req: IncomingMessage, params: { infoHash: string, fileId: number }, ctx: MediaContext): Promise<{ src: MediaSource, file: FileInfo, infoHash: string }> {
  const { infoHash, fileId } = params
  let file = ctx.files.get(infoHash, fileId)
  if (file === undefined) {
    file = (await ctx.engine.run({ type: 'file', infoHash, fileId })).file
    ctx.files.put(infoHash, file)
  }
  const host = (req.socket.localAddress ?? '127.0.0.1').replace(/^::ffff:/, '')
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${req.socket.localPort ?? 0}`
  const path = `/stream/${infoHash}/${fileId}`
  return { src: { infoHash, fileId, url: `${origin}${path}${ctx.access.query(path)}` }, file, infoHash }
}

function streamUrl (sameOrigin: string, infoHash: string, fileId: number, ctx: MediaContext): string {
  const path = `/stream/${infoHash}/${fileId}`
  return `${new URL(sameOrigin).origin}${path}${ctx.access.query(path)}`
}

async function torrentFiles (ctx: MediaContext, infoHash: string): Promise<FileInfo[]> {
  return (await ctx.engine.run({ type: 'info', infoHash })).files
}

function send (res: ServerResponse, type: string, body: string): void {
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache' })
  res.end(res.req.method === 'HEAD' ? undefined : body)
}
