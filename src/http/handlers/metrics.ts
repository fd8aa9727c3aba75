import { METRICS_CONTENT_TYPE } from '../../metrics/render.js'
import type { Handler } from '../routes.js'

/** GET /metrics: every front-end, shard thread and the supervisor, merged (src/metrics/hub.ts). */
export const metrics: Handler = async ({ req, res, ctx: { engine } }) => {
  const text = await engine.metrics()
  const length = Buffer.byteLength(text)
  res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Content-Length': length, 'Cache-Control': 'no-store' })
  res.end(req.method === 'HEAD' ? undefined : text)
}
