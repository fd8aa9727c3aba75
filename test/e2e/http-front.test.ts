// The HTTP front-end's own behaviour on the real daemon: raw magnets in /stream, subtitles and
// file kinds in the API, the Range header in the request log, Vary: Origin, and a quick drain.
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { startDaemon } from '../helpers/daemon.js'
import { makeRandomFile, makeVideo } from '../helpers/media.js'
import { startSeeder } from '../helpers/seeder.js'

const ORIGIN = 'https://app.example'
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-front-'))
const srtText = '1\n00:00:01,000 --> 00:00:02,000\nBonjour, été\n'
fs.writeFileSync(path.join(work, 'movie.en.srt'), srtText)
fs.writeFileSync(path.join(work, 'movie.ass'), '[Script Info]\nTitle: x\n')
const files = [
  await makeVideo(work, { name: 'movie.mp4', seconds: 4 }),
  path.join(work, 'movie.en.srt'),
  path.join(work, 'movie.ass'),
  await makeRandomFile(work, 'cover.jpg', 20_000),
  await makeRandomFile(work, 'readme.txt', 2_000),
  // Larger than socket buffers: a reader that stops reading keeps its response in flight.
  await makeRandomFile(work, 'big.bin', 24_000_000)
]
const album = await startSeeder(files, { name: 'film', pieceLength: 64 * 1024 })
const lone = await startSeeder(await makeRandomFile(work, 'lone.bin', 100_000), { pieceLength: 64 * 1024 })
const daemon = await startDaemon({
  workers: 2,
  shards: 2,
  env: { TOD_P2M_TORRENT_METADATA_TIMEOUT_MS: '8000', TOD_P2M_SECURITY_ENABLE_CORS: 'true', TOD_P2M_SECURITY_ALLOWED_ORIGINS: ORIGIN }
})
t.teardown(async () => {
  if (daemon.proc.exitCode === null) await daemon.stop()
  await album.stop()
  await lone.stop()
  fs.rmSync(work, { recursive: true, force: true })
})
const idOf = (name: string): number => album.files.findIndex((f) => f.name === name)

t.test('/stream?magnet= with an unencoded magnet keeps its tr= and x.pe= parts', async (t) => {
  t.match(lone.magnet, /&x\.pe=127\.0\.0\.1:\d+/, 'the seeder is reachable only through x.pe')
  // Pasted as is: the x.pe hint (the only way to the seeder: no DHT, no tracker) and a tracker
  // on a closed loopback port arrive as query parameters of their own.
  const raw = `${lone.magnet}&tr=http://127.0.0.1:9/announce`
  const res = await fetch(`${daemon.base}/stream?magnet=${raw}&file=0`)
  t.equal(res.status, 200)
  t.same(Buffer.from(await res.arrayBuffer()), fs.readFileSync(path.join(work, 'lone.bin')))
  // The route's own parameters are still its own, wherever they stand.
  const first = await fetch(`${daemon.base}/stream?file=0&magnet=${raw}`, { headers: { Range: 'bytes=0-9' } })
  t.equal(first.status, 206)
  await first.arrayBuffer()
  const missing = await fetch(`${daemon.base}/stream?magnet=${raw}&file=5`)
  t.equal(missing.status, 404, '&file= after a raw magnet is the route\'s')
  await missing.arrayBuffer()
})

interface DocFile { id: number, name: string, kind: string, streamUrl: string, subtitles?: Array<{ id: number, name: string, lang?: string, url: string }> }

t.test('subtitles: served as UTF-8 text, linked to their video, in the playlist; URLs by kind', async (t) => {
  const added = await fetch(`${daemon.base}/torrents`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: album.magnet })
  t.equal(added.status, 201)
  const doc = await added.json() as { files: DocFile[] }
  const byName = (n: string): DocFile => doc.files.find((f) => f.name === n)!
  const ih = album.infoHash
  t.match(byName('cover.jpg'), { kind: 'image', streamUrl: `${daemon.base}/image/${ih}/${idOf('cover.jpg')}/cover.jpg` })
  t.match(byName('readme.txt'), { kind: 'document', streamUrl: `${daemon.base}/document/${ih}/${idOf('readme.txt')}/readme.txt` })
  t.match(byName('movie.mp4'), { kind: 'video', streamUrl: `${daemon.base}/stream/${ih}/${idOf('movie.mp4')}/movie.mp4` })
  const srtUrl = `${daemon.base}/document/${ih}/${idOf('movie.en.srt')}/movie.en.srt`
  t.same(byName('movie.mp4').subtitles, [
    { id: idOf('movie.en.srt'), name: 'movie.en.srt', lang: 'en', url: srtUrl },
    { id: idOf('movie.ass'), name: 'movie.ass', url: `${daemon.base}/document/${ih}/${idOf('movie.ass')}/movie.ass` }
  ].sort((a, b) => a.id - b.id))
  t.equal(byName('movie.en.srt').kind, 'subtitle')

  const srt = await fetch(srtUrl)
  t.equal(srt.status, 200, 'a .srt is a document, not a 415')
  t.equal(srt.headers.get('content-type'), 'application/x-subrip; charset=utf-8')
  t.equal(await srt.text(), srtText)
  const ass = await fetch(`${daemon.base}/stream/${ih}/${idOf('movie.ass')}`)
  t.equal(ass.headers.get('content-type'), 'text/x-ssa; charset=utf-8')
  await ass.arrayBuffer()
  const txt = await fetch(byName('readme.txt').streamUrl, { method: 'HEAD' })
  t.equal(txt.headers.get('content-type'), 'text/plain; charset=utf-8')

  const m3u = (await (await fetch(`${daemon.base}/playlist/${ih}.m3u`)).text()).trim().split('\n')
  const at = m3u.indexOf(byName('movie.mp4').streamUrl)
  t.ok(at > 0, 'the video is listed')
  t.equal(m3u[at - 1], `#EXTVLCOPT:input-slave=${byName('movie.mp4').subtitles!.map((s) => s.url).join('#')}`, 'its subtitles just before it, for VLC')
  t.match(m3u[at - 2], /^#EXTINF:-1,movie\.mp4$/)
  t.notOk(m3u.some((l) => l.includes('.srt') && !l.startsWith('#')), 'subtitles are no playlist entries of their own')
})

