import type { Handler } from '../routes.js'
import { sendJson } from '../respond.js'
import { parseFileId } from './stream.js'

/** GET /health: 200 when every shard answers, 503 otherwise. */
export const health: Handler = async (_req, res, _url, { engine }) => {
  const report = await engine.health()
  sendJson(res, report.ready ? 200 : 503, { status: report.ready ? 'ok' : 'unavailable', ...report })
  return 0
}

/** POST /debug/crash-shard/{n}: only with debug.fault_injection (tests); 404 otherwise. */
export const crashShard: Handler = async (_req, res, url, { engine }) => {
  const shard = parseFileId(url.pathname.split('/')[3] ?? '')
  await engine.run({ type: 'crash', shard }).catch(() => {}) // the thread dies under the task
  sendJson(res, 202, { crashing: shard })
  return 0
}
