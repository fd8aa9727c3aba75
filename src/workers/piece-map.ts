import type { Torrent } from 'webtorrent'
import { TodError } from '../errors.js'
import type { PiecesResult } from '../protocol.js'

/**
 * The piece map of file `fileId` of `torrent` (the web page draws it): its verified pieces as
 * a base64 bitfield, and the span of the stream windows `windows` that touch the file, clipped
 * to it. Cheap: one pass over the file's pieces.
 */
export function pieceMap (torrent: Torrent, fileId: number, windows: ReadonlyArray<[number, number]>): PiecesResult {
  const file = torrent.files[fileId]
  if (file === undefined) throw new TodError('TOD_ERR_UNKNOWN_FILE')
  const first = file._startPiece
  const count = file.length === 0 ? 0 : file._endPiece - first + 1
  const bits = Buffer.alloc(Math.ceil(count / 8))
  for (let i = 0; i < count; i++) {
    if (torrent.bitfield.get(first + i)) bits[i >> 3] = (bits[i >> 3] ?? 0) | (0x80 >> (i & 7))
  }
  let window: [number, number] | null = null
  for (const [from, to] of windows) {
    const lo = Math.max(from, first)
    const hi = Math.min(to, first + count - 1)
    if (lo > hi) continue
    window = window === null ? [lo, hi] : [Math.min(window[0], lo), Math.max(window[1], hi)]
  }
  return { pieceLength: torrent.pieceLength, first, count, verified: bits.toString('base64'), window }
}
