import crypto from 'node:crypto'
import fs from 'node:fs'
import WebTorrent from 'webtorrent'
import type { Config } from '../config/config.js'
import { TodError, serializeError } from '../errors.js'
import { shardOf } from '../infohash.js'
import type { Logger } from '../log.js'
import type { EngineResults, EngineTask, FileResult, PingResult, ReadResult, TaskOutcome, TorrentStatus, TorrentSummary } from '../protocol.js'
import { addTorrent } from './adding.js'
import { clientOptions } from './client-options.js'
import { activeSummary, describeFile, engineFigures, idleSummary, torrentStatus, torrentUsage } from './describe.js'
import { EngineMetrics } from './engine-metrics.js'
import { guardIncoming, guardOutgoing } from './peer-guard.js'
import { pieceMap } from './piece-map.js'
import { TorrentStore } from './persist.js'
import { Streams } from './streams.js'
import { Torrents } from './torrents.js'

export type { TaskOutcome } from '../protocol.js'

/** A stream nobody has read from for this long belongs to a reader that vanished. */
const STREAM_IDLE_MS = 120_000
/** How often verified-piece bitfields are written to the state folder. */
const BITFIELD_FLUSH_MS = 2_000

/**
 * One shard of the torrent engine: a WebTorrent client and the torrents whose info-hash hashes
 * to this shard. It never moves file bytes to its callers; it makes pieces ready on disk and
 * says where they are. This class only dispatches: each task has one handler.
 */
export class Engine {
  readonly #config: Config
  readonly #shard: number
  readonly #log: Logger
  readonly #client: WebTorrent
  readonly #streams = new Streams()
  readonly #torrents: Torrents
  readonly #timers: NodeJS.Timeout[] = []
  readonly #metrics = new EngineMetrics(() => engineFigures(this.#torrents, this.#streams))
  #ready = false
  #closing: Promise<void> | undefined

