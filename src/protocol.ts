/**
 * Every message that crosses a process or thread boundary. Front-ends talk to the supervisor
 * over cluster IPC; the supervisor runs engine tasks on the owning shard thread (Piscina).
 * Bytes never cross these boundaries: a read answers with a path and a span.
 */
import type { Config } from './config/config.js'
import type { SerializedError } from './errors.js'

/** A file of a torrent as the engine describes it. */
export interface FileInfo {
  id: number
  name: string
  /** Path inside the torrent, '/'-separated. */
  path: string
  size: number
  mime: string
}

/** What the engine knows about a torrent once its metadata is there. */
export interface TorrentInfo {
  infoHash: string
  name: string
  size: number
  pieceLength: number
  files: FileInfo[]
}

// ---- engine tasks (supervisor -> shard thread) and their results ---------------------------

/**
 * Add a torrent if needed: from a magnet, or from a .torrent (base64; metadata is small and
 * size-limited, unlike file bytes). With `wait`, resolves once the metadata is known.
 */
export interface AddTask { type: 'add', infoHash: string, magnet?: string, torrentFile?: string, wait: boolean }
/** The torrent document: metadata plus live figures. */
export interface InfoTask { type: 'info', infoHash: string }
/** Every torrent of the shard, in brief. */
export interface ListTask { type: 'list' }
/** Stop a torrent and delete its data and state; refused while a stream reads it. */
export interface DeleteTask { type: 'delete', infoHash: string }
/** Disk use, last access and open streams per torrent, for the reaper. */
export interface UsageTask { type: 'usage' }
/** Describe one file, with its absolute path on disk. */
export interface FileTask { type: 'file', infoHash: string, fileId: number }
/** One file's piece map: which of its pieces are verified and which the streams' windows select. */
export interface PiecesTask { type: 'pieces', infoHash: string, fileId: number }
/**
 * Make the bytes at `offset` of the file ready: move the stream's priority window there and
 * resolve once the piece holding `offset` is verified on disk.
 */
export interface ReadTask { type: 'read', infoHash: string, fileId: number, offset: number, streamId: string }
/** The reader went away: drop its window and cancel its waiting read. */
export interface ReleaseTask { type: 'release', infoHash: string, streamId: string }
/** Is the shard up, and what does it hold. */
export interface PingTask { type: 'ping' }
/** Persist state and destroy the WebTorrent client (shutdown). */
export interface CloseTask { type: 'close' }
/**
 * Set the shard's share of the daemon-wide bandwidth caps (bytes/s, -1 unlimited) and answer
 * the bytes it has moved so far (the supervisor's balancer, src/daemon/bandwidth.ts).
 */
export interface ThrottleTask { type: 'throttle', download: number, upload: number }
/** Tests only (debug.fault_injection): throw an uncaught exception in the shard thread. */
export interface CrashTask { type: 'crash', shard: number }
/** The shard's metrics (src/workers/engine-metrics.ts), for a scrape of GET /metrics. */
export interface MetricsTask { type: 'metrics' }
/** A reload changed logging.level: the shard thread's logger follows. */
export interface LogLevelTask { type: 'log-level', level: Config['logging']['level'] }

export type EngineTask = AddTask | InfoTask | ListTask | DeleteTask | UsageTask | FileTask | PiecesTask | ReadTask | ReleaseTask | PingTask | CloseTask | ThrottleTask | CrashTask | MetricsTask | LogLevelTask

export interface FileResult { file: FileInfo }

/**
 * A file's pieces (absolute indices `first` … `first + count - 1`): `verified` is a base64
 * bitfield of those pieces, most significant bit first (bit i is piece `first + i`); `window`
 * the pieces the streams reading the file prioritise, clipped to the file, or null.
 */
export interface PiecesResult { pieceLength: number, first: number, count: number, verified: string, window: [number, number] | null }

/** A file in the torrent document. */
export interface FileStatus extends FileInfo {
  /** Verified fraction of the file, 0..1. */
  progress: number
}

/** The torrent document (GET /torrent/{infoHash}); the front-end adds stream URLs. */
export interface TorrentStatus {
  infoHash: string
  name: string
  size: number
  pieceLength: number
  /** active: in the engine, with peers; idle: its network stopped, resumed on the next request. */
  state: 'active' | 'idle'
  progress: number
  downloaded: number
  downloadSpeed: number
  uploadSpeed: number
  peers: number
  streams: number
  addedAt: number
  lastAccess: number
  files: FileStatus[]
}

/** A torrent in brief (GET /torrents). */
export interface TorrentSummary {
  infoHash: string
  name: string
  size: number
  state: 'active' | 'idle'
  lastAccess: number
}

/** The outcome of an add: the document when the metadata is there, and whether it is new. */
export interface AddResult { created: boolean, torrent: TorrentInfo | null }

/** What the reaper needs to know about a torrent. */
export interface TorrentUsage { infoHash: string, bytes: number, lastAccess: number, streams: number }
export interface ReadResult {
  diskPath: string
  size: number
  /** Verified bytes contiguous from `offset` (0 when the read was cancelled). */
  available: number
}
/** Bytes a shard has downloaded and uploaded since it started (all torrents). */
export interface ThrottleResult { downloaded: number, uploaded: number }
export interface PingResult { shard: number, torrents: number, streams: number, ready: boolean }

