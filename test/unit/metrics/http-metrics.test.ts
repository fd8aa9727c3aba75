// HttpMetrics on a real HTTP server: what one front-end counts per request.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { bodyBytesSent } from '../../../src/metrics/body-bytes.js'
import { HttpMetrics } from '../../../src/metrics/http-metrics.js'
import type { Exchange } from '../../../src/metrics/http-metrics.js'
import type { MetricsSnapshot } from '../../../src/protocol.js'

const metrics = new HttpMetrics(3)
const exchanges: Exchange[] = []
let release: () => void = () => {}
/** Responses closed so far: metrics count on 'close', a tick after the client has the last byte. */
let closed = 0
let onClose: () => void = () => {}
const server = http.createServer((req, res) => {
  const streaming = req.url === '/stream' || req.url === '/slow' || req.url === '/direct'
  const route = { name: streaming ? 'stream-file' : 'torrent', streaming }
  exchanges.push(metrics.track(req, res, () => route))
  res.once('close', () => { closed++; onClose() }) // after track's own listener
  if (req.url === '/slow') {
    // Headers and a first chunk now, the rest when the test says so: an active stream meanwhile.
    res.writeHead(200, { 'Content-Length': 6 })
    res.write('abc')
    release = () => { res.end('def') }
    return
  }
  if (req.url === '/direct') {
    // As send-file.ts does with sendfile(2): the headers through the response, the body
    // straight into the socket, reported with bodyBytesSent.
    res.writeHead(200, { 'Content-Length': 1000 })
    res.write('', () => {
      res.socket!.write(Buffer.alloc(1000), () => {
        bodyBytesSent(res, 1000)
        res.end()
      })
    })
    return
  }
  if (req.url === '/stream') {
    res.writeHead(206, { 'Content-Length': 1000 })
    res.write(Buffer.alloc(600))
    res.end(Buffer.alloc(400))
    return
  }
  res.writeHead(404, { 'Content-Type': 'application/json' })
  res.end('{"error":"x"}', 'utf8')
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
t.teardown(() => { server.closeAllConnections(); server.close() })

const value = (s: MetricsSnapshot, name: string, labels: Record<string, string> = {}, metricName?: string): number =>
  s.find((m) => m.name === name)?.values.filter((v) => (metricName === undefined || v.metricName === metricName) &&
    Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l)).reduce((n, v) => n + v.value, 0) ?? 0
const closedAll = async (n: number): Promise<void> => {
  await new Promise<void>((resolve) => {
    onClose = () => { if (closed >= n) resolve() }
    onClose()
  })
}

t.test('requests by route, method and status; body bytes; time to first byte of streams', async (t) => {
  for (let i = 0; i < 3; i++) await (await fetch(`${base}/stream`)).arrayBuffer()
  await (await fetch(`${base}/nope`)).arrayBuffer()
  await (await fetch(`${base}/stream`, { method: 'HEAD' })).arrayBuffer()
  await closedAll(5)
  const s = await metrics.snapshot()
  t.equal(value(s, 'tod_p2m_http_requests_total', { route: 'stream-file', method: 'GET', status: '206' }), 3)
  t.equal(value(s, 'tod_p2m_http_requests_total', { route: 'stream-file', method: 'HEAD' }), 1)
  t.equal(value(s, 'tod_p2m_http_requests_total', { route: 'torrent', status: '404' }), 1)
  t.equal(value(s, 'tod_p2m_http_response_body_bytes_total', { route: 'stream-file' }), 3000, 'what a HEAD handler writes is not sent, nor counted')
  t.equal(value(s, 'tod_p2m_http_response_body_bytes_total', { route: 'torrent' }), 13)
  t.equal(value(s, 'tod_p2m_http_stream_ttfb_seconds', {}, 'tod_p2m_http_stream_ttfb_seconds_count'), 3, 'GET 2xx streams only')
  t.ok(exchanges.every((e) => e.ttfbMs !== null && e.ttfbMs >= 0))
  t.same(exchanges.slice(0, 3).map((e) => e.bytes), [1000, 1000, 1000])
  t.ok(s.some((m) => m.name === 'process_resident_memory_bytes' && m.values.every((v) => v.labels.process === 'frontend-3')), 'process metrics labelled with the slot')
  t.notOk(s.some((m) => m.name === 'nodejs_active_handles_total'), 'no gauge named like a counter')
})

t.test('a stream sending bytes is active until it ends', async (t) => {
  const res = await fetch(`${base}/slow`)
  const reader = res.body!.getReader()
  await reader.read()
  t.equal(value(await metrics.snapshot(), 'tod_p2m_http_active_streams'), 1)
  release()
  while (!(await reader.read()).done);
  await closedAll(6)
  t.equal(value(await metrics.snapshot(), 'tod_p2m_http_active_streams'), 0)
})

t.test('body bytes sent around res.write (sendfile) are counted', async (t) => {
  const before = value(await metrics.snapshot(), 'tod_p2m_http_response_body_bytes_total', { route: 'stream-file' })
  const res = await fetch(`${base}/direct`)
  t.equal((await res.arrayBuffer()).byteLength, 1000)
  await closedAll(7)
  const s = await metrics.snapshot()
  t.equal(value(s, 'tod_p2m_http_response_body_bytes_total', { route: 'stream-file' }) - before, 1000)
  t.equal(exchanges.at(-1)?.bytes, 1000, 'in the log line too')
  t.equal(value(s, 'tod_p2m_http_stream_ttfb_seconds', {}, 'tod_p2m_http_stream_ttfb_seconds_count'), 5, 'a time to first byte, like the other streams')
})
