// Restart: torrents come back from the state folder with no swarm, and what was downloaded
// before is served again without downloading it twice.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { startDaemon } from '../helpers/daemon.js'
import { makeRandomFile } from '../helpers/media.js'
import { startSeeder } from '../helpers/seeder.js'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-persist-'))
const dir = path.join(work, 'data')
const file = await makeRandomFile(work, 'film.bin', 8 * 1024 * 1024)
const bytes = fs.readFileSync(file)
const seeder = await startSeeder(file, { pieceLength: 128 * 1024 })
t.teardown(async () => {
  await seeder.stop()
  fs.rmSync(work, { recursive: true, force: true })
})
const ih = seeder.infoHash
const RANGE = [1_000_000, 2_999_999] as const

t.test('restart with the seeder gone: the document within 1 s, downloaded ranges identical', async (t) => {
  const first = await startDaemon({ dir })
  const res = await fetch(`${first.base}/stream?magnet=${encodeURIComponent(seeder.magnet)}`, { headers: { Range: `bytes=${RANGE[0]}-${RANGE[1]}` } })
  t.ok(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(RANGE[0], RANGE[1] + 1)), 'first run reads the range')
  t.equal(await first.stop(), 0, 'clean stop (bitfields persisted)')
  await seeder.stop()

  const second = await startDaemon({ dir })
  t.teardown(async () => { await second.stop() })
  const t0 = performance.now()
  const docRes = await fetch(`${second.base}/torrent/${ih}`)
  const ms = performance.now() - t0
  t.equal(docRes.status, 200)
  const doc = await docRes.json() as { peers: number, files: Array<{ progress: number }>, downloaded: number }
  t.ok(ms < 1000, `document in ${ms.toFixed(0)} ms`)
  t.equal(doc.peers, 0, 'no peer available')
  t.ok(doc.downloaded >= RANGE[1] - RANGE[0] + 1, `bitfield restored: ${doc.downloaded} bytes verified`)
  const again = await fetch(`${second.base}/stream/${ih}/0`, { headers: { Range: `bytes=${RANGE[0]}-${RANGE[1]}` } })
  t.equal(again.status, 206)
  t.ok(Buffer.from(await again.arrayBuffer()).equals(bytes.subarray(RANGE[0], RANGE[1] + 1)), 'same bytes with no peer at all')
  t.ok(second.logs.some((l) => l.message === 'torrent resumed' && l.infoHash === ih), 'resumed from the state folder')
  t.notOk(second.logs.some((l) => l.message === 'torrent metadata'), 'metadata was not fetched again')
})

t.test('an idle torrent stops its network and resumes on the next request', async (t) => {
  const live = await startSeeder(file, { pieceLength: 128 * 1024 })
  t.teardown(async () => { await live.stop() })
  const d = await startDaemon({ env: { TOD_P2M_TORRENT_IDLE_TIMEOUT: '1' } })
  t.teardown(async () => { await d.stop() })
  const first = await fetch(`${d.base}/stream?magnet=${encodeURIComponent(live.magnet)}`, { headers: { Range: 'bytes=0-99999' } })
  t.ok(Buffer.from(await first.arrayBuffer()).equals(bytes.subarray(0, 100000)))
  await d.waitForLog((l) => l.message === 'torrent idle' && l.infoHash === ih, 10_000)
  const list = await (await fetch(`${d.base}/torrents`)).json() as { torrents: Array<{ infoHash: string, state: string }> }
  t.equal(list.torrents.find((x) => x.infoHash === ih)?.state, 'idle', 'listed as idle: no peers, no sockets')
  for (let i = 0; i < 50 && live.torrent.numPeers > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(live.torrent.numPeers, 0, 'the seeder sees no connection from us')
  const again = await fetch(`${d.base}/stream/${ih}/0`, { headers: { Range: 'bytes=5000000-5099999' } })
  t.equal(again.status, 206)
  t.ok(Buffer.from(await again.arrayBuffer()).equals(bytes.subarray(5000000, 5100000)), 'resumed, and fetched new pieces from the swarm')
  t.ok(d.logs.some((l) => l.message === 'torrent resumed' && l.infoHash === ih))
})
