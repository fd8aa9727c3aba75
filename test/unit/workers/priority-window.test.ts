import t from 'tap'
import type { Torrent } from 'webtorrent'
import { PriorityWindow } from '../../../src/workers/priority-window.js'

/** A stand-in for the two WebTorrent calls the windows make, recording the selected ranges. */
function fakeTorrent (): { torrent: Torrent, selected: () => Array<[number, number]> } {
  const ranges: Array<[number, number]> = []
  const torrent = {
    destroyed: false,
    _select: (from: number, to: number) => { ranges.push([from, to]) },
    _deselect: (from: number, to: number) => {
      const i = ranges.findIndex(([a, b]) => a === from && b === to)
      if (i >= 0) ranges.splice(i, 1)
    }
  } as unknown as Torrent
  return { torrent, selected: () => [...ranges] }
}

t.test('a new stream starts with two pieces and doubles as the reader continues', async (t) => {
  const { torrent, selected } = fakeTorrent()
  const w = new PriorityWindow()
  w.move(torrent, 10, 41)
  t.same(selected(), [[10, 11]], 'slow start: the two critical pieces only')
  w.move(torrent, 11, 42)
  t.same(selected(), [[11, 14]], 'continued: twice as wide')
  w.move(torrent, 13, 44)
  t.same(selected(), [[13, 20]])
  w.move(torrent, 15, 46)
  w.move(torrent, 17, 48)
  t.same(selected(), [[17, 48]], 'capped at the readahead')
})

t.test('a seek starts small again', async (t) => {
  const { torrent, selected } = fakeTorrent()
  const w = new PriorityWindow()
  w.move(torrent, 0, 31)
  w.move(torrent, 1, 32)
  w.move(torrent, 200, 231)
  t.same(selected(), [[200, 201]])
  w.move(torrent, 100, 131)
  t.same(selected(), [[100, 101]], 'backwards too')
})

t.test('windows are independent and release drops the selection', async (t) => {
  const { torrent, selected } = fakeTorrent()
  const a = new PriorityWindow()
  const b = new PriorityWindow()
  a.move(torrent, 0, 31)
  b.move(torrent, 50, 81)
  t.same(selected(), [[0, 1], [50, 51]])
  t.ok(a.release())
  t.same(selected(), [[50, 51]])
  t.notOk(a.release(), 'twice is a no-op')
})

t.test('the last pieces of a file cap the window', async (t) => {
  const { torrent, selected } = fakeTorrent()
  const w = new PriorityWindow()
  w.move(torrent, 99, 99)
  t.same(selected(), [[99, 99]])
})
