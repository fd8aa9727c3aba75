// The torrent REST surface on the real daemon with a real loopback seeder.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { startDaemon } from '../helpers/daemon.js'
import { makeRandomFile, makeVideo } from '../helpers/media.js'
import { startSeeder } from '../helpers/seeder.js'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-api-'))
const files = [
  await makeVideo(work, { name: 'movie.mp4', seconds: 10 }),
  await makeRandomFile(work, 'song.mp3', 200_000),
  await makeRandomFile(work, 'cover.jpg', 50_000),
  await makeRandomFile(work, 'notes.txt', 4_000)
]
const seeder = await startSeeder(files, { name: 'album', pieceLength: 64 * 1024 })
const other = await startSeeder(await makeRandomFile(work, 'other.bin', 300_000), { pieceLength: 64 * 1024 })
const daemon = await startDaemon({ workers: 2, shards: 2, env: { TOD_P2M_SERVER_TRUST_PROXY: '127.0.0.1' } })
t.teardown(async () => {
  await daemon.stop()
  await seeder.stop()
  await other.stop()
  fs.rmSync(work, { recursive: true, force: true })
})

const ih = seeder.infoHash
const idOf = (name: string): number => seeder.files.findIndex((f) => f.name === name)
interface Doc { infoHash: string, name: string, size: number, progress: number, downloaded: number, downloadSpeed: number, uploadSpeed: number, peers: number, files: Array<{ id: number, name: string, path: string, size: number, mime: string, progress: number, streamUrl: string }> }
const post = async (body: string | Buffer, type: string, query = ''): Promise<Response> =>
  await fetch(`${daemon.base}/torrents${query}`, { method: 'POST', headers: { 'Content-Type': type }, body })
const code = async (res: Response): Promise<string> => ((await res.json()) as { error: { code: string } }).error.code

t.test('POST /torrents with a JSON magnet: 201 and the torrent document; again: 200', async (t) => {
  const res = await post(JSON.stringify({ magnet: seeder.magnet }), 'application/json')
  t.equal(res.status, 201)
  t.equal(res.headers.get('location'), `/torrent/${ih}`)
  const doc = await res.json() as Doc
  t.equal(doc.infoHash, ih)
  t.equal(doc.name, 'album')
  t.equal(doc.size, seeder.length)
  t.equal(doc.files.length, 4)
  for (const [i, f] of seeder.files.entries()) {
    const d = doc.files[i]!
    t.match(d, { id: i, name: f.name, size: f.length })
    // The route by kind: /image/ and /document/ for those kinds, /stream/ for the rest.
    const route = f.name.endsWith('.jpg') ? 'image' : f.name.endsWith('.txt') ? 'document' : 'stream'
    t.equal(d.streamUrl, `${daemon.base}/${route}/${ih}/${i}/${encodeURIComponent(f.name)}`)
  }
  t.equal(doc.files[idOf('movie.mp4')]?.mime, 'video/mp4')
  const again = await post(seeder.magnet, 'text/plain')
  t.equal(again.status, 200, 'idempotent')
  await again.arrayBuffer()
})

t.test('POST /torrents: bare info-hash, wait=false (202), .torrent upload, bad bodies', async (t) => {
  const async = await post(JSON.stringify({ infoHash: other.infoHash }), 'application/json', '?wait=false')
  t.ok(async.status === 202 || async.status === 201, `202 (or 201 if the metadata was instant): ${async.status}`)
  t.equal(async.headers.get('location'), `/torrent/${other.infoHash}`)
  await async.arrayBuffer()
  // No peers yet (a bare info-hash, DHT off): the .torrent brings the metadata at once.
  const upload = await post(other.torrentFile, 'application/x-bittorrent')
  t.equal(upload.status, 200, 'the same torrent by .torrent is the same torrent')
  const doc = await upload.json() as Doc
  t.equal(doc.infoHash, other.infoHash)
  t.equal(doc.files[0]?.size, 300_000, 'metadata from the upload')
  // ...and the magnet's peer hint reaches the torrent already there.
  const magnet = await post(other.magnet, 'text/plain')
  t.equal(magnet.status, 200)
  await magnet.arrayBuffer()
  t.equal((await post('{"magnet": 5}', 'application/json')).status, 400)
  t.equal(await code(await post('{nope', 'application/json')), 'TOD_ERR_BAD_BODY')
  t.equal(await code(await post('not a magnet', 'text/plain')), 'TOD_ERR_BAD_MAGNET')
  t.equal(await code(await post(Buffer.from('d4:infod6:lengthi-1eee'), 'application/x-bittorrent')), 'TOD_ERR_BAD_TORRENT')
  t.equal(await code(await post(Buffer.alloc(5 * 1024 * 1024, 1), 'application/x-bittorrent')), 'TOD_ERR_TOO_LARGE')
  t.equal(await code(await post('x', 'image/png')), 'TOD_ERR_BAD_BODY')
})

t.test('GET /torrent/{ih} reports progress after a read; GET /torrents lists both', async (t) => {
  const notes = idOf('notes.txt')
  await (await fetch(`${daemon.base}/stream/${ih}/${notes}`)).arrayBuffer()
  const doc = await (await fetch(`${daemon.base}/torrent/${ih}`)).json() as Doc
  t.equal(doc.files[notes]?.progress, 1, 'the file read is complete')
  t.ok(doc.downloaded >= 4000 && doc.progress > 0 && doc.progress < 1, `partial torrent: ${doc.progress}`)
  for (const k of ['downloadSpeed', 'uploadSpeed', 'peers'] as const) t.type(doc[k], 'number', k)
  const list = await (await fetch(`${daemon.base}/torrents`)).json() as { torrents: Array<{ infoHash: string }> }
  t.same(list.torrents.map((x) => x.infoHash).sort(), [ih, other.infoHash].sort())
  t.equal(await code(await fetch(`${daemon.base}/torrent/${'1'.repeat(40)}`)), 'TOD_ERR_UNKNOWN_TORRENT')
  t.equal(await code(await fetch(`${daemon.base}/torrent/xyz`)), 'TOD_ERR_BAD_INFOHASH')
})

