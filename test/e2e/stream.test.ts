// End to end: the real daemon (2 front-ends, 2 shards) streams a multi-file torrent made on the
// fly from an in-process WebTorrent seeder on loopback, and every byte is compared.
import { execFile } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { startDaemon } from '../helpers/daemon.js'
import { makeRandomFile, makeVideo, sha256, sha256File } from '../helpers/media.js'
import { startSeeder } from '../helpers/seeder.js'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-stream-'))
const video = await makeVideo(work, { name: 'movie.mp4', seconds: 20 })
const notes = await makeRandomFile(work, 'notes.txt', 3000)
// Larger than the video but not a video: /stream?magnet= must still pick the video.
const data = await makeRandomFile(work, 'data.bin', fs.statSync(video).size + 1_000_000)
const seeder = await startSeeder([video, notes, data], { name: 'pack', pieceLength: 256 * 1024 })
const daemon = await startDaemon({ workers: 2, shards: 2 })
t.teardown(async () => {
  await daemon.stop()
  await seeder.stop()
  fs.rmSync(work, { recursive: true, force: true })
})

const sources = [video, notes, data]
const idOf = (name: string): number => seeder.files.findIndex((f) => f.name === name)
const ih = seeder.infoHash
const videoBytes = fs.readFileSync(video)
const url = (id: number, suffix = ''): string => `${daemon.base}/stream/${ih}/${id}${suffix}`

t.test('/stream?magnet= adds the torrent and streams the largest video, byte-identical', async (t) => {
  const res = await fetch(`${daemon.base}/stream?magnet=${encodeURIComponent(seeder.magnet)}`)
  t.equal(res.status, 200)
  t.equal(res.headers.get('content-type'), 'video/mp4')
  t.equal(res.headers.get('accept-ranges'), 'bytes')
  t.equal(res.headers.get('content-length'), String(videoBytes.length))
  t.equal(sha256(new Uint8Array(await res.arrayBuffer())), await sha256File(video))
})

t.test('?file=N picks that file; a file id the torrent lacks is 404', async (t) => {
  const res = await fetch(`${daemon.base}/stream?magnet=${encodeURIComponent(seeder.magnet)}&file=${idOf('notes.txt')}`)
  t.equal(res.status, 200)
  t.same(Buffer.from(await res.arrayBuffer()), fs.readFileSync(notes))
  const missing = await fetch(`${daemon.base}/stream?magnet=${encodeURIComponent(seeder.magnet)}&file=99`)
  t.equal(missing.status, 404)
  t.equal(((await missing.json()) as { error: { code: string } }).error.code, 'TOD_ERR_UNKNOWN_FILE')
})

t.test('every file, full GET, byte-identical', async (t) => {
  for (const [i, src] of sources.entries()) {
    const id = idOf(path.basename(src))
    const res = await fetch(url(id))
    t.equal(res.status, 200, path.basename(src))
    t.equal(sha256(new Uint8Array(await res.arrayBuffer())), await sha256File(src), `file ${i} bytes`)
  }
})

t.test('20 random ranges are exact (206, Content-Range, bytes)', async (t) => {
  const id = idOf('data.bin')
  const bytes = fs.readFileSync(data)
  for (let i = 0; i < 20; i++) {
    const a = crypto.randomInt(bytes.length)
    const b = Math.min(bytes.length - 1, a + crypto.randomInt(2 * 1024 * 1024))
    const res = await fetch(url(id), { headers: { Range: `bytes=${a}-${b}` } })
    t.equal(res.status, 206)
    t.equal(res.headers.get('content-range'), `bytes ${a}-${b}/${bytes.length}`)
    t.ok(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(a, b + 1)), `bytes ${a}-${b}`)
  }
})

