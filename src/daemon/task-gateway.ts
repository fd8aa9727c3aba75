import type { Logger } from '../log.js'
import { TodError, serializeError } from '../errors.js'
import { isFrontendTask } from '../protocol.js'
import type { EngineTask } from '../protocol.js'
import type { TaskOutcome } from '../workers/engine.js'
import type { ShardSet } from './shard-set.js'
import type { TorrentLedger } from './torrent-ledger.js'

/** Whom the gateway tells of what a task changed. */
export interface GatewayHooks {
  /** A torrent may have become evictable, or the count grew: reap soon. */
  nudge: () => void
  /** A torrent or a stream came or went (the readiness report shows both). */
  changed: () => void
}

/**
 * The engine tasks front-ends send: only those in FRONTEND_TASKS (src/protocol.ts) pass. Adds
 * reserve a place in the torrent ledger (the torrent caps) and settle it with the outcome;
 * each front-end's open streams are remembered so they can be released when it dies; a new
 * torrent or an ended stream nudges the reaper.
 */
export class TaskGateway {
  readonly #shards: ShardSet
  readonly #ledger: TorrentLedger
  readonly #hooks: GatewayHooks
  readonly #log: Logger
  /** Open streams (stream id -> info-hash) per front-end (cluster worker id). */
  readonly #streams = new Map<number, Map<string, string>>()

  constructor (shards: ShardSet, ledger: TorrentLedger, hooks: GatewayHooks, log: Logger) {
    this.#shards = shards
    this.#ledger = ledger
    this.#hooks = hooks
    this.#log = log
  }

  /** Runs `task` for front-end `frontend`; `client` (who asked) counts towards the per-client cap. */
  async run (frontend: number, task: EngineTask, client?: string): Promise<TaskOutcome> {
    if (!isFrontendTask(task)) {
      return { ok: false, error: serializeError(new TodError('TOD_ERR_BAD_QUERY', { reason: 'a front-end cannot send this task' })) }
    }
    if (task.type === 'crash') {
      const target = this.#shards.at(task.shard)
      return target !== undefined ? await target.run(task) : { ok: false, error: serializeError(new TodError('TOD_ERR_BAD_QUERY', { reason: 'there is no shard with this number' })) }
    }
    const streams = this.#streams.get(frontend)
    // Only a stream's first read opens its window: later reads change nothing readiness shows.
    const opens = task.type === 'read' && streams?.has(task.streamId) === false
    if (task.type === 'read') streams?.set(task.streamId, task.infoHash)
    if (task.type === 'release') streams?.delete(task.streamId)
    let reserved = false
    if (task.type === 'add' && client !== undefined) {
      try {
        reserved = this.#ledger.reserve(task.infoHash, client)
      } catch (err) {
        this.#log.warn('torrent refused: limit reached', { infoHash: task.infoHash, client, held: this.#ledger.size })
        return { ok: false, error: serializeError(err) }
      }
    }
    const out = await this.#shards.shardFor(task.infoHash).run(task)
    if (reserved) this.#ledger.settle(task.infoHash, out.ok)
    else if (task.type === 'add' && out.ok) this.#ledger.note(task.infoHash)
    if (task.type === 'delete' && out.ok) this.#ledger.forget(task.infoHash)
    // A new torrent may push the count over torrent.cache_size, and a torrent whose last stream
    // ended may be evicted now: reap soon rather than at the next tick.
    const created = task.type === 'add' && out.ok && (out.value as { created: boolean }).created
    if (created || task.type === 'release') this.#hooks.nudge()
    if (created || opens || task.type === 'release' || (task.type === 'delete' && out.ok)) this.#hooks.changed()
    return out
  }

  /** Front-end `frontend` was forked: its streams are tracked from now on. */
  frontendUp (frontend: number): void {
    this.#streams.set(frontend, new Map())
  }

  /** Front-end `frontend` exited: the streams it had open are released on their shards. */
  frontendGone (frontend: number): void {
    const streams = this.#streams.get(frontend)
    this.#streams.delete(frontend)
    for (const [streamId, infoHash] of streams ?? []) void this.run(frontend, { type: 'release', infoHash, streamId })
  }
}