t.test('/document and /image serve their kind inline, 415 otherwise', async (t) => {
  const doc = await fetch(`${daemon.base}/document/${ih}/${idOf('notes.txt')}`)
  t.equal(doc.status, 200)
  t.match(doc.headers.get('content-disposition'), /^inline/)
  t.same(Buffer.from(await doc.arrayBuffer()), fs.readFileSync(files[3]!))
  const img = await fetch(`${daemon.base}/image/${ih}/${idOf('cover.jpg')}`, { headers: { Range: 'bytes=0-9' } })
  t.equal(img.status, 206)
  t.equal(img.headers.get('content-type'), 'image/jpeg')
  t.same(Buffer.from(await img.arrayBuffer()), fs.readFileSync(files[2]!).subarray(0, 10))
  t.equal(await code(await fetch(`${daemon.base}/image/${ih}/${idOf('notes.txt')}`)), 'TOD_ERR_UNSUPPORTED_MEDIA')
  const notDoc = await fetch(`${daemon.base}/document/${ih}/${idOf('movie.mp4')}`)
  t.equal(notDoc.status, 415)
  await notDoc.arrayBuffer()
})

t.test('/playlist/{ih}.m3u lists the media files with absolute URLs (X-Forwarded-* from a trusted proxy)', async (t) => {
  const res = await fetch(`${daemon.base}/playlist/${ih}.m3u`)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^audio\/x-mpegurl/)
  const lines = (await res.text()).trim().split('\n')
  t.equal(lines[0], '#EXTM3U')
  const urls = lines.filter((l) => !l.startsWith('#'))
  t.same(urls.sort(), [idOf('movie.mp4'), idOf('song.mp3')].map((id) => `${daemon.base}/stream/${ih}/${id}/${encodeURIComponent(seeder.files[id]!.name)}`).sort())
  const proxied = await (await fetch(`${daemon.base}/playlist/${ih}.m3u`, { headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'tv.example.org' } })).text()
  t.match(proxied, `https://tv.example.org/stream/${ih}/`)
  // The playlist's URLs play: the first one streams the video.
  const first = await fetch(urls.find((u) => u.includes('movie'))!, { headers: { Range: 'bytes=0-99' } })
  t.same(Buffer.from(await first.arrayBuffer()), fs.readFileSync(files[0]!).subarray(0, 100))
})

t.test('DELETE /torrent/{ih}: 409 while streamed, then 204 and the data is gone', async (t) => {
  const dataDir = path.join(daemon.dir, other.infoHash)
  await (await fetch(`${daemon.base}/stream/${other.infoHash}/0`)).arrayBuffer()
  t.ok(fs.existsSync(dataDir), 'data on disk')
  const ac = new AbortController()
  // A stream held open: the client reads nothing more after the headers.
  const open = await fetch(`${daemon.base}/stream/${other.infoHash}/0`, { signal: ac.signal, headers: { Range: 'bytes=0-' } })
  t.equal(open.status, 206)
  const busy = await fetch(`${daemon.base}/torrent/${other.infoHash}`, { method: 'DELETE' })
  // The stream may already have been fully written into socket buffers and released.
  t.ok(busy.status === 409 || busy.status === 204, `409 while streamed (or 204 if it ended): ${busy.status}`)
  await busy.arrayBuffer()
  ac.abort()
  if (busy.status === 409) {
    let res = await fetch(`${daemon.base}/torrent/${other.infoHash}`, { method: 'DELETE' })
    for (let i = 0; i < 50 && res.status === 409; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      res = await fetch(`${daemon.base}/torrent/${other.infoHash}`, { method: 'DELETE' })
    }
    t.equal(res.status, 204)
  }
  t.notOk(fs.existsSync(dataDir), 'data removed')
  t.notOk(fs.existsSync(path.join(daemon.dir, '.tod-p2m-state', 'torrents', `${other.infoHash}.torrent`)), 'state removed')
  t.equal(await code(await fetch(`${daemon.base}/torrent/${other.infoHash}`)), 'TOD_ERR_UNKNOWN_TORRENT')
  t.equal((await fetch(`${daemon.base}/torrent/${other.infoHash}`, { method: 'DELETE' })).status, 404)
  // Front-ends remember the files they have served (file-cache.ts); a deleted torrent is
  // still unknown on every path, also those that answer without reading (HEAD, 304, 416).
  const url = `${daemon.base}/stream/${other.infoHash}/0`
  const etag = `"${other.infoHash}-0"`
  const asks: Array<[string, RequestInit]> = [
    ['GET', {}], ['HEAD', { method: 'HEAD' }], ['If-None-Match', { headers: { 'If-None-Match': etag } }],
    ['If-Match', { headers: { 'If-Match': '"other"' } }], ['Range past the end', { headers: { Range: 'bytes=999999999-' } }]
  ]
  asks.push(['/image of a non-image file', {}])
  for (const [what, init] of asks) {
    // Several times each: the requests spread over both front-ends.
    const statuses = await Promise.all(Array.from({ length: 6 }, async () => {
      const res = await fetch(what.startsWith('/image') ? url.replace('/stream/', '/image/') : url, init)
      await res.arrayBuffer()
      return res.status
    }))
    t.same(new Set(statuses), new Set([404]), `${what} after DELETE: 404`)
  }
})
