import { TodError } from '../errors.js'

interface Pending<T> {
  resolve: (value: T) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
}

/**
 * Request/reply correlation over a channel that carries messages, not calls (cluster IPC): each
 * request gets a fresh id, its reply settles it, a reply that never comes rejects it after a
 * timeout, and a channel that closes rejects everything still waiting. A late or duplicate
 * reply is ignored.
 */
export class RequestReply<T> {
  readonly #pending = new Map<number, Pending<T>>()
  readonly #timeoutMs: number
  readonly #timedOut: (ms: number) => Error
  #nextId = 1

  /**
   * `timeoutMs`: how long a request waits for its reply unless the request says otherwise;
   * `timedOut`: the error a request that got no reply fails with (TOD_ERR_ENGINE by default).
   */
  constructor (timeoutMs: number, timedOut: (ms: number) => Error = () => new TodError('TOD_ERR_ENGINE', { reason: 'it did not answer in time' })) {
    this.#timeoutMs = timeoutMs
    this.#timedOut = timedOut
  }

  /** Requests waiting for their reply. */
  get size (): number {
    return this.#pending.size
  }

  /**
   * Sends a request with a fresh id (`send` puts the id in the message) and resolves with its
   * reply; rejects when none comes in time, or when `send` throws.
   */
  async request (send: (id: number) => void, timeoutMs = this.#timeoutMs): Promise<T> {
    const id = this.#nextId++
    return await new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(this.#timedOut(timeoutMs))
      }, timeoutMs)
      this.#pending.set(id, { resolve, reject, timer })
      try {
        send(id)
      } catch (err) {
        this.reject(id, err instanceof Error ? err : new Error(String(err)))
      }
    })
  }

  /** The reply to request `id`; false when it is unknown (timed out already, or a duplicate). */
  resolve (id: number, value: T): boolean {
    const p = this.#take(id)
    p?.resolve(value)
    return p !== undefined
  }

  /** Fails request `id`; false when it is unknown. */
  reject (id: number, err: Error): boolean {
    const p = this.#take(id)
    p?.reject(err)
    return p !== undefined
  }

  /** The channel closed: every waiting request fails with `err`. */
  rejectAll (err: Error): void {
    for (const id of [...this.#pending.keys()]) this.reject(id, err)
  }

  #take (id: number): Pending<T> | undefined {
    const p = this.#pending.get(id)
    if (p === undefined) return undefined
    this.#pending.delete(id)
    clearTimeout(p.timer)
    return p
  }
}

/**
 * `promise`, or `fallback` if it has not settled within `ms`. The timer is cleared once either
 * wins, so a wait never holds the process open (`tod-p2m reap` once waited 5 s to exit).
 */
export async function within<T> (promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => { resolve(fallback) }, ms)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}
