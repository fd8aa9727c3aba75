import t from 'tap'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { keyFigures } from '../../../src/metrics/key-figures.js'
import { MetricsLedger, monotonic, sumSnapshots } from '../../../src/metrics/ledger.js'
import { snapshotOf } from '../../../src/metrics/registry.js'
import { renderMetrics } from '../../../src/metrics/render.js'
import type { MetricsSnapshot } from '../../../src/protocol.js'

/** A source as a front-end would be: requests by route, a gauge, a histogram. */
async function source (requests: Record<string, number>, streams: number, ttfb: number[], processLabel?: string): Promise<MetricsSnapshot> {
  const registry = new Registry()
  const registers = [registry]
  const c = new Counter({ name: 'tod_p2m_http_requests_total', help: 'requests', labelNames: ['route'], registers })
  for (const [route, n] of Object.entries(requests)) c.inc({ route }, n)
  new Gauge({ name: 'tod_p2m_http_active_streams', help: 'streams', registers }).set(streams)
  const h = new Histogram({ name: 'tod_p2m_http_stream_ttfb_seconds', help: 'ttfb', buckets: [0.1, 1], registers })
  for (const v of ttfb) h.observe(v)
  if (processLabel !== undefined) new Gauge({ name: 'process_resident_memory_bytes', help: 'rss', labelNames: ['process'], registers }).set({ process: processLabel }, 100)
  return await snapshotOf(registry)
}

const value = (snapshot: MetricsSnapshot, name: string, labels: Record<string, string> = {}, metricName?: string): number | undefined =>
  snapshot.find((m) => m.name === name)?.values.find((v) => (metricName === undefined || v.metricName === metricName) &&
    Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l))?.value

t.test('sumSnapshots adds series with the same name, sample name and labels', async (t) => {
  const sum = sumSnapshots([await source({ a: 2, b: 1 }, 1, [0.05]), await source({ a: 3 }, 2, [0.5, 2])])
  t.equal(value(sum, 'tod_p2m_http_requests_total', { route: 'a' }), 5)
  t.equal(value(sum, 'tod_p2m_http_requests_total', { route: 'b' }), 1)
  t.equal(value(sum, 'tod_p2m_http_active_streams'), 3)
  t.equal(value(sum, 'tod_p2m_http_stream_ttfb_seconds', { le: '0.1' }, 'tod_p2m_http_stream_ttfb_seconds_bucket'), 1)
  t.equal(value(sum, 'tod_p2m_http_stream_ttfb_seconds', { le: '1' }, 'tod_p2m_http_stream_ttfb_seconds_bucket'), 2)
  t.equal(value(sum, 'tod_p2m_http_stream_ttfb_seconds', {}, 'tod_p2m_http_stream_ttfb_seconds_count'), 3)
  t.same(sumSnapshots([]), [])
})

t.test('monotonic keeps counters and histograms only', async (t) => {
  t.same(monotonic(await source({ a: 1 }, 5, [1])).map((m) => m.name).sort(), ['tod_p2m_http_requests_total', 'tod_p2m_http_stream_ttfb_seconds'])
})

t.test('a retired source keeps its counts, not its gauges, and totals never go down', async (t) => {
  const ledger = new MetricsLedger()
  ledger.update('frontend:1', await source({ a: 10 }, 2, []))
  ledger.update('frontend:2', await source({ a: 5 }, 1, []))
  const before = sumSnapshots(ledger.snapshots())
  t.equal(value(before, 'tod_p2m_http_requests_total', { route: 'a' }), 15)
  t.equal(value(before, 'tod_p2m_http_active_streams'), 3)
  ledger.retire('frontend:1')
  ledger.retire('frontend:1') // idempotent
  ledger.update('frontend:3', await source({ a: 1 }, 0, [])) // its replacement starts from zero
  const after = sumSnapshots(ledger.snapshots())
  t.equal(value(after, 'tod_p2m_http_requests_total', { route: 'a' }), 16)
  t.equal(value(after, 'tod_p2m_http_active_streams'), 1, 'the retired gauge is gone')
  t.same(ledger.live().sort(), ['frontend:2', 'frontend:3'])
})

t.test('a final snapshot arriving after the exit corrects what the source left', async (t) => {
  const ledger = new MetricsLedger()
  ledger.update('frontend:1', await source({ a: 10 }, 0, []))
  ledger.retire('frontend:1')
  ledger.update('frontend:1', await source({ a: 12 }, 0, [])) // the late final one
  t.same(ledger.live(), [], 'not live again')
  t.equal(value(sumSnapshots(ledger.snapshots()), 'tod_p2m_http_requests_total', { route: 'a' }), 12)
})

t.test('many retired sources are compacted without changing the totals', async (t) => {
  const ledger = new MetricsLedger()
  for (let i = 0; i < 50; i++) {
    ledger.update(`frontend:${i}`, await source({ a: 1 }, 1, [0.5]))
    ledger.retire(`frontend:${i}`)
  }
  t.ok(ledger.snapshots().length <= 10, 'bounded')
  const sum = sumSnapshots(ledger.snapshots())
  t.equal(value(sum, 'tod_p2m_http_requests_total', { route: 'a' }), 50)
  t.equal(value(sum, 'tod_p2m_http_stream_ttfb_seconds', {}, 'tod_p2m_http_stream_ttfb_seconds_count'), 50)
})

t.test('renderMetrics sums every source and keeps per-process series apart', async (t) => {
  const text = await renderMetrics([await source({ a: 2 }, 1, [0.05], 'frontend-0'), await source({ a: 3 }, 1, [2], 'frontend-1'), []])
  t.match(text, /^# TYPE tod_p2m_http_requests_total counter$/m)
  t.match(text, /^tod_p2m_http_requests_total\{route="a"\} 5$/m)
  t.match(text, /^tod_p2m_http_active_streams 2$/m)
  t.match(text, /^tod_p2m_http_stream_ttfb_seconds_bucket\{le="\+Inf"\} 2$/m)
  t.match(text, /^process_resident_memory_bytes\{process="frontend-0"\} 100$/m)
  t.match(text, /^process_resident_memory_bytes\{process="frontend-1"\} 100$/m)
})

t.test('keyFigures reads the summed figures PM2 shows', async (t) => {
  const f = keyFigures(sumSnapshots([await source({ a: 2, b: 1 }, 1, []), await source({ a: 3 }, 2, [])]))
  t.equal(f.httpRequests, 6)
  t.equal(f.activeStreams, 3)
  t.equal(f.torrents, 0, 'absent metrics are 0')
})