  constructor (config: Config, shard: number, log: Logger) {
    this.#config = config
    this.#shard = shard
    this.#log = log
    fs.mkdirSync(config.torrent.dir, { recursive: true })
    const allowPrivate = config.security.allow_private_networks
    this.#client = new WebTorrent(clientOptions(config.torrent, allowPrivate, shard))
    this.#client.on('error', (err: Error) => {
      // A client error destroys the client; without it this shard is useless, so end the
      // thread and let the supervisor rebuild it from the persisted state.
      log.error('webtorrent client error', { err: err.message })
      throw err
    })
    if (!allowPrivate) guardIncoming(this.#client, log)
    const onOpen = allowPrivate ? () => {} : (infoHash: string, torrent: Parameters<typeof guardOutgoing>[1]) => { guardOutgoing(infoHash, torrent, log) }
    this.#torrents = new Torrents(this.#client, new TorrentStore(config.torrent.state_dir), this.#streams, config.torrent, log, this.#metrics, onOpen)
  }

  /** Loads this shard's persisted torrents (dormant: no swarm needed) and starts the timers. */
  async start (): Promise<void> {
    const t = this.#config.torrent
    await this.#torrents.load((ih) => shardOf(ih, t.shards) === this.#shard)
    this.#timers.push(setInterval(() => { void this.#torrents.flush() }, BITFIELD_FLUSH_MS))
    this.#timers.push(setInterval(() => { this.#streams.sweep(STREAM_IDLE_MS) }, STREAM_IDLE_MS / 4))
    const idleMs = t.idle_timeout * 1000
    this.#timers.push(setInterval(() => { this.#torrents.sleepIdle(idleMs) }, Math.max(1000, Math.min(30_000, idleMs / 4))))
    this.#ready = true
    const native = nativeRc4()
    this.#log.info('shard ready', { shard: this.#shard, torrents: this.#torrents.size, encryption: t.encryption, nativeRc4: native })
    if (t.encryption !== 'off' && !native) {
      // Measured (docs/performance.md): RC4 in JavaScript was ~40% of a shard's CPU on a cold read.
      this.#log.warn('protocol encryption runs RC4 in JavaScript; start node with --openssl-legacy-provider for native RC4', { shard: this.#shard })
    }
  }

  /** Runs one task; never throws. */
  async handle<T extends EngineTask> (task: T): Promise<TaskOutcome<T['type']>> {
    try {
      // The switch answers the result of the task's own type (EngineResults); TypeScript cannot
      // follow a union through a generic, hence the one cast.
      return { ok: true, value: await this.#dispatch(task) as EngineResults[T['type']] }
    } catch (err) {
      if (!(err instanceof TodError)) this.#log.error('task failed', { task: task.type, err: String(err) })
      return { ok: false, error: serializeError(err) }
    }
  }

  async #dispatch (task: EngineTask): Promise<EngineResults[EngineTask['type']]> {
    switch (task.type) {
      case 'add': return await addTorrent(task, this.#torrents, {
        allowPrivate: this.#config.security.allow_private_networks,
        dht: this.#config.torrent.dht,
        torrentFile: { maxFiles: this.#config.torrent.max_files, maxPathBytes: this.#config.torrent.max_path_bytes, dataDir: this.#config.torrent.dir },
        log: this.#log
      })
      case 'info': return await this.#info(task.infoHash)
      case 'list': return this.#list()
      case 'delete': return await this.#delete(task.infoHash)
      case 'usage': return await torrentUsage(this.#torrents, this.#streams, this.#config.torrent.dir)
      case 'file': return await this.#file(task.infoHash, task.fileId)
      case 'pieces': {
        const { torrent } = await this.#torrents.known(task.infoHash)
        return pieceMap(torrent, task.fileId, this.#streams.windows(torrent))
      }
      case 'read': return await this.#read(task.infoHash, task.fileId, task.offset, task.streamId)
      case 'release': return { released: this.#streams.release(task.streamId) }
      case 'ping': return this.#ping()
      case 'close': return await this.#close()
      case 'throttle': return this.#throttle(task.download, task.upload)
      case 'crash': return this.#crash()
      case 'metrics': return await this.#metrics.snapshot(this.#shard)
      case 'log-level':
        this.#log.level = task.level
        this.#log.info('log level set', { shard: this.#shard, logLevel: task.level })
        return { level: task.level }
    }
  }

  /** The torrent document (wakes an idle torrent: its figures need the engine). */
  async #info (infoHash: string): Promise<TorrentStatus> {
    const entry = await this.#torrents.known(infoHash)
    return torrentStatus(entry, this.#streams.count(entry.torrent))
  }

  /** Every torrent of this shard, active or idle. */
  #list (): TorrentSummary[] {
    return [...[...this.#torrents.active()].map(activeSummary), ...[...this.#torrents.dormant()].map(([ih, m]) => idleSummary(ih, m))]
  }

  /** Stops a torrent and deletes its data and state; refused while a stream reads it. */
  async #delete (infoHash: string): Promise<{ deleted: true }> {
    const entry = this.#torrents.get(infoHash)
    if (entry === undefined && !this.#torrents.isDormant(infoHash)) throw new TodError('TOD_ERR_UNKNOWN_TORRENT')
    if (entry !== undefined && this.#streams.count(entry.torrent) > 0) throw new TodError('TOD_ERR_IN_USE')
    await this.#torrents.discard(infoHash, new Error('deleted'))
    this.#log.info('torrent deleted', { infoHash })
    return { deleted: true }
  }

  /** Describes one file of a known torrent. */
  async #file (infoHash: string, fileId: number): Promise<FileResult> {
    const { torrent } = await this.#torrents.known(infoHash)
    const file = torrent.files[fileId]
    if (file === undefined) throw new TodError('TOD_ERR_UNKNOWN_FILE')
    return { file: describeFile(file, fileId) }
  }

  /** Makes the bytes at `offset` of a file ready for stream `streamId` (stream.ts). */
  async #read (infoHash: string, fileId: number, offset: number, streamId: string): Promise<ReadResult> {
    const { torrent, diskPaths } = await this.#torrents.known(infoHash)
    const file = torrent.files[fileId]
    const diskPath = diskPaths[fileId]
    if (file === undefined || diskPath === undefined) throw new TodError('TOD_ERR_UNKNOWN_FILE')
    const limits = { readaheadBytes: this.#config.streaming.readahead_bytes, readTimeoutMs: this.#config.torrent.read_timeout_ms }
    return await this.#streams.open(streamId).read({ torrent, file, diskPath }, offset, limits)
  }

  #ping (): PingResult {
    return { shard: this.#shard, torrents: this.#torrents.size, streams: this.#streams.count(), ready: this.#ready }
  }

  /**
   * This shard's share of the daemon-wide caps (bytes/s, -1 unlimited), set every second by
   * the supervisor's balancer; answers the bytes moved so far, from which it measures demand.
   */
  #throttle (download: number, upload: number): EngineResults['throttle'] {
    if (this.#client.throttleDownload(download) === false || this.#client.throttleUpload(upload) === false) {
      throw new TodError('TOD_ERR_BAD_QUERY', { reason: 'a rate is a non-negative number or -1' })
    }
    return this.#metrics.moved()
  }

  /** Persists bitfields and destroys the client. Idempotent. */
  async #close (): Promise<{ closed: true }> {
    this.#closing ??= new Promise<void>((resolve) => {
      for (const t of this.#timers) clearInterval(t)
      this.#torrents.saveAllSync()
      this.#client.destroy(() => { resolve() })
    })
    await this.#closing
    return { closed: true }
  }

  #crash (): never {
    if (!this.#config.debug.fault_injection) throw new TodError('TOD_ERR_BAD_QUERY', { reason: 'fault injection is off (debug.fault_injection)' })
    setImmediate(() => { throw new Error('fault injection: shard thread crash requested') })
    throw new TodError('TOD_ERR_ENGINE', { reason: 'its shard thread is crashing on request (fault injection)' })
  }
}

/** Whether OpenSSL offers RC4 here (the test bittorrent-protocol makes to pick its own RC4). */
function nativeRc4 (): boolean {
  try {
    crypto.createCipheriv('rc4', Buffer.alloc(16), '')
    return true
  } catch {
    return false
  }
}
