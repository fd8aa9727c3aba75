import t from 'tap'
import type { Torrent, TorrentFile } from 'webtorrent'
import { Stream } from '../../../src/workers/stream.js'
import { Streams } from '../../../src/workers/streams.js'

const PIECE = 100

/** A stand-in for the parts of a WebTorrent torrent a stream uses: a bitfield, selections, critical. */
function fakeTorrent (pieces: number): { torrent: Torrent, file: TorrentFile, verify: (i: number) => void, selected: Array<[number, number]> } {
  const have = new Set<number>()
  const selected: Array<[number, number]> = []
  const torrent = {
    destroyed: false,
    pieceLength: PIECE,
    bitfield: { get: (i: number) => have.has(i), buffer: new Uint8Array() },
    critical: () => {},
    _select: (from: number, to: number) => { selected.push([from, to]) },
    _deselect: (from: number, to: number) => {
      const i = selected.findIndex(([a, b]) => a === from && b === to)
      if (i >= 0) selected.splice(i, 1)
    }
  } as unknown as Torrent
  const file = { offset: 0, length: pieces * PIECE, _startPiece: 0, _endPiece: pieces - 1 } as unknown as TorrentFile
  return { torrent, file, verify: (i) => { have.add(i) }, selected }
}

const limits = { readaheadBytes: 8 * PIECE, readTimeoutMs: 5000 }

t.test('a read waits for its piece and wakes when it is verified', async (t) => {
  const { torrent, file, verify } = fakeTorrent(10)
  const streams = new Streams()
  const pending = streams.open('s').read({ torrent, file, diskPath: '/x' }, 250, limits)
  t.ok(streams.open('s').waiting, 'waiting for piece 2')
  verify(2)
  verify(3)
  streams.pieceVerified(torrent, 3)
  t.ok(streams.open('s').waiting, 'another piece does not wake it')
  streams.pieceVerified(torrent, 2)
  t.same(await pending, { diskPath: '/x', size: 1000, available: 150 }, 'bytes 250..399 are there')
  t.notOk(streams.open('s').waiting)
})

t.test('release cancels the waiting read, which answers 0 bytes, and drops the window', async (t) => {
  const { torrent, file, selected } = fakeTorrent(10)
  const streams = new Streams()
  const pending = streams.open('s').read({ torrent, file, diskPath: '/x' }, 0, limits)
  t.same(selected, [[0, 1]])
  t.equal(streams.count(torrent), 1)
  t.ok(streams.release('s'))
  t.equal((await pending).available, 0)
  t.same(selected, [], 'window deselected')
  t.equal(streams.count(), 0)
  t.notOk(streams.release('s'), 'twice is a no-op')
})

t.test('a read times out as TOD_ERR_STALLED', async (t) => {
  const { torrent, file } = fakeTorrent(10)
  const stream = new Stream('s')
  await t.rejects(stream.read({ torrent, file, diskPath: '/x' }, 0, { ...limits, readTimeoutMs: 20 }), { code: 'TOD_ERR_STALLED' })
  t.notOk(stream.waiting, 'the timed-out read is forgotten')
})

t.test('a torrent going away fails its streams\' reads', async (t) => {
  const a = fakeTorrent(10)
  const b = fakeTorrent(10)
  const streams = new Streams()
  const onA = streams.open('a').read({ torrent: a.torrent, file: a.file, diskPath: '/a' }, 0, limits)
  const onB = streams.open('b').read({ torrent: b.torrent, file: b.file, diskPath: '/b' }, 0, limits)
  streams.torrentGone(a.torrent, new Error('gone'))
  await t.rejects(onA, { message: 'gone' })
  t.equal(streams.count(), 1, 'the other torrent\'s stream stays')
  b.verify(0)
  streams.pieceVerified(b.torrent, 0)
  t.equal((await onB).available, 100)
})

t.test('idle streams are swept; waiting or recent ones are not', async (t) => {
  const { torrent, file, verify, selected } = fakeTorrent(10)
  verify(0)
  const streams = new Streams()
  const t0 = Date.now()
  await streams.open('idle').read({ torrent, file, diskPath: '/x' }, 0, limits, t0 - 200_000)
  const waiting = streams.open('waiting').read({ torrent, file, diskPath: '/x' }, 500, limits, t0 - 200_000)
  await streams.open('recent').read({ torrent, file, diskPath: '/x' }, 0, limits, t0)
  t.same(streams.sweep(120_000, t0), ['idle'])
  t.equal(streams.count(torrent), 2)
  t.same(selected.filter(([a]) => a === 0).length, 1, 'the idle stream\'s window is deselected')
  streams.release('waiting')
  t.equal((await waiting).available, 0)
})
