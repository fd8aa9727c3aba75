import type { Config } from '../config/config.js'
import { TodError, toTodError } from '../errors.js'
import type { Admission, EngineResults, EngineTask, FrontendMessage, HealthReport, SupervisorMessage, TorrentSummary } from '../protocol.js'

/** Extra time an IPC answer may take beyond the engine's own timeouts. */
const IPC_SLACK_MS = 5_000

interface Pending { resolve: (v: unknown) => void, reject: (e: Error) => void, timer: NodeJS.Timeout }

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
  readonly #timeoutMs: number
  readonly #pending = new Map<number, Pending>()
  #nextId = 1

  constructor (ipc: IpcChannel, config: Config) {
    this.#ipc = ipc
    this.#timeoutMs = Math.max(config.torrent.metadata_timeout_ms, config.torrent.read_timeout_ms) + IPC_SLACK_MS
    ipc.on('message', (msg) => { this.#onMessage(msg) })
  }

  /** Runs a task on the owning shard; `client` (address key) is given for adds, for the per-client cap. */
  async run<T extends EngineTask> (task: T, client?: string): Promise<EngineResults[T['type']]> {
    return await this.#request((id) => ({ kind: 'engine', id, task, ...(client !== undefined ? { client } : {}) })) as EngineResults[T['type']]
  }

  /** Counts one request of `client` against security.requests_per_minute, daemon-wide. */
  async admit (client: string): Promise<Admission> {
    return await this.#request((id) => ({ kind: 'admit', id, client })) as Admission
  }

  /** Every torrent of every shard. */
  async list (): Promise<TorrentSummary[]> {
    return await this.#request((id) => ({ kind: 'list', id })) as TorrentSummary[]
  }

  async health (): Promise<HealthReport> {
    return await this.#request((id) => ({ kind: 'health', id })) as HealthReport
  }

  /** The whole daemon's metrics as Prometheus text (the supervisor gathers them). */
  async metrics (): Promise<string> {
    return await this.#request((id) => ({ kind: 'metrics', id })) as string
  }

  async #request (make: (id: number) => FrontendMessage): Promise<unknown> {
    const id = this.#nextId++
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new TodError('TOD_ERR_ENGINE', 'the engine did not answer in time'))
      }, this.#timeoutMs)
      this.#pending.set(id, { resolve, reject, timer })
      this.#ipc.send(make(id))
    })
  }

  #onMessage (msg: SupervisorMessage): void {
    if (msg.kind !== 'result') return
    const p = this.#pending.get(msg.id)
    if (p === undefined) return
    this.#pending.delete(msg.id)
    clearTimeout(p.timer)
    if (msg.ok) p.resolve(msg.value)
    else p.reject(toTodError(msg.error))
  }
}
