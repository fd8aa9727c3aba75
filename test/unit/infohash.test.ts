import t from 'tap'
import { normalizeInfoHash, shardOf } from '../../src/infohash.js'

t.test('hex info-hashes are lower-cased', async (t) => {
  t.equal(normalizeInfoHash('2A7342B09AE2EFD18290E989CFA7142DCC8EDFE5'), '2a7342b09ae2efd18290e989cfa7142dcc8edfe5')
})

t.test('base32 info-hashes become hex', async (t) => {
  // 20 zero bytes in base32 are 32 'A's; 0x01... checks bit order
  t.equal(normalizeInfoHash('A'.repeat(32)), '0'.repeat(40))
  t.equal(normalizeInfoHash('FJZUFME24LX5DAUQ5GE47JYUFXGI5X7F'), '2a7342b09ae2efd18290e989cfa7142dcc8edfe5')
  t.equal(normalizeInfoHash('fjzufme24lx5dauq5ge47jyufxgi5x7f'), '2a7342b09ae2efd18290e989cfa7142dcc8edfe5', 'case-insensitive')
})

t.test('anything else is TOD_ERR_BAD_INFOHASH', async (t) => {
  for (const bad of ['', 'abc', 'g'.repeat(40), '0'.repeat(39), '0'.repeat(41), '1'.repeat(32), '../../etc/passwd']) {
    t.throws(() => normalizeInfoHash(bad), { name: 'TodError', code: 'TOD_ERR_BAD_INFOHASH' }, JSON.stringify(bad))
  }
})

t.test('shard routing is FNV-1a over the 20 bytes, stable and in range', async (t) => {
  // FNV-1a 32 of 20 zero bytes, computed independently: offset basis xor 0 then * prime, 20 times
  let h = 0x811c9dc5
  for (let i = 0; i < 20; i++) h = Math.imul(h, 0x01000193) >>> 0
  t.equal(shardOf('0'.repeat(40), 1 << 30), h % (1 << 30))
  const counts = [0, 0, 0, 0]
  for (let i = 0; i < 4000; i++) {
    const ih = i.toString(16).padStart(40, '0')
    const s = shardOf(ih, 4)
    counts[s] = (counts[s] ?? 0) + 1
  }
  t.equal(counts.reduce((a, b) => (a ?? 0) + (b ?? 0), 0), 4000, 'every hash lands in 0..3')
  for (const c of counts) t.ok(c > 800 && c < 1200, `spread evenly: ${counts.join(',')}`)
  t.equal(shardOf('2a7342b09ae2efd18290e989cfa7142dcc8edfe5', 1), 0, 'one shard owns everything')
})
