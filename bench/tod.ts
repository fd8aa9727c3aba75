/**
 * tod-p2m as a contender: one daemon per run (2 front-ends and 2 shards by default), started
 * the way `npm start` runs it, with DHT/LSD/NAT traversal off and private networks allowed
 * (the swarm is on 127.0.0.1). "Fresh" is what a running server does for a new viewer:
 * DELETE the torrent (data and state go), then POST /torrents with the magnet and time the
 * answer, which comes once the metadata is there.
 */
import { startDaemon } from '../test/helpers/daemon.js'
import type { Daemon } from '../test/helpers/daemon.js'
import type { Cleanup } from './cleanup.js'
import type { Fresh, SwarmContender } from './contender.js'
import { PeakSampler } from './proc-stats.js'
import type { MemoryPeak } from './proc-stats.js'
import { msSince } from './stats.js'
import type { Swarm } from './swarm.js'

/** Options for {@link TodContender}. */
export interface TodOptions {
  workers: number
  shards: number
  /** Extra TOD_P2M_* environment (settings under test). */
  env: Readonly<Record<string, string>>
}

export class TodContender implements SwarmContender {
  readonly name = 'tod-p2m'
  readonly #swarm: Swarm
  readonly #opts: TodOptions
  readonly #cleanup: Cleanup
  #daemon: Daemon | undefined
  #stop: (() => Promise<void>) | undefined
  #sampler: PeakSampler | undefined
  #added = false

  constructor (swarm: Swarm, opts: TodOptions, cleanup: Cleanup) {
    this.#swarm = swarm
    this.#opts = opts
    this.#cleanup = cleanup
  }

  async begin (): Promise<void> {
    const daemon = await startDaemon({ workers: this.#opts.workers, shards: this.#opts.shards, env: { ...this.#opts.env } })
    this.#daemon = daemon
    this.#stop = this.#cleanup.defer('stop tod-p2m', async () => { await daemon.stop() })
    this.#sampler = new PeakSampler(daemon.proc.pid!)
    this.#added = false
  }

  async fresh (): Promise<Fresh> {
    const daemon = this.#need()
    if (this.#added) await this.#delete(daemon.base)
    const t0 = process.hrtime.bigint()
    const res = await fetch(`${daemon.base}/torrents`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ magnet: this.#swarm.magnet }),
      signal: AbortSignal.timeout(60_000)
    })
    const body = await res.text()
    const metadataMs = msSince(t0)
    if (res.status !== 201) throw new Error(`POST /torrents: HTTP ${res.status} ${body.slice(0, 300)} (201 expected: a new torrent)`)
    this.#added = true
    return { url: `${daemon.base}/stream/${this.#swarm.infoHash}/0`, pid: daemon.proc.pid!, metadataMs }
  }

  async end (): Promise<MemoryPeak> {
    const peak = this.#sampler?.stop() ?? { rss: 0, pss: 0 }
    await this.#stop?.()
    this.#daemon = undefined
    return peak
  }

  #need (): Daemon {
    if (this.#daemon === undefined) throw new Error('tod-p2m: begin() first')
    return this.#daemon
  }

  /**
   * DELETE /torrent/{ih}. The front-end releases a stream's window just after the response
   * ends, so a DELETE right after a read can still find it streamed (409): try again briefly.
   */
  async #delete (base: string): Promise<void> {
    const deadline = Date.now() + 15_000
    for (;;) {
      const res = await fetch(`${base}/torrent/${this.#swarm.infoHash}`, { method: 'DELETE', signal: AbortSignal.timeout(30_000) })
      await res.arrayBuffer()
      if (res.status === 204 || res.status === 404) return
      if (res.status !== 409 || Date.now() > deadline) throw new Error(`DELETE /torrent: HTTP ${res.status}`)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }
}
