// Against a different BitTorrent implementation: qBittorrent (libtorrent) from Debian's
// qbittorrent-nox seeds an ffmpeg-made video; tod-p2m streams it by magnet.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { startDaemon } from '../helpers/daemon.js'
import { makeVideo, sha256, sha256File } from '../helpers/media.js'
import { startQbittorrentSeeder } from '../helpers/qbittorrent.js'
import { createTorrentFile } from '../helpers/webtorrent.js'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-qbt-'))
const video = await makeVideo(work, { name: 'clip.mp4', seconds: 30, videoBitrate: 2_000_000 })
const torrent = await createTorrentFile(video, { pieceLength: 256 * 1024 })
const qbt = await startQbittorrentSeeder(torrent, work)
const daemon = await startDaemon({ workers: 2, shards: 2 })
t.teardown(async () => {
  await daemon.stop()
  await qbt.stop()
  fs.rmSync(work, { recursive: true, force: true })
})

t.test('a qBittorrent-seeded video streams byte-identical, with exact ranges', async (t) => {
  const bytes = fs.readFileSync(video)
  // A range first, on the cold torrent: the window follows the reader.
  const a = Math.floor(bytes.length * 0.9)
  const first = await fetch(`${daemon.base}/stream?magnet=${encodeURIComponent(qbt.magnet)}`, { headers: { Range: `bytes=${a}-${a + 99_999}` } })
  t.equal(first.status, 206)
  t.ok(Buffer.from(await first.arrayBuffer()).equals(bytes.subarray(a, a + 100_000)), 'cold range in the last 10%')
  for (let i = 0; i < 10; i++) {
    const s = crypto.randomInt(bytes.length - 1)
    const e = Math.min(bytes.length - 1, s + crypto.randomInt(1_000_000))
    const res = await fetch(`${daemon.base}/stream/${qbt.infoHash}/0`, { headers: { Range: `bytes=${s}-${e}` } })
    t.equal(res.status, 206)
    t.ok(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(s, e + 1)), `range ${s}-${e}`)
  }
  const full = await fetch(`${daemon.base}/stream/${qbt.infoHash}/0/clip.mp4`)
  t.equal(full.status, 200)
  t.equal(sha256(new Uint8Array(await full.arrayBuffer())), await sha256File(video))
})
