import t from 'tap'
import { TorrentLedger } from '../../../src/daemon/torrent-ledger.js'

const ih = (n: number): string => n.toString(16).padStart(40, '0')
const tooMany = { code: 'TOD_ERR_TOO_MANY_TORRENTS' }

t.test('per-client cap, pending adds included', async (t) => {
  const l = new TorrentLedger({ total: 0, perClient: 2 })
  t.equal(l.reserve(ih(1), 'a'), true)
  t.equal(l.reserve(ih(2), 'a'), true)
  t.throws(() => l.reserve(ih(3), 'a'), tooMany, 'two pending adds fill the cap')
  t.equal(l.reserve(ih(3), 'b'), true, 'another client is not affected')
  l.settle(ih(1), false) // that add failed
  t.equal(l.reserve(ih(4), 'a'), true, 'a failed add frees its place')
  t.equal(l.reserve(ih(4), 'b'), false, 'a torrent being added needs no second place')
})

t.test('total cap, delete and sync', async (t) => {
  const l = new TorrentLedger({ total: 2, perClient: 0 })
  l.sync([ih(1)])
  l.reserve(ih(2), 'a')
  l.settle(ih(2), true)
  t.equal(l.size, 2)
  t.throws(() => l.reserve(ih(3), 'a'), tooMany)
  t.equal(l.reserve(ih(1), 'a'), false, 'a known torrent is not a new one')
  l.forget(ih(1))
  t.equal(l.reserve(ih(3), 'a'), true)
  l.settle(ih(3), true)
  l.sync([ih(3)]) // the shard dropped ih(2) on its own
  t.equal(l.size, 1)
  t.equal(l.has(ih(2)), false)
})

t.test('429 carries Retry-After', async (t) => {
  const l = new TorrentLedger({ total: 1, perClient: 0 })
  l.note(ih(1))
  t.throws(() => l.reserve(ih(2), 'a'), { ...tooMany, headers: { 'Retry-After': '60' } })
})
