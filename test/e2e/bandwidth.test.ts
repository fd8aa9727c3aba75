// torrent.download_rate_limit is one cap for the whole daemon, not per shard thread: with one
// busy torrent (one shard of two busy) and with two busy torrents on different shards, the
// measured download rate stays within 15% of the cap.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { shardOf } from '../../src/infohash.js'
import { startDaemon } from '../helpers/daemon.js'
import { makeRandomFile, sha256, sha256File } from '../helpers/media.js'
import { startSeeder } from '../helpers/seeder.js'
import type { Seeder } from '../helpers/seeder.js'

const CAP = 2 * 1024 * 1024
const SIZE = 14 * 1024 * 1024

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-bandwidth-'))
// Three torrents: two on shard 1, one on shard 0 (contents are random: make more until so).
const seeders: Seeder[] = []
const byShard = (shard: number): Seeder[] => seeders.filter((x) => shardOf(x.infoHash, 2) === shard)
for (let i = 0; seeders.length < 3 && i < 40; i++) {
  const file = await makeRandomFile(work, `f${i}.bin`, SIZE)
  const seeder = await startSeeder(file, { pieceLength: 256 * 1024 })
  const shard = shardOf(seeder.infoHash, 2)
  if (byShard(shard).length < (shard === 1 ? 2 : 1)) seeders.push(seeder)
  else await seeder.stop()
}
const daemon = await startDaemon({ workers: 2, shards: 2, env: { TOD_P2M_TORRENT_DOWNLOAD_RATE_LIMIT: String(CAP) } })
t.teardown(async () => {
  await daemon.stop()
  await Promise.all(seeders.map(async (s) => await s.stop()))
  fs.rmSync(work, { recursive: true, force: true })
})

/** Reads a whole torrent through the daemon; resolves the bytes' hash. */
async function read (s: Seeder): Promise<string> {
  const res = await fetch(`${daemon.base}/stream?magnet=${encodeURIComponent(s.magnet)}`)
  return sha256(new Uint8Array(await res.arrayBuffer()))
}

const within = (rate: number): boolean => Math.abs(rate - CAP) / CAP <= 0.15
const mib = (r: number): string => `${(r / 1048576).toFixed(2)} MiB/s`

t.test('one busy torrent gets the whole cap, not its shard\'s half', async (t) => {
  const s = byShard(1)[0] as Seeder
  const t0 = performance.now()
  const hash = await read(s)
  const rate = SIZE / ((performance.now() - t0) / 1000)
  t.equal(hash, await sha256File(path.join(work, s.name)), 'bytes intact')
  t.ok(within(rate), `${mib(rate)} against a cap of ${mib(CAP)}`)
})

t.test('two busy torrents on two shards share the cap', async (t) => {
  const pair = [byShard(1)[1], byShard(0)[0]] as Seeder[]
  const t0 = performance.now()
  const hashes = await Promise.all(pair.map(read))
  const rate = (2 * SIZE) / ((performance.now() - t0) / 1000)
  t.same(hashes, await Promise.all(pair.map(async (s) => await sha256File(path.join(work, s.name)))), 'bytes intact')
  t.ok(within(rate), `${mib(rate)} in all against a cap of ${mib(CAP)}`)
})
