import t from 'tap'
import { allocate, BandwidthBalancer } from '../../../src/daemon/bandwidth.js'

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)

t.test('shares always add up to the cap', async (t) => {
  const cases: Array<[number[], number[]]> = [[[500, 500], [0, 0]], [[500, 500], [500, 0]], [[25, 975], [25, 975]], [[333, 333, 334], [10, 333, 0]]]
  for (const [shares, used] of cases) t.equal(sum(allocate(1000, shares, used)), 1000, `${JSON.stringify(shares)} ${JSON.stringify(used)}`)
})

t.test('one busy shard gets nearly all of the cap within a tick or two', async (t) => {
  let shares = [500, 500]
  shares = allocate(1000, shares, [500, 0])
  t.ok((shares[0] as number) >= 950, `busy shard: ${shares[0]}`)
  t.ok((shares[1] as number) >= 1, 'the idle one keeps a floor to ramp up from')
})

t.test('two busy shards split evenly; a light one keeps what it uses plus headroom', async (t) => {
  t.same(allocate(1000, [975, 25], [975, 25]), [500, 500])
  const s = allocate(1000, [500, 500], [500, 100])
  t.equal(s[1], 125)
  t.equal(s[0], 875)
})

t.test('the balancer reads counters and applies shares to every shard', async (t) => {
  const applied: Array<Array<[number, number]>> = [[], []]
  const moved = [0, 0]
  const shard = (i: number) => ({
    throttle: async (d: number, u: number) => { applied[i]?.push([d, u]); return { downloaded: moved[i] as number, uploaded: 0 } }
  })
  const b = new BandwidthBalancer([shard(0), shard(1)], { download: 1000, upload: 0 })
  b.start()
  await new Promise((resolve) => setTimeout(resolve, 1100))
  moved[0] = 500 // shard 0 used its whole share in the next second
  await new Promise((resolve) => setTimeout(resolve, 1000))
  b.stop()
  const last = applied[0]?.at(-1)
  t.ok(last !== undefined && last[0] >= 950, `shard 0 was given ${JSON.stringify(last)}`)
  t.equal(applied[1]?.at(-1)?.[1], -1, 'no upload cap means unlimited')
})
