// Access and abuse limits on the real daemon: bearer tokens (401/403), signed stream URLs
// (expiry, tampering), CORS, requests per client counted across front-ends (429 +
// Retry-After), torrent caps per client and in total, 2000-range headers, oversized headers,
// slowloris sockets, and a client that stops reading.
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { signQuery } from '../../src/security/signed-url.js'
import { waitFor } from '../helpers/async.js'
import { startDaemon } from '../helpers/daemon.js'
import type { Daemon } from '../helpers/daemon.js'
import { makeRandomFile, sha256, sha256File } from '../helpers/media.js'
import { startSeeder } from '../helpers/seeder.js'

const TOKEN = 'test-token-0123456789'
const KEY = 'test-signing-key-0123456789abcdef'
const ORIGIN = 'https://app.example'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-security-'))
const file = await makeRandomFile(work, 'big.mp4', 24 * 1024 * 1024)
const seeder = await startSeeder(file, { pieceLength: 256 * 1024 })
const ih = seeder.infoHash
const daemons: Daemon[] = []
t.teardown(async () => {
  await Promise.all(daemons.map(async (d) => await d.stop()))
  await seeder.stop()
  fs.rmSync(work, { recursive: true, force: true })
})

async function daemonWith (env: Record<string, string>): Promise<Daemon> {
  const d = await startDaemon({ workers: 2, shards: 2, env })
  daemons.push(d)
  return d
}

const auth = { Authorization: `Bearer ${TOKEN}` }

