import type { Config } from '../config/config.js'
import { shardOf } from '../infohash.js'
import type { Logger } from '../log.js'
import type { EngineTask, PingResult } from '../protocol.js'
import { Shard } from './shard-pool.js'
import type { TaskObserver } from './shard-pool.js'

/**
 * The engine: `torrent.shards` shard threads, each owning the torrents whose info-hash maps to
 * it (src/infohash.ts). Routes a task to its owner, or asks every shard at once.
 */
export class ShardSet {
  readonly shards: readonly Shard[]

  /**
   * `config` is handed whole to each shard thread (the engine reads most of it); `changed` is
   * told when a thread dies or comes up.
   */
  constructor (config: Config, log: Logger, observe?: TaskObserver, changed?: () => void) {
    this.shards = Array.from({ length: config.torrent.shards }, (_, i) => new Shard(i, config, log, observe, changed))
  }

  /** Starts every thread and waits until each has reloaded its torrents. */
  async start (): Promise<void> {
    await Promise.all(this.shards.map(async (s) => await s.start()))
  }

  /** The shard that owns `infoHash`. */
  shardFor (infoHash: string): Shard {
    return this.shards[shardOf(infoHash, this.shards.length)] as Shard
  }

  /** Shard `index`, if there is one. */
  at (index: number): Shard | undefined {
    return this.shards[index]
  }

  /** Runs a task on every shard at once and collects the values (shards that fail are left out). */
  async everyShard<T> (task: EngineTask): Promise<T[]> {
    const outs = await Promise.all(this.shards.map(async (s) => await s.run(task)))
    return outs.flatMap((o) => o.ok ? [o.value as T] : [])
  }

  /** Pings every shard at once; one that does not answer within `ms` is reported down. */
  async ping (ms: number): Promise<Array<PingResult | { shard: number, error: string }>> {
    return await Promise.all(this.shards.map(async (s) => await s.ping(ms)))
  }

  /** A reload changed logging.level. */
  setLogLevel (level: Config['logging']['level']): void {
    for (const s of this.shards) void s.setLogLevel(level)
  }

  /** Lets every thread persist its state, all at once, then ends them. */
  async close (): Promise<void> {
    await Promise.all(this.shards.map(async (s) => await s.close()))
  }
}