t.test('suffix and open ranges, the trailing name, HEAD', async (t) => {
  const id = idOf('movie.mp4')
  const suffix = await fetch(url(id, '/movie.mp4'), { headers: { Range: 'bytes=-1000' } })
  t.equal(suffix.status, 206)
  t.ok(Buffer.from(await suffix.arrayBuffer()).equals(videoBytes.subarray(videoBytes.length - 1000)))
  const open = await fetch(url(id), { headers: { Range: 'bytes=12345-' } })
  t.equal(open.headers.get('content-range'), `bytes 12345-${videoBytes.length - 1}/${videoBytes.length}`)
  t.ok(Buffer.from(await open.arrayBuffer()).equals(videoBytes.subarray(12345)))
  const head = await fetch(url(id), { method: 'HEAD' })
  t.equal(head.status, 200)
  t.equal(head.headers.get('content-length'), String(videoBytes.length))
  t.equal(head.headers.get('etag'), `"${ih}-${id}"`)
  t.equal((await head.arrayBuffer()).byteLength, 0)
  const headRange = await fetch(url(id), { method: 'HEAD', headers: { Range: 'bytes=0-99' } })
  t.equal(headRange.status, 206)
  t.equal(headRange.headers.get('content-length'), '100')
})

t.test('pipelined requests on one keep-alive connection: ranges, HEAD, 304, 416 in order', async (t) => {
  const id = idOf('data.bin')
  const bytes = fs.readFileSync(data)
  const etag = `"${ih}-${id}"`
  const host = `Host: 127.0.0.1:${daemon.port}`
  const a = 1_000_003
  const b = 2_500_000
  const requests = [
    `GET /stream/${ih}/${id} HTTP/1.1\r\n${host}\r\nRange: bytes=${a}-\r\n\r\n`,
    `HEAD /stream/${ih}/${id} HTTP/1.1\r\n${host}\r\n\r\n`,
    `GET /stream/${ih}/${id} HTTP/1.1\r\n${host}\r\nIf-None-Match: ${etag}\r\n\r\n`,
    `GET /stream/${ih}/${id} HTTP/1.1\r\n${host}\r\nRange: bytes=0-${b}\r\n\r\n`,
    `GET /stream/${ih}/${id} HTTP/1.1\r\n${host}\r\nRange: bytes=${bytes.length}-\r\n\r\n`,
    `GET /stream/${ih}/${id} HTTP/1.1\r\n${host}\r\nConnection: close\r\n\r\n`
  ]
  const socket = net.connect(daemon.port, '127.0.0.1')
  t.teardown(() => { socket.destroy() })
  socket.write(requests.join('')) // all at once: each response waits for the one before it
  const responses = await readResponses(socket, ['GET', 'HEAD', 'GET', 'GET', 'GET', 'GET'])
  t.same(responses.map((r) => r.status), [206, 200, 304, 206, 416, 200])
  t.ok(responses[0]!.body.equals(bytes.subarray(a)), `bytes ${a}- (to the end)`)
  t.equal(responses[1]!.headers['content-length'], String(bytes.length), 'HEAD: the length, no body')
  t.equal(responses[1]!.body.length, 0)
  t.equal(responses[2]!.body.length, 0, '304: no body')
  t.ok(responses[3]!.body.equals(bytes.subarray(0, b + 1)), `bytes 0-${b}`)
  t.equal(responses[4]!.headers['content-range'], `bytes */${bytes.length}`)
  t.match(responses[4]!.body.toString(), /TOD_ERR_RANGE/)
  t.ok(responses[5]!.body.equals(bytes), 'the whole file')
  t.equal(responses[5]!.headers.connection, 'close')
})

/** Reads one HTTP/1.1 response per method from `socket` (bodies by Content-Length; none for HEAD, 304). */
async function readResponses (socket: net.Socket, methods: string[]): Promise<Array<{ status: number, headers: Record<string, string>, body: Buffer }>> {
  let buffered = Buffer.alloc(0)
  let wake: () => void = () => {}
  let ended = false
  socket.on('data', (c: Buffer) => { buffered = Buffer.concat([buffered, c]); wake() })
  socket.on('close', () => { ended = true; wake() })
  const more = async (): Promise<void> => {
    if (ended) throw new Error('the connection closed early')
    await new Promise<void>((resolve) => { wake = resolve })
  }
  const out = []
  for (const method of methods) {
    let end: number
    while ((end = buffered.indexOf('\r\n\r\n')) < 0) await more()
    const [statusLine, ...lines] = buffered.subarray(0, end).toString('latin1').split('\r\n')
    buffered = buffered.subarray(end + 4)
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]))
    const status = Number(statusLine?.split(' ')[1])
    const length = method === 'HEAD' || status === 304 ? 0 : Number(headers['content-length'] ?? 0)
    while (buffered.length < length) await more()
    out.push({ status, headers, body: buffered.subarray(0, length) })
    buffered = buffered.subarray(length)
  }
  return out
}

