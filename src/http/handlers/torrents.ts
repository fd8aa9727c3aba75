import { create as contentDisposition } from 'content-disposition'
import { TodError } from '../../errors.js'
import { parseTorrentFile } from '../../input/torrent-file.js'
import type { Config } from '../../config/config.js'
import { parseMagnet } from '../../magnet.js'
import { baseUrl } from '../base-url.js'
import { readBody } from '../body.js'
import { clientOf } from '../guard.js'
import { sendJson } from '../respond.js'
import type { Handler } from '../routes.js'
import { torrentDocument } from '../torrent-doc.js'

/**
 * POST /torrents: a magnet (JSON {"magnet"} or a text body), a bare info-hash (JSON
 * {"infoHash"} or text), or a .torrent (application/x-bittorrent). 201 with the torrent
 * document once the metadata is known, 200 when the torrent was already there, 202 with a
 * Location when the client asked not to wait (?wait=false or Prefer: respond-async).
 */
export const addTorrent: Handler = async ({ req, res, url, ctx: { engine, config, access, files } }) => {
  const body = await readBody(req, config.server.max_torrent_upload_bytes)
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  let source: { infoHash: string, magnet?: string, torrentFile?: string }
  if (type === 'application/x-bittorrent') {
    source = { infoHash: await torrentInfoHash(body, config.torrent), torrentFile: body.toString('base64') }
  } else if (type === 'application/json') {
    let json: unknown
    try {
      json = JSON.parse(body.toString('utf8'))
    } catch (err) {
      throw new TodError('TOD_ERR_BAD_BODY', { reason: 'it is not valid JSON' }, { cause: err })
    }
    const field = typeof json === 'object' && json !== null ? (json as { magnet?: unknown, infoHash?: unknown }) : {}
    const text = typeof field.magnet === 'string' ? field.magnet : typeof field.infoHash === 'string' ? field.infoHash : undefined
    if (text === undefined) throw new TodError('TOD_ERR_BAD_BODY', { reason: 'send {"magnet": "magnet:?..."} or {"infoHash": "..."}' })
    source = parseMagnet(text)
  } else if (type === '' || type === 'text/plain' || type === 'application/x-www-form-urlencoded') {
    // `curl --data-binary MAGNET` sends a raw magnet labelled as a form; an HTML form sends magnet=...
    const raw = body.toString('utf8').trim()
    const form = type === 'application/x-www-form-urlencoded' && !/^magnet:/i.test(raw) ? new URLSearchParams(raw).get('magnet') : null
    source = parseMagnet(form ?? raw)
  } else {
    throw new TodError('TOD_ERR_BAD_BODY', { reason: 'send it as application/json, text/plain or application/x-bittorrent' })
  }
  // Behind a balancer routing by info-hash the body's torrent may belong to another node: send
  // the client to /torrents?ih=HEX, which the balancer routes to the owner (who then adds it).
  if (config.server.hash_routing && url.searchParams.get('ih') !== source.infoHash) {
    const target = new URL(url.href)
    target.searchParams.set('ih', source.infoHash)
    res.writeHead(307, { Location: `${target.pathname}${target.search}`, 'Content-Length': 0, 'Cache-Control': 'no-store' }).end()
    return
  }
  const wait = url.searchParams.get('wait') !== 'false' && !/respond-async/i.test(String(req.headers.prefer ?? ''))
  const added = await engine.run({ type: 'add', ...source, wait }, clientOf(req, config))
  const location = `/torrent/${source.infoHash}`
  if (!wait && added.torrent === null) {
    sendJson(res, 202, { infoHash: source.infoHash, status: 'fetching metadata', location }, { Location: location })
    return
  }
  const status = await engine.run({ type: 'info', infoHash: source.infoHash })
  files.putTorrent(status)
  sendJson(res, added.created ? 201 : 200, torrentDocument(status, baseUrl(req, config.server.trust_proxy, config.server.public_url), (p) => access.query(p)), { Location: location })
}

/** GET /torrents: every torrent, most recently used first. */
export const listTorrents: Handler = async ({ req, res, ctx: { engine, config } }) => {
  const base = baseUrl(req, config.server.trust_proxy, config.server.public_url)
  const torrents = (await engine.list()).map((t) => ({ ...t, url: `${base}/torrent/${t.infoHash}` }))
  sendJson(res, 200, { torrents })
}

/** GET /torrent/{infoHash}: the torrent document. DELETE: stop it and remove its data (204). */
export const torrent: Handler<{ infoHash: string }> = async ({ req, res, params: { infoHash }, ctx: { engine, config, access, files, media } }) => {
  if (req.method === 'DELETE') {
    await engine.run({ type: 'delete', infoHash })
    res.writeHead(204).end()
    return
  }
  const status = await engine.run({ type: 'info', infoHash })
  files.putTorrent(status)
  sendJson(res, 200, torrentDocument(status, baseUrl(req, config.server.trust_proxy, config.server.public_url), (p) => access.query(p), (id) => media.probed(infoHash, id)))
}

/**
 * GET /playlist/{infoHash}.m3u: an extended M3U of the torrent's video and audio files.
 * A file's duration (#EXTINF, whole seconds) is given when this front-end has probed it already
 * (an HLS request did), else -1: the playlist never waits for a probe. A video's subtitles
 * (the files the torrent document lists under it) come in a `#EXTVLCOPT:input-slave=URL#URL`
 * line before the video's URL: VLC loads them as extra inputs (its `sub-file` option takes
 * local paths only). mpv reads no per-entry options from an M3U (mpv issue #16217); its users
 * pass a subtitle's URL with --sub-file.
 */
export const playlist: Handler<{ playlist: string }> = async ({ req, res, params: { playlist: infoHash }, ctx: { engine, config, access, media } }) => {
  const status = await engine.run({ type: 'info', infoHash })
  const doc = torrentDocument(status, baseUrl(req, config.server.trust_proxy, config.server.public_url), (p) => access.query(p))
  const lines = ['#EXTM3U', `#PLAYLIST:${oneLine(status.name)}`]
  for (const f of doc.files) {
    if (f.kind !== 'video' && f.kind !== 'audio') continue
    const duration = media.probed(infoHash, f.id)?.duration ?? 0
    lines.push(`#EXTINF:${duration > 0 ? Math.round(duration) : -1},${oneLine(f.name)}`)
    if (f.subtitles !== undefined && f.subtitles.length > 0) lines.push(`#EXTVLCOPT:input-slave=${f.subtitles.map((s) => s.url).join('#')}`)
    lines.push(f.streamUrl)
  }
  const text = lines.join('\n') + '\n'
  res.writeHead(200, {
    'Content-Type': 'audio/x-mpegurl; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Content-Disposition': contentDisposition(`${infoHash}.m3u`, { type: 'inline' })
  })
  res.end(req.method === 'HEAD' ? undefined : text)
}

/** Names come from strangers' torrents: no line breaks into the playlist. */
function oneLine (s: string): string {
  return s.replace(/[\r\n]+/g, ' ')
}

/**
 * The info-hash of an uploaded .torrent, read with the one .torrent parser (src/input): file
 * count, path bytes, whole paths and sizes are checked there, so a hostile upload is a 400
 * before any engine work.
 */
async function torrentInfoHash (body: Buffer, torrent: TorrentLimits): Promise<string> {
  const parsed = await parseTorrentFile(body, { maxFiles: torrent.max_files, maxPathBytes: torrent.max_path_bytes, dataDir: torrent.dir })
  return parsed.infoHash
}

type TorrentLimits = Pick<Config['torrent'], 'max_files' | 'max_path_bytes' | 'dir'>
