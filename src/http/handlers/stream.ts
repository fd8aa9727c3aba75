import { TodError } from '../../errors.js'
import { parseMagnet } from '../../magnet.js'
import type { FileInfo, TorrentInfo } from '../../protocol.js'
import type { Handler } from '../routes.js'
import { clientOf } from '../guard.js'
import { isDocument, isImage } from '../file-kind.js'
import { splitMagnetQuery } from '../raw-magnet.js'
import { parseFileId } from '../route-match.js'
import { sendFile } from '../send-file.js'

/**
 * GET /stream?magnet=URI[&file=N]: adds the torrent if needed, waits for its metadata, and
 * streams file N or else the largest video file (the largest file when there is no video).
 */
export const streamMagnet: Handler = async ({ req, res, url, ctx: { engine, config, files }, route }) => {
  const { magnet: magnetParam, params } = splitMagnetQuery(url.search, route.query)
  if (magnetParam === null || magnetParam === '') throw new TodError('TOD_ERR_BAD_QUERY', { reason: 'the "magnet" query parameter is required' })
  const { infoHash, magnet } = parseMagnet(magnetParam)
  const fileParam = params.get('file')
  const wanted = fileParam === null ? null : parseFileId(fileParam)
  const { torrent } = await engine.run({ type: 'add', infoHash, magnet, wait: true }, clientOf(req, config))
  if (torrent === null) throw new TodError('TOD_ERR_METADATA_TIMEOUT')
  files.putTorrent(torrent)
  const file = wanted === null ? pickDefaultFile(torrent) : torrent.files[wanted]
  if (file === undefined) throw new TodError(wanted === null ? 'TOD_ERR_NO_PLAYABLE_FILE' : 'TOD_ERR_UNKNOWN_FILE')
  await sendFile(req, res, engine, { infoHash, file, bufferSize: config.streaming.buffer_size, sendfile: config.streaming.sendfile, writeIdleMs: config.server.write_idle_timeout_ms })
}

/**
 * GET|HEAD /{stream|document|image}/{infoHash}/{fileID}[/{name}]: the file, with ranges; the
 * trailing name is ignored. /document and /image answer 415 for files not of their kind.
 */
export function serveFile (kind: 'any' | 'document' | 'image'): Handler<{ infoHash: string, fileId: number }> {
  return async ({ req, res, params: { infoHash, fileId }, ctx: { engine, config, files } }) => {
    const describe = async (): Promise<FileInfo> => (await engine.run({ type: 'file', infoHash, fileId })).file
    const cached = files.get(infoHash, fileId)
    const file = cached ?? await describe()
    if (cached === undefined) files.put(infoHash, file)
    const misfit = kind === 'image' && !isImage(file) ? 'an image' : kind === 'document' && !isDocument(file) ? 'a document' : null
    if (misfit !== null) {
      if (cached !== undefined) await describe() // a deleted torrent is a 404, not a 415
      throw new TodError('TOD_ERR_UNSUPPORTED_MEDIA', { name: file.name, kind: misfit, mime: file.mime })
    }
    await sendFile(req, res, engine, {
      infoHash,
      file,
      bufferSize: config.streaming.buffer_size,
      sendfile: config.streaming.sendfile,
      writeIdleMs: config.server.write_idle_timeout_ms,
      // A remembered file still needs its torrent to be here when no read will check it.
      ...(cached !== undefined ? { confirm: async () => { await describe() } } : {})
    })
  }
}

/** The largest video file, or the largest file when the torrent has no video. */
export function pickDefaultFile (torrent: TorrentInfo): FileInfo | undefined {
  const largest = (files: FileInfo[]): FileInfo | undefined =>
    files.reduce<FileInfo | undefined>((best, f) => best === undefined || f.size > best.size ? f : best, undefined)
  return largest(torrent.files.filter((f) => f.mime.startsWith('video/'))) ?? largest(torrent.files)
}