t.test('416 carries Content-Range: bytes */SIZE and a JSON error', async (t) => {
  const id = idOf('notes.txt')
  const res = await fetch(url(id), { headers: { Range: 'bytes=3000-' } })
  t.equal(res.status, 416)
  t.equal(res.headers.get('content-range'), 'bytes */3000')
  t.equal(((await res.json()) as { error: { code: string } }).error.code, 'TOD_ERR_RANGE')
})

t.test('conditional requests: If-None-Match, If-Range, If-Match', async (t) => {
  const id = idOf('notes.txt')
  const etag = `"${ih}-${id}"`
  const notModified = await fetch(url(id), { headers: { 'If-None-Match': etag } })
  t.equal(notModified.status, 304)
  const fresh = await fetch(url(id), { headers: { Range: 'bytes=0-9', 'If-Range': etag } })
  t.equal(fresh.status, 206)
  await fresh.arrayBuffer()
  const stale = await fetch(url(id), { headers: { Range: 'bytes=0-9', 'If-Range': '"other"' } })
  t.equal(stale.status, 200, 'a stale If-Range gets the whole file')
  t.equal((await stale.arrayBuffer()).byteLength, 3000)
  const failed = await fetch(url(id), { headers: { 'If-Match': '"other"' } })
  t.equal(failed.status, 412)
  await failed.arrayBuffer()
})

t.test('bad input gets 4xx JSON with a stable code', async (t) => {
  const cases: Array<[string, number, string]> = [
    ['/stream?magnet=not-a-magnet', 400, 'TOD_ERR_BAD_MAGNET'],
    ['/stream?magnet=' + encodeURIComponent('magnet:?xt=urn:btih:123'), 400, 'TOD_ERR_BAD_MAGNET'],
    ['/stream', 400, 'TOD_ERR_BAD_QUERY'],
    ['/stream/nothex/0', 400, 'TOD_ERR_BAD_INFOHASH'],
    [`/stream/${ih}/abc`, 400, 'TOD_ERR_BAD_FILE_ID'],
    [`/stream/${ih}/-1`, 400, 'TOD_ERR_BAD_FILE_ID'],
    [`/stream/${ih}/77`, 404, 'TOD_ERR_UNKNOWN_FILE'],
    [`/stream/${'0'.repeat(40)}/0`, 404, 'TOD_ERR_UNKNOWN_TORRENT'],
    ['/nope', 404, 'TOD_ERR_NOT_FOUND']
  ]
  for (const [p, status, code] of cases) {
    const res = await fetch(daemon.base + p)
    t.equal(res.status, status, p)
    t.match(res.headers.get('content-type'), /^application\/json/, p)
    t.equal(((await res.json()) as { error: { code: string } }).error.code, code, p)
  }
  const health = await fetch(`${daemon.base}/health`)
  t.equal(health.status, 200, 'still healthy')
})

t.test('ffprobe reads duration and codecs from the stream URL', async (t) => {
  const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-of', 'json', '-show_format', '-show_streams', url(idOf('movie.mp4'))])
  const probe = JSON.parse(stdout) as { format: { duration: string }, streams: Array<{ codec_name: string }> }
  t.ok(Math.abs(Number(probe.format.duration) - 20) < 0.5, `duration ${probe.format.duration}`)
  t.same(probe.streams.map((s) => s.codec_name).sort(), ['aac', 'h264'])
})