t.test('the request log line carries the Range header, cut short', async (t) => {
  const url = `${daemon.base}/stream/${album.infoHash}/${idOf('cover.jpg')}`
  const bad = await fetch(url, { headers: { Range: 'bytes=999999999-' } })
  t.equal(bad.status, 416)
  await bad.arrayBuffer()
  const line = await daemon.waitForLog((l) => l.message === 'request' && l.status === 416, 5000)
  t.equal(line.range, 'bytes=999999999-')
  const long = `bytes=${'0-1,'.repeat(100)}2-3`
  await (await fetch(url, { headers: { Range: long } })).arrayBuffer()
  const cut = await daemon.waitForLog((l) => l.message === 'request' && typeof l.range === 'string' && l.range.startsWith('bytes=0-1,0-1'), 5000)
  t.equal(cut.range, long.slice(0, 64))
})

t.test('streams carry Vary: Origin with CORS off too, so turning it on later is not defeated by a cached copy', async (t) => {
  const plain = await startDaemon({ workers: 1, shards: 1, env: { TOD_P2M_TORRENT_METADATA_TIMEOUT_MS: '8000' } })
  t.teardown(async () => { await plain.stop() })
  const added = await fetch(`${plain.base}/torrents`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ magnet: album.magnet }) })
  t.equal(added.status, 201)
  await added.arrayBuffer()
  const res = await fetch(`${plain.base}/stream/${album.infoHash}/${idOf('cover.jpg')}`)
  t.equal(res.status, 200)
  t.match(res.headers.get('cache-control'), /immutable/)
  t.match(res.headers.get('vary'), /\bOrigin\b/, 'Vary: Origin without CORS')
  t.equal(res.headers.get('access-control-allow-origin'), null)
  await res.arrayBuffer()
})

t.test('streams carry Vary: Origin when CORS is on (they are cached for a year)', async (t) => {
  for (const origin of [ORIGIN, 'https://other.example', undefined]) {
    const res = await fetch(`${daemon.base}/stream/${album.infoHash}/${idOf('cover.jpg')}`, { headers: origin === undefined ? {} : { Origin: origin } })
    t.equal(res.status, 200)
    t.match(res.headers.get('vary'), /\bOrigin\b/, `Origin: ${origin ?? '(none)'}`)
    t.match(res.headers.get('cache-control'), /immutable/)
    await res.arrayBuffer()
  }
  const cached = await fetch(`${daemon.base}/stream/${album.infoHash}/${idOf('cover.jpg')}`, { headers: { Origin: ORIGIN, 'If-None-Match': `"${album.infoHash}-${idOf('cover.jpg')}"` } })
  t.equal(cached.status, 304)
  t.match(cached.headers.get('vary'), /\bOrigin\b/, 'a 304 too')
})

t.test('shutdown: idle keep-alive connections close at once, a response in flight runs to its end', async (t) => {
  const bigUrl = `${daemon.base}/stream/${album.infoHash}/${idOf('big.bin')}`
  const bigBytes = fs.readFileSync(path.join(work, 'big.bin'))
  await (await fetch(bigUrl)).arrayBuffer() // on disk now: the slow reader below waits on nobody but itself
  const idle = new http.Agent({ keepAlive: true })
  const status = await new Promise<number>((resolve, reject) => {
    http.get(`${daemon.base}/health/live`, { agent: idle }, (res) => { res.resume(); res.on('end', () => { resolve(res.statusCode ?? 0) }) }).on('error', reject)
  })
  t.equal(status, 200)
  const idleSocket = Object.values(idle.freeSockets).flat()[0]!
  t.ok(idleSocket, 'an idle keep-alive connection to the daemon')
  const idleClosed = new Promise<number>((resolve) => { idleSocket.once('close', () => { resolve(Date.now()) }) })

  // A slow reader: takes the headers and the first bytes, then stops reading.
  const slow = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get(bigUrl, { agent: new http.Agent({ keepAlive: true }) }, resolve).on('error', reject)
  })
  t.equal(slow.statusCode, 200)
  slow.pause()

  const stopping = Date.now()
  const stopped = daemon.stop()
  const idleAt = await idleClosed
  t.ok(idleAt - stopping < 1000, `the idle connection closed ${idleAt - stopping} ms after the signal`)

  // The reader comes back: every byte arrives, then the connection closes and the daemon exits.
  const chunks: Buffer[] = []
  slow.on('data', (c: Buffer) => { chunks.push(c) })
  const ended = new Promise<void>((resolve, reject) => { slow.once('end', resolve); slow.once('error', reject) })
  slow.resume()
  await ended
  t.ok(Buffer.concat(chunks).equals(bigBytes), 'the response in flight ran to its end, byte-identical')
  t.equal(await stopped, 0, 'clean exit')
  // The old drain waited out the keep-alive timeout (5 s) plus a second before closing.
  t.ok(Date.now() - stopping < 5000, `stopped in ${Date.now() - stopping} ms`)
  idle.destroy()
})
