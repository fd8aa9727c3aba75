import t from 'tap'
import { planEvictions } from '../../../src/daemon/reaper.js'
import type { TorrentUsage } from '../../../src/protocol.js'

const MB = 1024 * 1024
const u = (infoHash: string, bytes: number, lastAccess: number, streams = 0): TorrentUsage => ({ infoHash, bytes, lastAccess, streams })

t.test('within limits: nothing is evicted', async (t) => {
  t.same(planEvictions([u('a', MB, 1), u('b', MB, 2)], { maxTorrents: 10, maxBytes: 10 * MB }), [])
  t.same(planEvictions([], { maxTorrents: 0, maxBytes: 0 }), [])
})

t.test('over the quota: least recently streamed first, until under', async (t) => {
  const all = [u('new', 4 * MB, 30), u('old', 4 * MB, 10), u('mid', 4 * MB, 20)]
  t.same(planEvictions(all, { maxTorrents: 10, maxBytes: 6 * MB }), ['old', 'mid'])
  t.same(planEvictions(all, { maxTorrents: 10, maxBytes: 8 * MB }), ['old'])
})

t.test('a torrent with an open stream is never evicted, however old', async (t) => {
  const all = [u('watched', 100 * MB, 1, 1), u('idle', MB, 50)]
  t.same(planEvictions(all, { maxTorrents: 10, maxBytes: 10 * MB }), ['idle'], 'the idle one goes; the watched stays over quota')
  t.same(planEvictions([u('watched', 100 * MB, 1, 2)], { maxTorrents: 0, maxBytes: 0 }), [])
})

t.test('torrent count (cache_size) is enforced too', async (t) => {
  const all = [u('a', 0, 1), u('b', 0, 2), u('c', 0, 3)]
  t.same(planEvictions(all, { maxTorrents: 1, maxBytes: -1 }), ['a', 'b'])
})

t.test('quota 0 clears every idle torrent (the original rsd behaviour); -1 is unlimited', async (t) => {
  const all = [u('a', MB, 1), u('b', 0, 2), u('c', MB, 3, 1)]
  t.same(planEvictions(all, { maxTorrents: 100, maxBytes: 0 }), ['a', 'b'], 'every idle one, the streamed one stays')
  t.same(planEvictions(all, { maxTorrents: 100, maxBytes: -1 }), [])
})
