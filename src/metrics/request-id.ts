import crypto from 'node:crypto'

/**
 * An incoming X-Request-Id is kept (so a proxy's id follows the request into our logs) only
 * when it is short and made of characters that are safe in a log line and a header: letters,
 * digits and `-_.:=+/@`, at most 64 of them (a UUID, a ULID, an AWS trace id fit).
 */
const SAFE_ID = /^[A-Za-z0-9._:=+/@-]{1,64}$/

/** The request's id: the client's X-Request-Id when it is safe, else a new random UUID. */
export function requestId (incoming: string | string[] | undefined): string {
  const value = Array.isArray(incoming) ? incoming[0] : incoming
  return value !== undefined && SAFE_ID.test(value) ? value : crypto.randomUUID()
}
