import type { Handler } from '../routes.js'
import { sendJson } from '../respond.js'

/**
 * GET /health: readiness, for a load balancer. 200 when every shard answers, the data folders
 * are writable and the daemon is not shutting down; 503 otherwise; `checks` says which failed.
 */
export const health: Handler = async ({ res, ctx: { engine } }) => {
  const report = await engine.health()
  sendJson(res, report.ready ? 200 : 503, { status: report.ready ? 'ok' : 'unavailable', ...report })
}

/**
 * GET /health/live: liveness. This front-end answers without asking the supervisor or the
 * engine, so a busy or rebuilding shard never gets a live daemon restarted.
 */
export const live: Handler = async ({ res }) => {
  sendJson(res, 200, { status: 'ok' })
}

/** POST /debug/crash-shard/{n}: only with debug.fault_injection (tests); 404 otherwise. */
export const crashShard: Handler<{ shard: number }> = async ({ res, params: { shard }, ctx: { engine } }) => {
  await engine.run({ type: 'crash', shard }).catch(() => {}) // the thread dies under the task
  sendJson(res, 202, { crashing: shard })
}
