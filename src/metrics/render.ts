import { AggregatorRegistry } from 'prom-client'
import type { MetricsSnapshot } from '../protocol.js'

/**
 * Merges snapshots into one Prometheus text exposition with prom-client's
 * `AggregatorRegistry.aggregate`. Every metric is summed: series that must stay apart (process
 * figures) carry a distinct `process` label, and the rest (requests, torrents, peers, bytes)
 * are daemon-wide totals. The per-metric aggregators prom-client sets (`omit` for
 * process_start_time_seconds, `average` for event loop lag) would drop or blur per-process
 * series, so they are overridden.
 */
export async function renderMetrics (snapshots: readonly MetricsSnapshot[], labels: Record<string, string> = {}): Promise<string> {
  const summed = snapshots.map((s) => s.map((m) => ({ ...m, aggregator: 'sum' })))
  const registry = AggregatorRegistry.aggregate(summed)
  // The node name (server.node_name) on every series: scrapes of several nodes stay apart.
  registry.setDefaultLabels(labels)
  return await registry.metrics()
}

/** The Content-Type of {@link renderMetrics}' text. */
export const METRICS_CONTENT_TYPE = AggregatorRegistry.PROMETHEUS_CONTENT_TYPE