t.test('tokens, signed URLs and CORS', async (t) => {
  const d = await daemonWith({
    TOD_P2M_SECURITY_API_TOKENS: TOKEN,
    TOD_P2M_SECURITY_URL_SIGNING_KEY: KEY,
    TOD_P2M_SECURITY_ENABLE_CORS: 'true',
    TOD_P2M_SECURITY_ALLOWED_ORIGINS: ORIGIN
  })
  const add = (headers: Record<string, string>): Promise<Response> =>
    fetch(`${d.base}/torrents`, { method: 'POST', headers: { 'Content-Type': 'text/plain', ...headers }, body: seeder.magnet })

  t.equal((await fetch(`${d.base}/health`)).status, 200, '/health needs no token')
  const none = await add({})
  t.equal(none.status, 401)
  t.match(none.headers.get('www-authenticate'), /^Bearer/)
  t.equal(((await none.json()) as { error: { code: string } }).error.code, 'TOD_ERR_UNAUTHORIZED')
  t.equal((await add({ Authorization: 'Bearer wrong' })).status, 403)
  const ok = await add(auth)
  t.equal(ok.status, 201)
  const doc = await ok.json() as { files: Array<{ streamUrl: string }> }
  const signed = doc.files[0]?.streamUrl as string
  t.match(signed, /\?exp=\d+&sig=[\w-]+$/, 'the document hands out signed stream URLs')
  t.equal((await fetch(`${d.base}/torrents`)).status, 401, 'listing needs a token too')

  const body = await fetch(signed, { headers: { Range: 'bytes=0-1048575' } })
  t.equal(body.status, 206, 'a signed URL streams without a header')
  t.equal(sha256(new Uint8Array(await body.arrayBuffer())), sha256(fs.readFileSync(file).subarray(0, 1048576)))

  const u = new URL(signed)
  const exp = Number(u.searchParams.get('exp'))
  const unsigned = `${d.base}${u.pathname}`
  t.equal((await fetch(unsigned)).status, 401, 'the same URL without signature')
  t.equal((await fetch(`${unsigned}?exp=${exp + 10}&sig=${u.searchParams.get('sig')}`)).status, 403, 'a later expiry breaks the signature')
  t.equal((await fetch(`${d.base}/stream/${ih}/1?${u.search.slice(1)}`)).status, 403, 'another file breaks it')
  const expired = `${unsigned}?${signQuery(KEY, u.pathname, Math.floor(Date.now() / 1000) - 1)}`
  const exp403 = await fetch(expired)
  t.equal(exp403.status, 403)
  t.match(((await exp403.json()) as { error: { message: string } }).error.message, /expired/)
  t.equal((await fetch(unsigned, { method: 'HEAD', headers: auth })).status, 200, 'a token works on streams too')
  const pl = await fetch(`${d.base}/playlist/${ih}.m3u`, { headers: auth })
  t.match(await pl.text(), /\/stream\/[0-9a-f]{40}\/0\/big\.mp4\?exp=\d+&sig=/, 'playlist entries are signed for players')

  const pre = await fetch(`${d.base}/torrents`, { method: 'OPTIONS', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' } })
  t.equal(pre.status, 204, 'preflight answered without a token')
  t.equal(pre.headers.get('access-control-allow-origin'), ORIGIN)
  t.match(pre.headers.get('access-control-allow-headers'), /Authorization/)
  t.equal(pre.headers.get('access-control-allow-credentials'), null, 'no credentials')
  const cors = await fetch(unsigned, { method: 'HEAD', headers: { ...auth, Origin: ORIGIN } })
  t.equal(cors.headers.get('access-control-allow-origin'), ORIGIN)
  t.match(cors.headers.get('access-control-expose-headers'), /Content-Range/)
  const foreign = await fetch(unsigned, { method: 'HEAD', headers: { ...auth, Origin: 'https://evil.example' } })
  t.equal(foreign.headers.get('access-control-allow-origin'), null, 'an unlisted origin gets no CORS grant')

  const logged = d.logs.map((l) => JSON.stringify(l)).join('\n')
  t.notOk(logged.includes(TOKEN), 'the token never appears in the logs')
  t.notOk(logged.includes(u.searchParams.get('sig') as string), 'signatures never appear in the logs')
})

t.test('requests per client are counted across front-ends: 429 with Retry-After', async (t) => {
  const d = await daemonWith({ TOD_P2M_SECURITY_REQUESTS_PER_MINUTE: '30' })
  const statuses: number[] = []
  let retryAfter: string | null = null
  const frontEnds = (): Set<unknown> => new Set(d.logs.filter((l) => l.message === 'request').map((l) => l.pid))
  // Waves of concurrent new connections until both front-ends have answered some (which one
  // accepts a connection is up to the kernel).
  for (let wave = 0; wave < 4 || (frontEnds().size < 2 && wave < 40); wave++) {
    await Promise.all(Array.from({ length: 10 }, async () => {
      const res = await fetch(`${d.base}/torrents`, { headers: { Connection: 'close' } })
      statuses.push(res.status)
      if (res.status === 429) retryAfter ??= res.headers.get('retry-after')
      await res.arrayBuffer()
    }))
  }
  t.equal(frontEnds().size, 2, 'both front-ends answered')
  t.equal(statuses.filter((s) => s === 200).length, 30, `30 of ${statuses.length} allowed, whichever front-end took them`)
  t.equal(statuses.filter((s) => s === 429).length, statuses.length - 30, 'the rest refused')
  t.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 60, `Retry-After: ${retryAfter}`)
  t.equal((await fetch(`${d.base}/health`)).status, 200, '/health is not limited')
})

t.test('torrent caps: per client and in total', async (t) => {
  const d = await daemonWith({ TOD_P2M_SECURITY_MAX_TORRENTS_PER_IP: '2', TOD_P2M_SECURITY_MAX_TORRENTS: '3', TOD_P2M_SERVER_TRUST_PROXY: '127.0.0.1' })
  const hash = (n: number): string => n.toString(16).padStart(40, 'a')
  const add = async (n: number, client: string): Promise<Response> => await fetch(`${d.base}/torrents?wait=false`, {
    method: 'POST', headers: { 'Content-Type': 'text/plain', 'X-Forwarded-For': client }, body: hash(n)
  })
  t.equal((await add(1, '198.51.100.1')).status, 202)
  t.equal((await add(2, '198.51.100.1')).status, 202)
  const third = await add(3, '198.51.100.1')
  t.equal(third.status, 429, 'a third torrent from one client')
  t.equal(((await third.json()) as { error: { code: string } }).error.code, 'TOD_ERR_TOO_MANY_TORRENTS')
  t.equal(third.headers.get('retry-after'), '60')
  t.equal((await add(1, '198.51.100.1')).status, 202, 'adding a torrent already held costs nothing')
  t.equal((await add(3, '198.51.100.2')).status, 202, 'another client may')
  t.equal((await add(4, '198.51.100.3')).status, 429, 'the total cap')
  t.equal((await fetch(`${d.base}/torrent/${hash(1)}`, { method: 'DELETE' })).status, 204)
  t.equal((await add(4, '198.51.100.3')).status, 202, 'a deleted torrent frees its place')
})

t.test('hostile HTTP: 2000 ranges, huge headers, slowloris, a client that stops reading', async (t) => {
  const d = await daemonWith({ TOD_P2M_SERVER_HEADER_TIMEOUT_MS: '2000', TOD_P2M_SERVER_WRITE_IDLE_TIMEOUT_MS: '1500' })
  t.equal((await fetch(`${d.base}/torrents`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: seeder.magnet })).status, 201)
  const stream = `${d.base}/stream/${ih}/0`

  const many = await fetch(stream, { headers: { Range: 'bytes=' + Array.from({ length: 2000 }, () => '0-').join(',') } })
  t.equal(many.status, 206, '2000 x "0-" is one answer')
  t.equal(many.headers.get('content-range'), `bytes 0-${seeder.length - 1}/${seeder.length}`)
  t.equal(Number(many.headers.get('content-length')), seeder.length, 'the file once, not 2000 copies')
  t.equal(sha256(new Uint8Array(await many.arrayBuffer())), await sha256File(file))
  const spread = await fetch(stream, { headers: { Range: 'bytes=' + Array.from({ length: 1000 }, (_, i) => `${i * 10}-${i * 10 + 19}`).join(',') } })
  t.equal(spread.status, 206, '1000 overlapping ranges combine into one')
  t.equal(spread.headers.get('content-range'), `bytes 0-10009/${seeder.length}`)
  await spread.arrayBuffer()

  const big = await rawRequest(d.port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
  t.match(big, /^HTTP\/1\.1 431 /, 'headers over server.max_header_bytes: 431')
  t.match(big, /"code":"TOD_ERR_HEADERS_TOO_LARGE"/, 'with a JSON body')

  // 500 sockets that send a partial request and then trickle one header line a second.
  const sockets: net.Socket[] = []
  let closedByServer = 0
  for (let i = 0; i < 500; i++) {
    const s = net.connect(d.port, '127.0.0.1')
    s.on('error', () => {})
    s.on('close', () => { closedByServer++ })
    s.resume() // read, so the server's 408 and FIN are seen
    s.write('GET /torrents HTTP/1.1\r\nHost: x\r\n')
    sockets.push(s)
  }
  await Promise.all(sockets.map(async (s) => await new Promise((resolve) => { if (s.readyState === 'open') resolve(null); else s.once('connect', resolve) })))
  const trickle = setInterval(() => { for (const s of sockets) if (!s.destroyed) s.write('X-Slow: 1\r\n') }, 1000)
  try {
    const times: number[] = []
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now()
      const res = await fetch(`${stream}`, { headers: { Range: 'bytes=0-65535' } })
      await res.arrayBuffer()
      times.push(performance.now() - t0)
      t.equal(res.status, 206)
    }
    t.ok(Math.max(...times) < 1000, `normal requests answered beside 500 slowloris sockets: ${times.map((x) => x.toFixed(0)).join(', ')} ms`)
    await waitFor(() => closedByServer === 500 ? true : undefined, { timeoutMs: 10_000, what: 'slow sockets closed by the header timeout' })
      .catch(() => {})
    t.equal(closedByServer, 500, `all 500 closed by the header timeout (${closedByServer} after 10 s)`)
  } finally {
    clearInterval(trickle)
    for (const s of sockets) s.destroy()
  }

  // A client that asks for the whole file and reads nothing: cut off after the write-idle timeout.
  // (A paused socket does not see the server's FIN, so the server's log line is what is awaited.)
  const stalled = net.connect(d.port, '127.0.0.1')
  stalled.on('error', () => {})
  stalled.pause()
  const t0 = performance.now()
  stalled.write(`GET /stream/${ih}/0 HTTP/1.1\r\nHost: x\r\n\r\n`)
  const line = await d.waitForLog((l) => l.message === 'request' && l.route === 'stream-file' && l.aborted === true, 30_000)
  const ms = performance.now() - t0
  t.ok(ms >= 1400 && ms < 10_000, `cut off ${ms.toFixed(0)} ms after it stopped reading`)
  t.ok(Number(line.bytes) < seeder.length, `having taken ${String(line.bytes)} bytes`)
  const closed = new Promise((resolve) => stalled.once('close', resolve))
  stalled.resume()
  await closed
  t.pass('the server closed the connection')
  await waitFor(async () => {
    const doc = await (await fetch(`${d.base}/torrent/${ih}`)).json() as { streams: number }
    return doc.streams === 0 ? true : undefined
  }, { timeoutMs: 5000, what: 'its priority window released' })
  t.pass('its window was released')
  t.equal((await fetch(`${d.base}/health`)).status, 200, 'the daemon is healthy')
})

async function rawRequest (port: number, text: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1')
    let out = ''
    s.on('data', (d: Buffer) => { out += d.toString('latin1') })
    s.on('error', reject)
    s.on('close', () => { resolve(out) })
    s.end(text)
  })
}
