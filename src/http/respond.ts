import type { ServerResponse } from 'node:http'
import { toTodError } from '../errors.js'
import type { TodError } from '../errors.js'
import type { Logger } from '../log.js'

const JSON_TYPE = 'application/json; charset=utf-8'

/** Sends a JSON body. */
export function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', ...headers })
  res.end(text)
}

/**
 * The one error answer, `{"error":{"code","message"}}` with the catalogue's status and headers:
 * used by responses ({@link sendError}) and by answers written straight to a socket that has
 * no response object (the server's parser errors).
 */
export function errorAnswer (e: TodError): { status: number, headers: Record<string, string | number>, body: string } {
  const body = JSON.stringify({ error: { code: e.code, message: e.message } })
  return { status: e.status, headers: { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...e.headers }, body }
}

/**
 * The one place errors become HTTP responses (see {@link errorAnswer}). Unknown errors are
 * logged with their cause and answered 500 without internals.
 */
export function sendError (res: ServerResponse, err: unknown, log: Logger): TodError {
  const e = toTodError(err)
  if (e.code === 'TOD_ERR_INTERNAL') log.error('internal error', { err: String(e.cause ?? err), stack: (e.cause as Error | undefined)?.stack })
  if (res.headersSent) {
    res.destroy()
    return e
  }
  const answer = errorAnswer(e)
  res.writeHead(answer.status, answer.headers)
  res.end(answer.body)
  return e
}
