// GET /metrics and GET /health on the real daemon (2 front-ends, 2 shards): counts that add up
// across processes and threads, names and types, promtool's lint, readiness while a shard is down.
import { execFile } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { shardOf } from '../../src/infohash.js'
import { waitFor } from '../helpers/async.js'
import { startDaemon } from '../helpers/daemon.js'
import type { LogLine } from '../helpers/daemon.js'
import { makeRandomFile } from '../helpers/media.js'
import { parseMetrics, series, total } from '../helpers/metrics.js'
import type { Scrape } from '../helpers/metrics.js'
import { startSeeder } from '../helpers/seeder.js'
import type { Seeder } from '../helpers/seeder.js'

const PIECE = 64 * 1024
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-metrics-'))
// Two torrents that live on different shards, so the engine figures are sums over both threads.
const seeders: Seeder[] = [await startSeeder(await makeRandomFile(work, 'a.bin', 2 * 1024 * 1024 + 12345), { pieceLength: PIECE })]
for (let i = 0; seeders.length < 2; i++) {
  if (i === 16) throw new Error('no torrent landed on the other shard')
  const s = await startSeeder(await makeRandomFile(work, `b${i}.bin`, 3 * 1024 * 1024 + 777), { pieceLength: PIECE })
  if (shardOf(s.infoHash, 2) !== shardOf(seeders[0]!.infoHash, 2)) seeders.push(s)
  else await s.stop()
}
const [a, b] = seeders as [Seeder, Seeder]
const bytesOf = new Map(seeders.map((s) => [s.infoHash, fs.readFileSync(path.join(work, s.name))]))
const daemon = await startDaemon({ workers: 2, shards: 2, env: { TOD_P2M_DEBUG_FAULT_INJECTION: 'true' } })
t.teardown(async () => {
  await daemon.stop()
  for (const s of seeders) await s.stop()
  fs.rmSync(work, { recursive: true, force: true })
})

