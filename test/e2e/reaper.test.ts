// The disk quota: three torrents streamed through a quota smaller than two of them. Idle
// torrents are evicted least recently streamed first; one being streamed never is, and keeps
// reading correct bytes while reaps run.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { waitFor } from '../helpers/async.js'
import { startDaemon } from '../helpers/daemon.js'
import type { Daemon } from '../helpers/daemon.js'
import { makeRandomFile } from '../helpers/media.js'
import { startSeeder } from '../helpers/seeder.js'
import type { Seeder } from '../helpers/seeder.js'

const MB = 1024 * 1024
const SIZE = 4 * MB
const QUOTA = 6 * MB // less than two torrents
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-reap-'))
const seeders: Seeder[] = []
for (const name of ['a', 'b']) seeders.push(await startSeeder(await makeRandomFile(work, `${name}.bin`, SIZE), { pieceLength: 64 * 1024 }))
// C is slow, so its stream is open across several reaper passes.
seeders.push(await startSeeder(await makeRandomFile(work, 'c.bin', SIZE), { pieceLength: 64 * 1024, uploadLimit: 1 * MB }))
const [A, B, C] = seeders as [Seeder, Seeder, Seeder]
t.teardown(async () => {
  for (const s of seeders) await s.stop()
  fs.rmSync(work, { recursive: true, force: true })
})

/** Allocated bytes of torrent data under the data folder (the state folder excluded). */
function dataBytes (dir: string): number {
  let total = 0
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath, e.name)
    if (e.isFile() && !p.includes(`${path.sep}.tod-p2m-state`)) total += fs.statSync(p).blocks * 512
  }
  return total
}
const source = (s: Seeder): Buffer => fs.readFileSync(path.join(work, s.files[0]!.name))
async function streamAll (d: Daemon, s: Seeder): Promise<Buffer> {
  return Buffer.from(await (await fetch(`${d.base}/stream?magnet=${encodeURIComponent(s.magnet)}`)).arrayBuffer())
}

t.test('three torrents through a quota smaller than two', async (t) => {
  const d = await startDaemon({ env: { TOD_P2M_TORRENT_MAX_DISK_USAGE: String(QUOTA), TOD_P2M_TORRENT_CLEANUP_INTERVAL: '1' } })
  t.teardown(async () => { await d.stop() })
  const present = (s: Seeder): boolean => fs.existsSync(path.join(d.dir, s.infoHash))

  t.ok((await streamAll(d, A)).equals(source(A)), 'A streamed')
  t.ok(dataBytes(d.dir) <= QUOTA, 'A alone is within the quota')
  t.ok((await streamAll(d, B)).equals(source(B)), 'B streamed')
  await waitFor(() => !present(A), { what: 'A evicted (least recently streamed)', timeoutMs: 15_000 })
  t.ok(present(B), 'B, streamed last, is kept')
  t.ok(dataBytes(d.dir) <= QUOTA, `within the quota after the reap: ${dataBytes(d.dir)} bytes`)

  // C: open a stream and read it slowly while reaper passes run every second.
  const res = await fetch(`${d.base}/stream?magnet=${encodeURIComponent(C.magnet)}`)
  const reader = res.body!.getReader()
  const chunks: Uint8Array[] = []
  let maxOver = 0
  for (let r = await reader.read(); r.done !== true; r = await reader.read()) {
    chunks.push(r.value)
    // Over the quota by no more than the torrent being streamed.
    maxOver = Math.max(maxOver, dataBytes(d.dir) - QUOTA - (present(C) ? SIZE : 0))
  }
  t.ok(Buffer.concat(chunks).equals(source(C)), 'C read correct bytes while reaps ran')
  t.ok(maxOver <= 0, `never over the quota by more than the streamed torrent (worst ${maxOver} bytes)`)
  t.ok(d.logs.some((l) => l.message === 'reaper evicted'), 'the reaper ran and evicted')
  await waitFor(() => !present(B), { what: 'B evicted once C pushed the total over', timeoutMs: 15_000 })
  t.ok(present(C), 'the streamed torrent was never evicted')
  await waitFor(() => dataBytes(d.dir) <= QUOTA, { what: 'within the quota once C is idle too', timeoutMs: 15_000 })
})

t.test('quota 0: every torrent not being streamed is cleared (the original rsd behaviour)', async (t) => {
  const d = await startDaemon({ env: { TOD_P2M_TORRENT_MAX_DISK_USAGE: '0', TOD_P2M_TORRENT_CLEANUP_INTERVAL: '1' } })
  t.teardown(async () => { await d.stop() })
  t.ok((await streamAll(d, A)).equals(source(A)))
  await waitFor(() => !fs.existsSync(path.join(d.dir, A.infoHash)), { what: 'the data folder emptied', timeoutMs: 15_000 })
  t.equal(dataBytes(d.dir), 0)
})

t.test('tod-p2m reap: one pass from the command line, refused while the daemon runs', async (t) => {
  const dir = fs.mkdtempSync(path.join(work, 'cli-'))
  const d = await startDaemon({ dir })
  await streamAll(d, A)
  const main = path.join(process.cwd(), 'dist/src/daemon/main.js')
  const env = { ...process.env, TOD_P2M_TORRENT_MAX_DISK_USAGE: '0', TOD_P2M_TORRENT_DHT: 'false' }
  const busy = await promisify(execFile)(process.execPath, [main, 'reap', '--dir', dir], { env }).then(() => 0, (e: { code: number }) => e.code)
  t.equal(busy, 1, 'refused beside a running daemon')
  t.equal(await d.stop(), 0)
  const { stdout } = await promisify(execFile)(process.execPath, [main, 'reap', '--dir', dir, '--shards', '2'], { env })
  const report = JSON.parse(stdout.trim().split('\n').pop()!) as { evicted: string[] }
  t.same(report.evicted, [A.infoHash])
  t.notOk(fs.existsSync(path.join(dir, A.infoHash)), 'data removed')
})
