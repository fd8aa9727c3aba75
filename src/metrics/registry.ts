import { Registry, collectDefaultMetrics } from 'prom-client'
import type { MetricsSnapshot } from '../protocol.js'

/** Every metric of this daemon starts with this. */
export const PREFIX = 'tod_p2m_'
/**
 * prom-client default metrics that are gauges named like counters, which `promtool check
 * metrics` rejects; the same figures stay available by type as nodejs_active_handles,
 * nodejs_active_requests and nodejs_active_resources.
 */
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']

/**
 * A registry for one role. With `processLabel` it also holds prom-client's process and Node.js
 * metrics (CPU, memory, file descriptors, event loop lag, GC), each labelled
 * `process="<processLabel>"` so they stay per process when the supervisor sums every source.
 * Labels are `supervisor` and `frontend-<slot>`, slots being reused once their front-end has
 * exited: at most 2 x server.workers of them (a reload starts the new ones before the old exit).
 * Shard threads pass none: they share the supervisor's process, whose figures include them.
 */
export function newRegistry (processLabel?: string): Registry {
  const registry = new Registry()
  if (processLabel !== undefined) {
    collectDefaultMetrics({ register: registry, labels: { process: processLabel } })
    for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name)
  }
  return registry
}

/**
 * The registry's metrics in the form that crosses IPC and thread boundaries. The cast is the
 * one place prom-client's typings (a numeric `type` enum) meet the run-time JSON.
 */
export async function snapshotOf (registry: Registry): Promise<MetricsSnapshot> {
  return await registry.getMetricsAsJSON() as unknown as MetricsSnapshot
}
