/**
 * One daemon-wide bandwidth cap shared between shard threads. Each shard's WebTorrent client
 * has its own throttle, so a cap split evenly would let a daemon with one busy torrent use
 * only 1/M of it. Instead the supervisor measures every second what each shard moved and
 * hands the cap out again by demand (max-min fair): a shard that used less than its share
 * keeps what it used plus headroom, the rest is split between the shards that used up theirs.
 * The shares always add up to the cap, so the daemon never exceeds it by more than one
 * interval's token-bucket burst.
 */

/** A shard that moved at least this fraction of its share is treated as wanting more. */
const HUNGRY = 0.85
/** Headroom over what a shard used, so a shard speeding up is not held at its last rate. */
const HEADROOM = 1.25
/** Every shard keeps at least this fraction of the cap (divided between shards), to ramp up from. */
const FLOOR = 0.05

/**
 * The next shares of `total` bytes/s, from each shard's current share and what it moved in the
 * last second (bytes/s). Pure: the loop around it is {@link BandwidthBalancer}.
 */
export function allocate (total: number, shares: readonly number[], used: readonly number[]): number[] {
  const n = shares.length
  if (n === 0) return []
  const floor = Math.max(1, Math.floor(total * FLOOR / n))
  const need = shares.map((share, i) => {
    const u = used[i] ?? 0
    return u >= share * HUNGRY ? Infinity : Math.max(floor, Math.ceil(u * HEADROOM))
  })
  // Water-filling: the smallest needs are met first, each at most an equal split of what is left.
  const out = new Array<number>(n).fill(0)
  let left = total
  const order = need.map((_, i) => i).sort((a, b) => (need[a] as number) - (need[b] as number))
  order.forEach((i, k) => {
    const give = Math.min(need[i] as number, Math.floor(left / (n - k)))
    out[i] = give
    left -= give
  })
  // Nobody wanted more: what is left is spread evenly, so any shard can speed up at once.
  const each = Math.floor(left / n)
  return out.map((share, i) => share + each + (i < left - each * n ? 1 : 0))
}

/** What a shard moved so far (cumulative bytes) and how to set its caps; -1 is unlimited. */
export interface ThrottledShard {
  throttle: (download: number, upload: number) => Promise<{ downloaded: number, uploaded: number } | null>
}

export interface BandwidthCaps { download: number, upload: number }

/** The loop that applies {@link allocate} to the shards every second while a cap is set. */
export class BandwidthBalancer {
  readonly #shards: readonly ThrottledShard[]
  #caps: BandwidthCaps
  #down: number[]
  #up: number[]
  #last: Array<{ downloaded: number, uploaded: number } | null>
  #timer: NodeJS.Timeout | undefined
  /** The shards run without caps (each shard's client starts with the even split of the config). */
  #uncapped: boolean

  constructor (shards: readonly ThrottledShard[], caps: BandwidthCaps) {
    this.#shards = shards
    this.#caps = caps
    this.#down = evenly(caps.download, shards.length)
    this.#up = evenly(caps.upload, shards.length)
    this.#last = shards.map(() => null)
    this.#uncapped = caps.download <= 0 && caps.upload <= 0
  }

  start (): void {
    this.#timer ??= setInterval(() => { void this.#tick() }, 1000)
    this.#timer.unref()
  }

  stop (): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** New daemon-wide caps (SIGHUP). */
  setCaps (caps: BandwidthCaps): void {
    this.#caps = caps
    this.#down = evenly(caps.download, this.#shards.length)
    this.#up = evenly(caps.upload, this.#shards.length)
  }

  async #tick (): Promise<void> {
    const { download, upload } = this.#caps
    // No caps, and the shards were told so: nothing to balance.
    if (download <= 0 && upload <= 0 && this.#uncapped) return
    this.#uncapped = download <= 0 && upload <= 0
    // Read the counters (re-applying the current shares), then apply the new shares at once.
    const now = await Promise.all(this.#shards.map(async (s, i) =>
      await s.throttle(this.#down[i] ?? -1, this.#up[i] ?? -1).catch(() => null)))
    const usedDown = now.map((n, i) => rate(this.#last[i] ?? null, n, 'downloaded'))
    const usedUp = now.map((n, i) => rate(this.#last[i] ?? null, n, 'uploaded'))
    this.#last = now
    if (download > 0) this.#down = allocate(download, this.#down, usedDown)
    if (upload > 0) this.#up = allocate(upload, this.#up, usedUp)
    await Promise.all(this.#shards.map(async (s, i) => await s.throttle(this.#down[i] ?? -1, this.#up[i] ?? -1).catch(() => null)))
  }
}

function evenly (total: number, n: number): number[] {
  return Array.from({ length: n }, () => total > 0 ? Math.max(1, Math.floor(total / n)) : -1)
}

function rate (before: { downloaded: number, uploaded: number } | null, after: { downloaded: number, uploaded: number } | null, key: 'downloaded' | 'uploaded'): number {
  if (before === null || after === null) return 0
  return Math.max(0, after[key] - before[key])
}
