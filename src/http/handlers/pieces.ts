import { sendJson } from '../respond.js'
import type { Handler } from '../routes.js'

/** GET /torrent/{infoHash}/pieces/{fileId}: the file's piece map (verified, in a stream window). */
export const pieces: Handler<{ infoHash: string, fileId: number }> = async ({ res, params: { infoHash, fileId }, ctx: { engine } }) => {
  sendJson(res, 200, await engine.run({ type: 'pieces', infoHash, fileId }))
}
