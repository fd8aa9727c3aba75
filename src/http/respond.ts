import type { ServerResponse } from 'node:http'
import { toTodError } from '../errors.js'
import type { TodError } from '../errors.js'
import type { Logger } from '../log.js'

/** Sends a JSON body. */
export function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', ...headers })
  res.end(text)
}

/**
 * The one place errors become HTTP: `{"error":{"code","message"}}` with the catalogue's status.
 * Unknown errors are logged with their cause and answered 500 without internals.
 */
export function sendError (res: ServerResponse, err: unknown, log: Logger): TodError {
  const e = toTodError(err)
  if (e.code === 'TOD_ERR_INTERNAL') log.error('internal error', { err: String(e.cause ?? err), stack: (e.cause as Error | undefined)?.stack })
  if (res.headersSent) {
    res.destroy()
    return e
  }
  sendJson(res, e.status, { error: { code: e.code, message: e.message } }, { ...e.headers })
  return e
}
