/**
 * Self-test of the test fixtures in test/helpers (no tod-p2m code involved):
 * generated media, the in-process WebTorrent seeder and the qBittorrent
 * seeder, each checked by downloading with a separate WebTorrent client over
 * 127.0.0.1 and comparing SHA-256 digests.
 */
import t from 'tap'
import type { Test } from 'tap'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { makeRandomFile, makeVideo, sha256File } from './helpers/media.js'
import { canConnect, freePort } from './helpers/net.js'
import { startQbittorrentSeeder } from './helpers/qbittorrent.js'
import { addSeederPeerHint, startSeeder } from './helpers/seeder.js'
import { createTorrentFile, leech, makeMagnet, parseTorrentFile } from './helpers/webtorrent.js'

const PIECE = 256 * 1024

const root = await mkdtemp(path.join(os.tmpdir(), 'tod-selftest-'))
t.teardown(() => rm(root, { recursive: true, force: true }))

// Content laid out the way seeders expect: <contentDir>/<torrent name>/...
const contentDir = path.join(root, 'content')
const torrentName = 'selftest'
let video = ''
let blob = ''

/** Assert every downloaded file is byte-identical to its source under contentDir. */
async function assertSameFiles (tt: Test, files: { path: string, absPath: string, length: number }[]): Promise<void> {
  for (const f of files) {
    const [got, want] = await Promise.all([sha256File(f.absPath), sha256File(path.join(contentDir, f.path))])
    tt.equal(got, want, `sha256 of ${f.path}`)
    tt.equal((await stat(f.absPath)).size, f.length, `length of ${f.path}`)
  }
}

t.test('media and net helpers', async (tt) => {
  video = await makeVideo(path.join(contentDir, torrentName), { name: 'clip.mp4', seconds: 10 })
  blob = await makeRandomFile(path.join(contentDir, torrentName), 'sub/random.bin', 3 * 1024 * 1024 + 12345)
  const videoSize = (await stat(video)).size
  tt.ok(videoSize > 500_000 && videoSize < 5_000_000, `10 s mp4 is ${videoSize} bytes`)
  const head = (await readFile(video)).subarray(0, 64 * 1024).toString('latin1')
  tt.ok(head.indexOf('moov') !== -1 && head.indexOf('moov') < head.indexOf('mdat'), 'mp4 has moov before mdat (faststart)')
  tt.equal((await stat(blob)).size, 3 * 1024 * 1024 + 12345)
  tt.not(await sha256File(blob), await sha256File(video))

  const sized = await makeVideo(root, { name: 'sized.mkv', format: 'mkv', seconds: 4, targetBytes: 4_000_000 })
  const sizedBytes = (await stat(sized)).size
  tt.ok(Math.abs(sizedBytes - 4_000_000) < 400_000, `targetBytes 4 MB gave ${sizedBytes} bytes`)

  const port = await freePort()
  tt.ok(port > 0 && port < 65536)
  tt.equal(await canConnect(port), false, 'a free port has no listener')
})

t.test('webtorrent seeder -> webtorrent leecher', async (tt) => {
  // Single file, renamed via the symlink staging directory.
  const single = await startSeeder(video, { name: 'renamed.mp4', pieceLength: PIECE })
  tt.teardown(() => single.stop())
  tt.match(single.magnet, /^magnet:\?xt=urn:btih:[0-9a-f]{40}&dn=renamed\.mp4&x\.pe=127\.0\.0\.1:\d+$/)
  tt.equal(single.peerAddress, `127.0.0.1:${single.port}`)
  tt.equal(single.client.address()?.address, '127.0.0.1', 'seeder listens on loopback only')
  tt.same(single.files.map((f) => [f.path, f.innerPath]), [['renamed.mp4', 'renamed.mp4']])
  const dl1 = path.join(root, 'dl-single')
  const got1 = await leech(single.magnet, dl1, { timeoutMs: 30_000 })
  tt.equal(got1.length, 1)
  tt.equal(await sha256File(got1[0]!.absPath), await sha256File(video))
  await single.stop()

  // Directory -> multi-file torrent.
  const multi = await startSeeder(path.join(contentDir, torrentName), { pieceLength: PIECE })
  tt.teardown(() => multi.stop())
  tt.equal(multi.name, torrentName)
  tt.same(multi.files.map((f) => f.innerPath).sort(), ['clip.mp4', 'sub/random.bin'])
  const parsed = await parseTorrentFile(multi.torrentFile)
  tt.equal(parsed.infoHash, multi.infoHash)
  const dl2 = path.join(root, 'dl-multi')
  const got2 = await leech(multi.magnet, dl2, { timeoutMs: 30_000 })
  tt.same(got2.map((f) => f.path).sort(), multi.files.map((f) => f.path).sort())
  await assertSameFiles(tt, got2)

  // A list of files is staged as one multi-file torrent.
  const list = await startSeeder([video, blob], { name: 'listed', pieceLength: PIECE })
  tt.teardown(() => list.stop())
  tt.same(list.files.map((f) => f.path).sort(), [path.join('listed', 'clip.mp4'), path.join('listed', 'random.bin')])
  // Peer given explicitly instead of through the magnet's x.pe hint.
  const bare = makeMagnet(list.infoHash, list.name)
  tt.notMatch(bare, /x\.pe/)
  tt.equal(addSeederPeerHint(bare, list.peerAddress), list.magnet)
  tt.equal(addSeederPeerHint(list.magnet, list.peerAddress), list.magnet, 'hint not duplicated')
  const got3 = await leech(bare, path.join(root, 'dl-list'), { timeoutMs: 30_000, peers: [list.peerAddress] })
  tt.equal(got3.length, 2)
  for (const f of got3) {
    tt.equal(await sha256File(f.absPath), await sha256File(f.path.endsWith('.mp4') ? video : blob), `sha256 of ${f.path}`)
  }
  await list.stop()
})

t.test('qbittorrent seeder -> webtorrent leecher', async (tt) => {
  const torrentFile = await createTorrentFile(path.join(contentDir, torrentName), { pieceLength: PIECE })
  const info = await parseTorrentFile(torrentFile)
  const started = Date.now()
  const qb = await startQbittorrentSeeder(torrentFile, contentDir)
  tt.teardown(() => qb.stop())
  tt.comment(`qbittorrent-nox seeding after ${Date.now() - started} ms`)
  tt.equal(qb.infoHash, info.infoHash)
  tt.match(qb.magnet, /&x\.pe=127\.0\.0\.1:\d+$/)
  tt.ok(await canConnect(qb.port), 'qBittorrent accepts peers on 127.0.0.1')

  const dl = path.join(root, 'dl-qbt')
  const got = await leech(qb.magnet, dl, { timeoutMs: 30_000 })
  tt.same(got.map((f) => f.path).sort(), info.files.map((f) => f.path).sort())
  await assertSameFiles(tt, got)

  const pid = qb.pid
  await qb.stop()
  tt.throws(() => process.kill(pid, 0), 'qbittorrent-nox process is gone')
  await tt.rejects(stat(qb.profileDir), 'profile directory removed')
})