/** Maps each task type to its result, so callers get typed answers. */
export interface EngineResults {
  add: AddResult
  info: TorrentStatus
  list: TorrentSummary[]
  delete: { deleted: true }
  usage: TorrentUsage[]
  file: FileResult
  pieces: PiecesResult
  read: ReadResult
  release: { released: boolean }
  ping: PingResult
  close: { closed: true }
  throttle: ThrottleResult
  crash: never
  metrics: ShardMetrics
  'log-level': { level: Config['logging']['level'] }
}

/** What a shard thread answers for a task of type `T`: errors travel as data, not as thrown objects. */
export type TaskOutcome<T extends EngineTask['type'] = EngineTask['type']> =
  | { ok: true, value: EngineResults[T] }
  | { ok: false, error: SerializedError }

/** What a shard thread is started with (Piscina's workerData, read by src/workers/shard.ts). */
export interface ShardWorkerData {
  config: Config
  /** This thread's shard index: it owns the info-hashes that hash to it. */
  shard: number
}

/**
 * One metric as prom-client's `registry.getMetricsAsJSON()` gives it, the form in which
 * metrics cross to the supervisor to be merged (prom-client's own typings declare `type` as a
 * numeric enum; at run time it is this string).
 */
export interface MetricJson {
  name: string
  help: string
  type: 'counter' | 'gauge' | 'histogram' | 'summary'
  aggregator?: string
  values: Array<{ value: number, labels: Record<string, string | number>, metricName?: string }>
}
/** Every metric of one registry (a front-end, a shard thread or the supervisor). */
export type MetricsSnapshot = MetricJson[]
/** A shard thread's metrics; the thread id tells a rebuilt thread (whose counters restart) from the old one. */
export interface ShardMetrics { shard: number, threadId: number, metrics: MetricsSnapshot }

// ---- cluster IPC (front-end <-> supervisor) ------------------------------------------------

/**
 * The engine tasks a front-end may send (`engine` messages). Every other task (list, usage,
 * close, throttle, metrics, log-level, ping) is the supervisor's own; the supervisor refuses
 * them from a front-end. `crash` only does anything with debug.fault_injection (the front-end
 * checks it).
 */
export const FRONTEND_TASKS = ['add', 'info', 'delete', 'file', 'pieces', 'read', 'release', 'crash'] as const
export type FrontendTaskType = typeof FRONTEND_TASKS[number]
/** An engine task a front-end may send. */
export type FrontendTask = Extract<EngineTask, { type: FrontendTaskType }>

/** True when a front-end may send this task. */
export function isFrontendTask (task: EngineTask): task is FrontendTask {
  return (FRONTEND_TASKS as readonly string[]).includes(task.type)
}

/** Front-end -> supervisor. */
export type FrontendMessage =
  | { kind: 'hello' }
  | { kind: 'ready', port: number }
  /**
   * The front-end could not listen (`code`: EADDRINUSE, EACCES, EADDRNOTAVAIL...); it exits
   * next. The supervisor gives up at once (exit 1) instead of re-forking: every fork would
   * fail the same way.
   */
  | { kind: 'listen-failed', code: string, address: string, port: number }
  /** `client`: who asked (address or IPv6 /64), for the per-client torrent cap on adds. */
  | { kind: 'engine', id: number, task: EngineTask, client?: string }
  /** May `client` make one more request (security.requests_per_minute)? Answers an Admission. */
  | { kind: 'admit', id: number, client: string }
  | { kind: 'health', id: number }
  | { kind: 'list', id: number }
  /** GET /metrics: the whole daemon's metrics as Prometheus text (answered by a `result`). */
  | { kind: 'metrics', id: number }
  /** The answer to a `collect-metrics`: this front-end's metrics. */
  | { kind: 'metrics-snapshot', id: number, metrics: MetricsSnapshot }
  /** Sent once by a front-end that finished draining, just before it exits: its final counts. */
  | { kind: 'metrics-final', metrics: MetricsSnapshot }

/** The answer to an `admit`. */
export interface Admission { allowed: boolean, retryAfterSec: number }

/** Readiness (GET /health): `ready` is every check passing; `checks` says which failed. */
export interface HealthReport {
  ready: boolean
  shards: Array<PingResult | { shard: number, error: string }>
  checks: ReadinessChecks
}

/** The conditions of readiness (src/daemon/readiness.ts). */
export interface ReadinessChecks {
  /** Every shard thread answered a ping in time and has loaded its torrents. */
  shards: boolean
  /** A valid configuration is loaded. */
  config: boolean
  /** torrent.dir and torrent.state_dir exist and are writable by the daemon (paths are not shown: the endpoint is public). */
  disk: Array<{ key: 'torrent.dir' | 'torrent.state_dir', ok: boolean, error?: string }>
  /** Not shutting down. */
  running: boolean
}

/** Supervisor -> front-end. */
export type SupervisorMessage =
  | { kind: 'result', id: number, ok: true, value: unknown }
  | { kind: 'result', id: number, ok: false, error: SerializedError }
  /**
   * The handshake: the configuration, and the key that signs stream URLs (generated when not
   * configured); `slot` is a small number naming this front-end in per-process metrics, reused
   * once it exits.
   */
  | { kind: 'init', config: Config, urlKey: string, slot: number }
  /** Answer with a `metrics-snapshot` of the same id. */
  | { kind: 'collect-metrics', id: number }
  | { kind: 'shutdown' }
