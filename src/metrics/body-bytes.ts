import type { ServerResponse } from 'node:http'

/**
 * Body bytes that reach a response's socket without `res.write` (sendfile(2) writes into the
 * socket's fd), for whoever counts the response's bytes: `HttpMetrics.track` counts the rest by
 * wrapping `res.write`, and `socket.bytesWritten` does not see these either.
 */
const counters = new WeakMap<ServerResponse, (bytes: number) => void>()

/** Registers the counter of `res`'s body bytes sent around `res.write`. */
export function countBodyBytesWith (res: ServerResponse, count: (bytes: number) => void): void {
  counters.set(res, count)
}

/** Reports `bytes` of `res`'s body written to its socket directly. */
export function bodyBytesSent (res: ServerResponse, bytes: number): void {
  counters.get(res)?.(bytes)
}
