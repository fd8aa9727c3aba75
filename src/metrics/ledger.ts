import type { MetricJson, MetricsSnapshot } from '../protocol.js'

/** Retired sources kept one by one; older ones are summed into one (a late final snapshot only ever corrects a recent one). */
const KEEP_RETIRED = 8

/**
 * The latest metrics of every source (front-end, shard thread, supervisor), so that one scrape
 * can merge them, and what is left of sources that ended.
 *
 * A front-end that exits or a shard thread that is rebuilt starts its counters from zero. Its
 * last snapshot is kept as "retired": its counters and histograms still count, its gauges do
 * not. So the daemon-wide counters never go down while the supervisor runs; what a crashed
 * source counted after its last snapshot is lost (a front-end that drains sends a final one).
 */
export class MetricsLedger {
  readonly #live = new Map<string, MetricsSnapshot>()
  readonly #retired = new Map<string, MetricsSnapshot>()
  /** Retired sources beyond KEEP_RETIRED, summed. */
  #compacted: MetricsSnapshot = []

  /** A snapshot from `source`. One from a source already retired (a late final one) replaces what it left. */
  update (source: string, snapshot: MetricsSnapshot): void {
    if (this.#retired.has(source)) this.#retired.set(source, monotonic(snapshot))
    else this.#live.set(source, snapshot)
  }

  /** `source` ended: from now on only its counters and histograms count. Idempotent. */
  retire (source: string): void {
    const last = this.#live.get(source)
    if (last === undefined) return
    this.#live.delete(source)
    this.#retired.set(source, monotonic(last))
    if (this.#retired.size <= KEEP_RETIRED) return
    const oldest = this.#retired.keys().next().value as string
    this.#compacted = sumSnapshots([this.#compacted, this.#retired.get(oldest) ?? []])
    this.#retired.delete(oldest)
  }

  /** Sources still running. */
  live (): string[] {
    return [...this.#live.keys()]
  }

  /** Everything to merge for a scrape: live sources whole, retired ones' counters and histograms. */
  snapshots (): MetricsSnapshot[] {
    return [...this.#live.values(), ...this.#retired.values(), this.#compacted]
  }
}

/** The counters and histograms of a snapshot: what still means something after its source ended. */
export function monotonic (snapshot: MetricsSnapshot): MetricsSnapshot {
  return snapshot.filter((m) => m.type === 'counter' || m.type === 'histogram')
}

/**
 * Sums snapshots series by series (same metric, same sample name, same labels), the way
 * prom-client's AggregatorRegistry does with the `sum` aggregator.
 */
export function sumSnapshots (snapshots: readonly MetricsSnapshot[]): MetricsSnapshot {
  const metrics = new Map<string, { metric: MetricJson, series: Map<string, MetricJson['values'][number]> }>()
  for (const snapshot of snapshots) {
    for (const m of snapshot) {
      let acc = metrics.get(m.name)
      if (acc === undefined) metrics.set(m.name, acc = { metric: { ...m, values: [] }, series: new Map() })
      for (const v of m.values) {
        const key = seriesKey(v)
        const seen = acc.series.get(key)
        if (seen !== undefined) {
          seen.value += v.value
          continue
        }
        const copy = { ...v, labels: { ...v.labels } }
        acc.series.set(key, copy)
        acc.metric.values.push(copy)
      }
    }
  }
  return [...metrics.values()].map((a) => a.metric)
}

function seriesKey (v: MetricJson['values'][number]): string {
  const labels = Object.keys(v.labels).sort().map((k) => `${k}=${String(v.labels[k])}`).join(',')
  return `${v.metricName ?? ''}{${labels}}`
}
