/**
 * Tiny async utilities shared by the test fixtures.
 */

/**
 * Race `promise` against a timer. The timer is cleared as soon as the promise
 * settles, so it never keeps the event loop alive.
 *
 * @param promise - what to wait for.
 * @param ms - timeout in milliseconds.
 * @param what - description used in the timeout error message; may be a
 *   function so expensive diagnostics are only computed on timeout.
 */
export function withTimeout<T> (promise: Promise<T>, ms: number, what: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const desc = typeof what === 'function' ? what() : what
      reject(new Error(`timed out after ${ms} ms: ${desc}`))
    }, ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Options for {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many milliseconds (default 30000). */
  timeoutMs?: number
  /** Delay between attempts in milliseconds (default 100). */
  intervalMs?: number
  /** Used in the timeout error message. */
  what?: string
}

/**
 * Poll `check` until it returns a value other than `undefined`/`false` and
 * resolve with that value. Only for things that have no event to await (for
 * example a child process' HTTP status API). Errors thrown by `check` are
 * remembered and reported on timeout, but do not stop polling unless the
 * check throws an {@link AbortPolling} error.
 */
export async function waitFor<T> (
  check: () => Promise<T | undefined | false> | T | undefined | false,
  opts: WaitForOptions = {}
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000
  const intervalMs = opts.intervalMs ?? 100
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined && value !== false) return value
    } catch (err) {
      if (err instanceof AbortPolling) throw err
      lastError = err
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'}${cause}`)
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/** Throw this from a {@link waitFor} check to stop polling immediately. */
export class AbortPolling extends Error {
  override name = 'AbortPolling'
}
