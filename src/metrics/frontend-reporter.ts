import type { FrontendMessage, SupervisorMessage } from '../protocol.js'
import type { HttpMetrics } from './http-metrics.js'

/** The slice of `process` (cluster IPC) the reporter uses; `send`'s callback runs once the message is handed to the channel. */
export interface MetricsChannel {
  send: (msg: FrontendMessage, handle?: undefined, options?: undefined, callback?: (err: Error | null) => void) => unknown
  on: (event: 'message', listener: (msg: SupervisorMessage) => void) => unknown
}

/** Answers the supervisor's `collect-metrics` with this front-end's metrics. */
export function answerMetricsRequests (ipc: MetricsChannel, metrics: HttpMetrics): void {
  ipc.on('message', (msg) => {
    if (msg.kind !== 'collect-metrics') return
    // With a callback, a channel closed meanwhile is reported to it rather than thrown as an 'error' event.
    void metrics.snapshot().then((snapshot) => { ipc.send({ kind: 'metrics-snapshot', id: msg.id, metrics: snapshot }, undefined, undefined, () => {}) })
  })
}

/**
 * Sends the final counts of a front-end that has drained, so a reload loses none; resolves
 * once they are handed to the channel (or after a second: exiting matters more).
 */
export async function sendFinalMetrics (ipc: MetricsChannel, metrics: HttpMetrics): Promise<void> {
  const snapshot = await metrics.snapshot()
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1000)
    ipc.send({ kind: 'metrics-final', metrics: snapshot }, undefined, undefined, () => { clearTimeout(timer); resolve() })
  })
}
