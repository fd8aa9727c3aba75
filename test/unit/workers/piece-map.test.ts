import t from 'tap'
import type { Torrent } from 'webtorrent'
import { pieceMap } from '../../../src/workers/piece-map.js'

/** The parts of a WebTorrent torrent the piece map reads: files' piece spans and the bitfield. */
function fakeTorrent (have: number[]): Torrent {
  const got = new Set(have)
  return {
    pieceLength: 100,
    bitfield: { get: (i: number) => got.has(i) },
    files: [
      { length: 250, _startPiece: 0, _endPiece: 2 },
      { length: 1000, _startPiece: 2, _endPiece: 12 },
      { length: 0, _startPiece: 12, _endPiece: 12 }
    ]
  } as unknown as Torrent
}

t.test("a file's verified pieces, most significant bit first, from its first piece", async (t) => {
  const map = pieceMap(fakeTorrent([2, 3, 10, 12]), 1, [])
  t.same({ ...map, verified: undefined }, { pieceLength: 100, first: 2, count: 11, verified: undefined, window: null })
  // Pieces 2, 3 (bits 0, 1), 10 (bit 8) and 12 (bit 10) of the file's 11.
  t.same([...Buffer.from(map.verified, 'base64')], [0b11000000, 0b10100000])
})

t.test('the windows touching the file, merged and clipped to it', async (t) => {
  const torrent = fakeTorrent([])
  t.same(pieceMap(torrent, 1, [[0, 1], [20, 30]]).window, null, 'windows elsewhere')
  t.same(pieceMap(torrent, 1, [[0, 4], [9, 30]]).window, [2, 12])
  t.same(pieceMap(torrent, 0, [[1, 1]]).window, [1, 1])
})

t.test('an empty file has no pieces; an unknown file is a 404', async (t) => {
  t.same(pieceMap(fakeTorrent([]), 2, []), { pieceLength: 100, first: 12, count: 0, verified: '', window: null })
  t.throws(() => pieceMap(fakeTorrent([]), 3, []), { code: 'TOD_ERR_UNKNOWN_FILE' })
})