let scrapes = 0
const scrape = async (): Promise<Scrape> => {
  const res = await fetch(`${daemon.base}/metrics`)
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`)
  const text = await res.text()
  scrapes++
  return parseMetrics(text)
}
interface HealthBody { ready: boolean, checks: { shards: boolean }, shards: Array<{ error?: string }> }
const since = (n: number) => (pred: (l: LogLine) => boolean) => (l: LogLine) => daemon.logs.indexOf(l) >= n && pred(l)

t.test('each torrent streams whole from its own shard', async (t) => {
  for (const s of seeders) {
    const res = await fetch(`${daemon.base}/stream?magnet=${encodeURIComponent(s.magnet)}`)
    t.equal(res.status, 200)
    t.ok(Buffer.from(await res.arrayBuffer()).equals(bytesOf.get(s.infoHash)!), `${s.name} byte-identical`)
  }
})

const N = 40
t.test(`${N} range requests spread over both front-ends: one scrape counts exactly ${N}`, async (t) => {
  let sent = 0
  // Four at a time on fresh connections, so the kernel hands them to both front-ends.
  for (let i = 0; i < N; i += 4) {
    sent += (await Promise.all([0, 1, 2, 3].map(async (j) => {
      const s = (i + j) % 2 === 0 ? a : b
      const bytes = bytesOf.get(s.infoHash)!
      const start = crypto.randomInt(bytes.length - 1)
      const end = Math.min(bytes.length - 1, start + crypto.randomInt(300_000))
      const res = await fetch(`${daemon.base}/stream/${s.infoHash}/0`, { headers: { Range: `bytes=${start}-${end}`, Connection: 'close' } })
      t.equal(res.status, 206)
      t.ok(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(start, end + 1)), `bytes ${start}-${end}`)
      return end - start + 1
    }))).reduce((x, y) => x + y, 0)
  }
  const pids = new Set(daemon.logs.filter((l) => l.message === 'request' && l.route === 'stream-file').map((l) => l.pid))
  t.equal(pids.size, 2, 'both front-ends served some')
  const before = scrapes
  const m = await scrape()
  t.equal(total(m, 'tod_p2m_http_requests_total', { route: 'stream-file' }), N, 'every stream-file request, once')
  t.equal(total(m, 'tod_p2m_http_requests_total', { route: 'stream-file', method: 'GET', status: '206' }), N)
  t.equal(total(m, 'tod_p2m_http_response_body_bytes_total', { route: 'stream-file' }), sent, 'body bytes')
  t.equal(total(m, 'tod_p2m_http_stream_ttfb_seconds_count', { route: 'stream-file' }), N, 'one time to first byte each')
  t.equal(total(m, 'tod_p2m_http_requests_total', { route: 'metrics' }), before, 'earlier scrapes (this one ends after it is rendered)')
  t.equal(total(m, 'tod_p2m_http_requests_total', { route: 'stream-magnet', status: '200' }), 2)
  t.equal(total(m, 'tod_p2m_http_active_streams'), 0)
})

t.test('names, types and engine figures summed over both shards', async (t) => {
  const m = await scrape()
  const expected: Record<string, string> = {
    tod_p2m_http_requests_total: 'counter',
    tod_p2m_http_response_body_bytes_total: 'counter',
    tod_p2m_http_stream_ttfb_seconds: 'histogram',
    tod_p2m_http_active_streams: 'gauge',
    tod_p2m_torrents: 'gauge',
    tod_p2m_peers: 'gauge',
    tod_p2m_downloaded_bytes_total: 'counter',
    tod_p2m_uploaded_bytes_total: 'counter',
    tod_p2m_download_rate_bytes_per_second: 'gauge',
    tod_p2m_upload_rate_bytes_per_second: 'gauge',
    tod_p2m_pieces_verified_total: 'counter',
    tod_p2m_metadata_wait_seconds: 'histogram',
    tod_p2m_stream_windows: 'gauge',
    tod_p2m_disk_used_bytes: 'gauge',
    tod_p2m_disk_quota_bytes: 'gauge',
    tod_p2m_evictions_total: 'counter',
    tod_p2m_reaper_runs_total: 'counter',
    tod_p2m_reaper_last_run_timestamp_seconds: 'gauge',
    tod_p2m_frontend_restarts_total: 'counter',
    tod_p2m_shard_restarts_total: 'counter',
    tod_p2m_shard_up: 'gauge',
    tod_p2m_frontends: 'gauge',
    tod_p2m_engine_task_duration_seconds: 'histogram',
    tod_p2m_metrics_stale_sources: 'gauge',
    tod_p2m_build_info: 'gauge',
    process_cpu_seconds_total: 'counter',
    process_resident_memory_bytes: 'gauge',
    nodejs_eventloop_lag_seconds: 'gauge'
  }
  for (const [name, type] of Object.entries(expected)) t.equal(m.types.get(name), type, name)
  const pieces = (s: Seeder): number => Math.ceil(s.length / s.pieceLength)
  t.equal(total(m, 'tod_p2m_torrents', { state: 'active' }), 2, 'one active torrent on each shard')
  t.equal(total(m, 'tod_p2m_pieces_verified_total'), pieces(a) + pieces(b), 'every piece of both, verified once')
  t.ok(total(m, 'tod_p2m_downloaded_bytes_total') >= a.length + b.length, 'downloaded at least both torrents')
  t.equal(total(m, 'tod_p2m_metadata_wait_seconds_count'), 2, 'two magnets waited for metadata')
  t.same(series(m, 'tod_p2m_shard_up').map((s) => [s.labels.shard, s.value]).sort(), [['0', 1], ['1', 1]])
  t.equal(total(m, 'tod_p2m_frontends'), 2)
  t.equal(total(m, 'tod_p2m_metrics_stale_sources'), 0)
  t.same(series(m, 'process_resident_memory_bytes').map((s) => s.labels.process).sort(), ['frontend-0', 'frontend-1', 'supervisor'])
  t.ok(total(m, 'tod_p2m_engine_task_duration_seconds_count', { task: 'read' }) > 0, 'reads timed')
  t.notOk(m.text.includes(a.infoHash) || m.text.includes(b.infoHash), 'no info-hash in any label')
  t.notOk(series(m, 'tod_p2m_http_requests_total').some((s) => s.labels.route?.includes('/')), 'routes are names, not paths')
})

t.test('promtool check metrics finds no problem in a scrape taken after streaming', async (t) => {
  const text = (await scrape()).text
  const out = await new Promise<{ code: number | null, output: string }>((resolve) => {
    const child = execFile('promtool', ['check', 'metrics'], (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : (err as { code?: number }).code ?? null, output: stdout + stderr })
    })
    child.stdin!.end(text)
  })
  t.equal(out.code, 0, 'exit status')
  t.equal(out.output.trim(), '', 'no problems reported')
})

t.test('counters survive a reload (front-ends replaced) and a front-end killed with SIGKILL', async (t) => {
  await scrape() // so the supervisor holds every front-end's counts before one is killed
  let mark = daemon.logs.length
  daemon.proc.kill('SIGHUP')
  await daemon.waitForLog(since(mark)((l) => l.message === 'reloaded'))
  await waitFor(() => daemon.logs.slice(mark).filter((l) => l.message === 'front-end retired').length === 2, { what: 'the old front-ends to finish', timeoutMs: 30_000 })
  let m = await scrape()
  t.equal(total(m, 'tod_p2m_http_requests_total', { route: 'stream-file' }), N, 'the retired front-ends\' counts are kept')
  t.equal(total(m, 'tod_p2m_frontends'), 2)
  t.equal(total(m, 'tod_p2m_frontend_restarts_total'), 0, 'a reload is not a restart')
  // A new front-end takes the lowest free slot; an old one that is still draining holds its
  // slot, one that finished has freed it (an idle drain now ends at once): either way at most
  // 2 x server.workers values ever, and only the two serving front-ends have gauges.
  const labels = series(m, 'process_resident_memory_bytes').map((s) => String(s.labels.process)).sort()
  t.equal(labels.length, 3, 'the old front-ends\' gauges are gone')
  t.equal(labels[2], 'supervisor')
  for (const l of labels.slice(0, 2)) t.match(l, /^frontend-[0-3]$/, 'a slot below 2 x server.workers')
  t.not(labels[0], labels[1], 'two front-ends, two slots')
  const victim = Number(daemon.logs.slice(mark).find((l) => l.message === 'front-end ready')?.pid)
  mark = daemon.logs.length
  process.kill(victim, 'SIGKILL')
  await daemon.waitForLog(since(mark)((l) => l.message === 'front-end ready'))
  m = await scrape()
  t.equal(total(m, 'tod_p2m_http_requests_total', { route: 'stream-file' }), N, 'still counted after its front-end died')
  t.equal(total(m, 'tod_p2m_frontend_restarts_total'), 1)
  t.equal(total(m, 'tod_p2m_frontends'), 2)
})

t.test('liveness answers from the front-end alone', async (t) => {
  const res = await fetch(`${daemon.base}/health/live`)
  t.equal(res.status, 200)
  t.same(await res.json(), { status: 'ok' })
})

t.test('readiness is 503 while a shard is down and 200 once it is rebuilt; counters survive', async (t) => {
  const ready = await fetch(`${daemon.base}/health`)
  t.equal(ready.status, 200)
  const body = await ready.json() as { checks: { shards: boolean, config: boolean, running: boolean, disk: Array<{ key: string, ok: boolean }> } }
  t.match(body.checks, { shards: true, config: true, running: true, disk: [{ key: 'torrent.dir', ok: true }, { key: 'torrent.state_dir', ok: true }] })
  const verified = total(await scrape(), 'tod_p2m_pieces_verified_total')
  const shard = shardOf(a.infoHash, 2)
  const mark = daemon.logs.length
  const crash = await fetch(`${daemon.base}/debug/crash-shard/${shard}`, { method: 'POST' })
  t.equal(crash.status, 202)
  // The shard is down from its death until the rebuilt thread has loaded its torrents (a
  // backoff plus a thread start: a few hundred ms); poll within that window.
  const rebuilt = (): boolean => daemon.logs.some(since(mark)((l) => l.message === 'shard up' && l.shard === shard))
  let down: HealthBody | null = null
  while (down === null && !rebuilt()) {
    const res = await fetch(`${daemon.base}/health`)
    const report = await res.json() as HealthBody
    if (res.status === 503) down = report
  }
  t.ok(down, 'a 503 while the shard was down')
  t.equal(down?.ready, false)
  t.equal(down?.checks.shards, false)
  t.type(down?.shards[shard]?.error, 'string', 'the down shard says why')
  await waitFor(async () => (await fetch(`${daemon.base}/health`)).status === 200, { what: 'readiness after the rebuild', timeoutMs: 20_000 })
  t.pass('200 again after the rebuild')
  const m = await scrape()
  t.equal(total(m, 'tod_p2m_shard_restarts_total', { shard: String(shard) }), 1)
  t.equal(total(m, 'tod_p2m_shard_up'), 2)
  t.equal(total(m, 'tod_p2m_pieces_verified_total'), verified, 'the dead thread\'s counts are kept')
  t.equal(total(m, 'tod_p2m_torrents'), 2, 'the rebuilt thread reloaded its torrent')
})
