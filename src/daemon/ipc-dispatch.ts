import type { Worker } from 'node:cluster'
import { serializeError } from '../errors.js'
import type { SerializedError } from '../errors.js'
import type { Logger } from '../log.js'
import type { Admission, EngineTask, FrontendMessage, HealthReport, MetricsSnapshot, TorrentSummary } from '../protocol.js'
import type { TaskOutcome } from '../workers/engine.js'
import { send } from './frontend-fleet.js'

/** A request's answer before it becomes a `result` message (an engine task's outcome is one). */
type Reply = { ok: true, value: unknown } | { ok: false, error: SerializedError }

/** What the supervisor does for each message a front-end sends. */
export interface FrontendRequests {
  /** The handshake: the front-end listens for messages now; answer its `init`. */
  hello: (worker: Worker) => void
  ready: (worker: Worker, port: number) => void
  listenFailed: (worker: Worker, failure: { code: string, address: string, port: number }) => void
  admit: (client: string) => Promise<Admission>
  engine: (worker: Worker, task: EngineTask, client?: string) => Promise<TaskOutcome>
  health: () => Promise<HealthReport>
  list: () => Promise<TorrentSummary[]>
  metrics: () => Promise<string>
  metricsReport: (worker: Worker, msg: { kind: 'metrics-snapshot', id: number, metrics: MetricsSnapshot } | { kind: 'metrics-final', metrics: MetricsSnapshot }) => void
}

/**
 * Routes one front-end message. Requests (they carry an id) are answered with one `result` of
 * the same id, whatever happens: a failure on this side becomes an error result.
 */
export function dispatch (worker: Worker, msg: FrontendMessage, on: FrontendRequests, log: Logger): void {
  const answer = (work: () => Promise<unknown>): Promise<Reply> => outcome(work, msg.kind, log)
  switch (msg.kind) {
    case 'hello': on.hello(worker); return
    case 'ready': on.ready(worker, msg.port); return
    case 'listen-failed': on.listenFailed(worker, msg); return
    case 'admit': reply(worker, msg.id, answer(async () => await on.admit(msg.client))); return
    case 'engine': reply(worker, msg.id, on.engine(worker, msg.task, msg.client)); return
    case 'health': reply(worker, msg.id, answer(on.health)); return
    case 'list': reply(worker, msg.id, answer(on.list)); return
    case 'metrics': reply(worker, msg.id, answer(on.metrics)); return
    case 'metrics-snapshot':
    case 'metrics-final':
      on.metricsReport(worker, msg)
      return
    default: {
      const unknown: never = msg
      log.warn('unknown front-end message', { kind: String((unknown as { kind?: unknown }).kind).slice(0, 40) })
    }
  }
}

/** The one way a request is answered. */
function reply (worker: Worker, id: number, answer: Promise<Reply>): void {
  void answer.then((out) => { send(worker, out.ok ? { kind: 'result', id, ok: true, value: out.value } : { kind: 'result', id, ok: false, error: out.error }) })
}

/** A value as a successful outcome; a failure (logged: it is this side's) as an error outcome. */
async function outcome (work: () => Promise<unknown>, kind: string, log: Logger): Promise<Reply> {
  try {
    return { ok: true, value: await work() }
  } catch (err) {
    log.error('front-end request failed', { kind, err: String(err) })
    return { ok: false, error: serializeError(err) }
  }
}
