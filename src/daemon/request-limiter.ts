import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible'
import type { Admission } from '../protocol.js'

/**
 * Requests per client per minute, for the whole daemon. It lives in the supervisor, which every
 * front-end asks (one IPC round trip, well under a millisecond on loopback), so the count is
 * the same whichever front-end a client's connections land on; a per-front-end counter would
 * let a client multiply its allowance by the number of front-ends.
 */
export class RequestLimiter {
  #limiter: RateLimiterMemory | null = null

  constructor (perMinute: number) {
    this.setLimit(perMinute)
  }

  /** 0 turns the limit off. A change starts every client's count afresh. */
  setLimit (perMinute: number): void {
    this.#limiter = perMinute > 0 ? new RateLimiterMemory({ points: perMinute, duration: 60 }) : null
  }

  /** Counts one request of `key` (an address, or an IPv6 /64). */
  async admit (key: string): Promise<Admission> {
    if (this.#limiter === null) return { allowed: true, retryAfterSec: 0 }
    try {
      await this.#limiter.consume(key)
      return { allowed: true, retryAfterSec: 0 }
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res
      return { allowed: false, retryAfterSec: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) }
    }
  }
}
