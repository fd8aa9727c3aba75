import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Config } from '../config/config.js'
import { TodError } from '../errors.js'
import { normalizeInfoHash } from '../infohash.js'
import { parseMagnet } from '../magnet.js'
import type { FileInfo, TorrentInfo } from '../protocol.js'
import type { EngineClient } from './engine-client.js'
import { sendJson } from './respond.js'
import { sendFile } from './send-file.js'

/** What a handler needs; built once per front-end. */
export interface RouteContext {
  config: Config
  engine: EngineClient
}

/** A handler answers the request and resolves the body bytes it sent. */
export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, ctx: RouteContext) => Promise<number>

/** Matches a request to its handler and a route name (for logs); null means 404. */
export function route (pathname: string, faultInjection: boolean): { name: string, handler: Handler, methods: string[] } | null {
  if (pathname === '/health') return { name: 'health', handler: health, methods: ['GET', 'HEAD'] }
  if (pathname === '/stream') return { name: 'stream-magnet', handler: streamMagnet, methods: ['GET', 'HEAD'] }
  if (pathname.startsWith('/stream/')) return { name: 'stream-file', handler: streamFile, methods: ['GET', 'HEAD'] }
  if (faultInjection && pathname.startsWith('/debug/crash-shard/')) return { name: 'debug-crash', handler: crashShard, methods: ['POST'] }
  return null
}

/** POST /debug/crash-shard/{n}: only with debug.fault_injection (tests); 404 otherwise. */
const crashShard: Handler = async (_req, res, url, { engine }) => {
  const shard = parseFileId(url.pathname.split('/')[3] ?? '')
  await engine.run({ type: 'crash', shard }).catch(() => {}) // the thread dies under the task
  sendJson(res, 202, { crashing: shard })
  return 0
}

/** GET /health: 200 when every shard answers, 503 otherwise. */
const health: Handler = async (_req, res, _url, { engine }) => {
  const report = await engine.health()
  sendJson(res, report.ready ? 200 : 503, { status: report.ready ? 'ok' : 'unavailable', ...report })
  return 0
}

/**
 * GET /stream?magnet=URI[&file=N]: adds the torrent if needed, waits for its metadata, and
 * streams file N or else the largest video file (the largest file when there is no video).
 */
const streamMagnet: Handler = async (req, res, url, { engine, config }) => {
  const magnetParam = url.searchParams.get('magnet')
  if (magnetParam === null || magnetParam === '') throw new TodError('TOD_ERR_BAD_QUERY', 'the "magnet" query parameter is required')
  const { infoHash, magnet } = parseMagnet(magnetParam)
  const fileParam = url.searchParams.get('file')
  const wanted = fileParam === null ? null : parseFileId(fileParam)
  const torrent = await engine.run({ type: 'add', infoHash, magnet })
  const file = wanted === null ? pickDefaultFile(torrent) : torrent.files[wanted]
  if (file === undefined) throw new TodError(wanted === null ? 'TOD_ERR_NO_PLAYABLE_FILE' : 'TOD_ERR_UNKNOWN_FILE')
  return await sendFile(req, res, engine, { infoHash, file, bufferSize: config.streaming.buffer_size })
}

/** GET|HEAD /stream/{infoHash}/{fileID}[/{name}]: the file, with ranges; the name is ignored. */
const streamFile: Handler = async (req, res, url, { engine, config }) => {
  const [, , ihPart, idPart] = url.pathname.split('/')
  if (ihPart === undefined || idPart === undefined) throw new TodError('TOD_ERR_NOT_FOUND', 'use /stream/{infoHash}/{fileId}')
  const infoHash = normalizeInfoHash(ihPart)
  const fileId = parseFileId(idPart)
  const { file } = await engine.run({ type: 'file', infoHash, fileId })
  return await sendFile(req, res, engine, { infoHash, file, bufferSize: config.streaming.buffer_size })
}

/** File ids are small non-negative integers in canonical form. */
export function parseFileId (s: string): number {
  if (!/^(0|[1-9][0-9]{0,8})$/.test(s)) throw new TodError('TOD_ERR_BAD_FILE_ID')
  return Number(s)
}

/** The largest video file, or the largest file when the torrent has no video. */
export function pickDefaultFile (torrent: TorrentInfo): FileInfo | undefined {
  const largest = (files: FileInfo[]): FileInfo | undefined =>
    files.reduce<FileInfo | undefined>((best, f) => best === undefined || f.size > best.size ? f : best, undefined)
  return largest(torrent.files.filter((f) => f.mime.startsWith('video/'))) ?? largest(torrent.files)
}
