import type { Config } from '../config/config.js'
import { TodError, toTodError } from '../errors.js'
import type { Admission, EngineResults, FrontendMessage, FrontendTask, HealthReport, SupervisorMessage, TorrentSummary } from '../protocol.js'
import { RequestReply } from '../util/request-reply.js'

/** Extra time an IPC answer may take beyond the engine's own timeouts. */
const IPC_SLACK_MS = 5_000

/**
 * The engine tasks a front-end may send (FRONTEND_TASKS in src/protocol.ts). The others (usage,
 * ping, close, throttle, metrics, log-level) are the supervisor's own; a front-end cannot even
 * name them.
 */
export type { FrontendTask }

/** What the supervisor answers to each request kind a front-end sends (`engine`: by task, {@link EngineResults}). */
interface Answers { admit: Admission, list: TorrentSummary[], health: HealthReport, metrics: string }

/** The slice of `process` a front-end uses to talk to the supervisor (cluster IPC). */
export interface IpcChannel {
  send: (msg: FrontendMessage) => unknown
  on: (event: 'message', listener: (msg: SupervisorMessage) => void) => unknown
}

/**
 * The front-end's engine facade: each call is one IPC request to the supervisor, which runs
 * it on the owning shard. Only control messages cross; bytes are read from disk.
 */
export class EngineClient {
  readonly #ipc: IpcChannel
  readonly #replies: RequestReply<unknown>

  constructor (ipc: IpcChannel, config: Pick<Config, 'torrent'>) {
    this.#ipc = ipc
    const timeoutMs = Math.max(config.torrent.metadata_timeout_ms, config.torrent.read_timeout_ms) + IPC_SLACK_MS
    this.#replies = new RequestReply<unknown>(timeoutMs, () => new TodError('TOD_ERR_ENGINE', { reason: 'it did not answer in time' }))
    ipc.on('message', (msg) => { this.#onMessage(msg) })
  }

  /** Runs a task on the owning shard; `client` (address key) is given for adds, for the per-client cap. */
  async run<T extends FrontendTask> (task: T, client?: string): Promise<EngineResults[T['type']]> {
    return await this.#request<EngineResults[T['type']]>((id) => ({ kind: 'engine', id, task, ...(client !== undefined ? { client } : {}) }))
  }

  /** Counts one request of `client` against security.requests_per_minute, daemon-wide. */
  async admit (client: string): Promise<Admission> {
    return await this.#request<Answers['admit']>((id) => ({ kind: 'admit', id, client }))
  }

  /** Every torrent of every shard. */
  async list (): Promise<TorrentSummary[]> {
    return await this.#request<Answers['list']>((id) => ({ kind: 'list', id }))
  }

  async health (): Promise<HealthReport> {
    return await this.#request<Answers['health']>((id) => ({ kind: 'health', id }))
  }

  /** The whole daemon's metrics as Prometheus text (the supervisor gathers them). */
  async metrics (): Promise<string> {
    return await this.#request<Answers['metrics']>((id) => ({ kind: 'metrics', id }))
  }

  /**
   * Sends one request; `R` is what the protocol says the supervisor answers to it (the callers
   * above pick it from {@link EngineResults} or {@link Answers}, never per call site). The
   * answer crosses IPC as plain JSON: the protocol, not a check here, vouches for its shape.
   */
  async #request<R> (make: (id: number) => FrontendMessage): Promise<R> {
    return await this.#replies.request((id) => { this.#ipc.send(make(id)) }) as R
  }

  #onMessage (msg: SupervisorMessage): void {
    if (msg.kind !== 'result') return
    if (msg.ok) this.#replies.resolve(msg.id, msg.value)
    else this.#replies.reject(msg.id, toTodError(msg.error))
  }
}
