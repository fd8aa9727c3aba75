import fsp from 'node:fs/promises'
import path from 'node:path'
import type WebTorrent from 'webtorrent'
import type { Torrent } from 'webtorrent'
import type { Config } from '../config/config.js'
import { TodError } from '../errors.js'
import type { Logger } from '../log.js'
import { withTimeout } from '../util/timeout.js'
import { checkedStore } from './checked-store.js'
import type { EngineMetrics } from './engine-metrics.js'
import type { TorrentMeta, TorrentStore } from './persist.js'
import type { Streams } from './streams.js'
import { cut, openTorrent } from './torrent-entry.js'
import type { Entry, EntryEvents } from './torrent-entry.js'
import { watchTorrent } from './torrent-events.js'

export type TorrentsConfig = Pick<Config['torrent'], 'dir' | 'metadata_timeout_ms' | 'max_files' | 'max_path_bytes'>

/** What a torrent is added with. */
export interface AddSource { id: string | Buffer, peers: string[], privateOnly: boolean }

/**
 * The torrents of one shard and their lifecycle: active (in the WebTorrent client), dormant
 * (persisted, no network; after a restart or when idle), waking (being put back), asleep
 * again when idle, and dropped (with their state and data) when they fail.
 */
export class Torrents {
  readonly #client: WebTorrent
  readonly #store: TorrentStore
  readonly #streams: Streams
  readonly #config: TorrentsConfig
  readonly #log: Logger
  readonly #metrics: EngineMetrics
  readonly #onOpen: (infoHash: string, torrent: Torrent) => void
  /** Torrents in the WebTorrent client. */
  readonly #entries = new Map<string, Entry>()
  /** Torrents persisted but not in the client: no network. */
  readonly #dormant = new Map<string, TorrentMeta>()
  readonly #waking = new Map<string, Promise<Entry>>()
  /** WebTorrent's chunk store behind the torrent-shape checks. */
  readonly #checkedStore: ReturnType<typeof checkedStore>

  readonly #events: EntryEvents = {
    failed: (entry, err) => {
      this.#log.warn('torrent refused', { infoHash: entry.infoHash, code: err.code, err: cut(err.message) })
      void this.discard(entry.infoHash, err)
    },
    storageFailed: (entry, err) => {
      // WebTorrent destroyed it; what it had verified is on disk and its .torrent is saved, so
      // it goes dormant (the next request wakes it) rather than being deleted with its data.
      this.#log.warn('torrent storage failed, now dormant', { infoHash: entry.infoHash, code: err.code })
      this.#sleep(entry)
      void this.remove(entry.infoHash, err)
    },
    verified: (entry, index) => {
      this.#store.markDirty(entry.infoHash)
      this.#streams.pieceVerified(entry.torrent, index)
    },
    metadata: ({ infoHash, torrent, meta }) => {
      this.#log.info('torrent metadata', { infoHash, name: torrent.name })
      this.#store.saveTorrent(infoHash, torrent.torrentFile, meta)
        .catch((err: unknown) => { this.#log.warn('metadata not persisted', { infoHash, err: String(err) }) })
    }
  }

  /** `onOpen` sees each torrent as it enters the client, before it dials anyone (the peer guard). */
  constructor (client: WebTorrent, store: TorrentStore, streams: Streams, config: TorrentsConfig, log: Logger, metrics: EngineMetrics, onOpen: (infoHash: string, torrent: Torrent) => void) {
    this.#onOpen = onOpen
    this.#client = client
    this.#store = store
    this.#streams = streams
    this.#config = config
    this.#checkedStore = checkedStore({ maxFiles: config.max_files, maxPathBytes: config.max_path_bytes, dataDir: config.dir }, (torrent, err) => {
      const entry = this.#entryOf(torrent)
      if (entry !== undefined) entry.fail(err)
      else torrent.destroy()
    })
    this.#log = log
    this.#metrics = metrics
  }

  /** Loads the persisted torrents `owns` accepts, dormant: known without any network until a request wakes them. */
  async load (owns: (infoHash: string) => boolean): Promise<void> {
    for (const { infoHash, meta } of await this.#store.list(owns)) this.#dormant.set(infoHash, meta)
  }

  get size (): number {
    return this.#entries.size + this.#dormant.size
  }

  /** Active torrents. */
  active (): IterableIterator<Entry> {
    return this.#entries.values()
  }

  isDormant (infoHash: string): boolean {
    return this.#dormant.has(infoHash)
  }

  /** Dormant torrents, by info-hash. */
  dormant (): IterableIterator<[string, TorrentMeta]> {
    return this.#dormant.entries()
  }

  /** The active torrent `infoHash`, if it is in the client. */
  get (infoHash: string): Entry | undefined {
    return this.#entries.get(infoHash)
  }

  /** The active torrent `infoHash`, woken if it is dormant; undefined if unknown. */
  async find (infoHash: string): Promise<Entry | undefined> {
    return this.#entries.get(infoHash) ?? (this.#dormant.has(infoHash) ? await this.#wake(infoHash) : undefined)
  }

  /** The torrent `infoHash` with its metadata (404 if unknown); counts as an access. */
  async known (infoHash: string): Promise<Entry> {
    const entry = await this.find(infoHash)
    if (entry === undefined) throw new TodError('TOD_ERR_UNKNOWN_TORRENT')
    await this.whenReady(entry)
    entry.meta.lastAccess = Date.now()
    return entry
  }

  /** Adds a new torrent to the client. */
  add (infoHash: string, source: AddSource): Entry {
    const now = Date.now()
    return this.#open(infoHash, source.id, { name: '', size: 0, peers: [...new Set(source.peers)], addedAt: now, lastAccess: now }, { privateOnly: source.privateOnly })
  }

  /**
   * Waits for the torrent's metadata and store, up to torrent.metadata_timeout_ms (504, or 403
   * when the private-network policy left it nothing to ask). With `dropOnTimeout` (an add), a
   * torrent still without metadata that nobody else waits for is dropped then, so no nameless
   * entry stays behind.
   */
  async whenReady (entry: Entry, dropOnTimeout = false): Promise<void> {
    if (entry.torrent.ready) return
    entry.waiting++
    try {
      await withTimeout(entry.ready, this.#config.metadata_timeout_ms, () => {
        if (dropOnTimeout && entry.waiting === 1 && entry.torrent.metadata === null) void this.remove(entry.infoHash, new TodError('TOD_ERR_METADATA_TIMEOUT'))
        return entry.privateOnly ? new TodError('TOD_ERR_PRIVATE_NETWORK') : new TodError('TOD_ERR_METADATA_TIMEOUT')
      })
    } finally {
      entry.waiting--
    }
  }

  /** Takes a torrent out of the client (its data and state stay); resolves once it is closed. */
  async remove (infoHash: string, err: Error): Promise<void> {
    const entry = this.#entries.get(infoHash)
    if (entry === undefined) return
    this.#entries.delete(infoHash)
    this.#store.forgetDirty(infoHash)
    this.#streams.torrentGone(entry.torrent, err instanceof TodError ? err : new TodError('TOD_ERR_ENGINE', { reason: 'the torrent left the engine' }, { cause: err }))
    if (entry.torrent.destroyed) return
    await new Promise<void>((resolve) => { entry.torrent.destroy({ destroyStore: false }, () => { resolve() }) })
  }

  /**
   * Forgets a torrent for good: out of the client, its state files and its data folder deleted,
   * so it does not come back on restart (a delete, or a torrent that failed).
   */
  async discard (infoHash: string, err: Error): Promise<void> {
    await this.remove(infoHash, err)
    this.#dormant.delete(infoHash)
    await this.#store.remove(infoHash)
    await fsp.rm(path.join(this.#config.dir, infoHash), { recursive: true, force: true })
  }

  /**
   * Torrents nobody has read for `idleMs` leave the client (no peers, no sockets) and become
   * dormant; one still without metadata is dropped, having nothing persisted.
   */
  sleepIdle (idleMs: number, now = Date.now()): void {
    for (const [infoHash, entry] of this.#entries) {
      if (now - entry.meta.lastAccess < idleMs || this.#streams.count(entry.torrent) > 0 || entry.waiting > 0) continue
      const persisted = entry.torrent.ready
      if (persisted && !this.#sleep(entry)) continue
      void this.remove(infoHash, new Error('idle'))
      this.#log.info(persisted ? 'torrent idle' : 'torrent dropped without metadata', { infoHash })
    }
  }

  /** Writes the bitfields of torrents with newly verified pieces. */
  async flush (): Promise<void> {
    await this.#store.flush((infoHash) => {
      const entry = this.#entries.get(infoHash)
      return entry?.torrent.ready === true ? { bitfield: entry.torrent.bitfield.buffer, meta: entry.meta } : undefined
    }, (infoHash, err) => { this.#log.warn('bitfield not persisted', { infoHash, err: String(err) }) })
  }

  /** Saves every bitfield synchronously (the thread is about to end). */
  saveAllSync (): void {
    for (const [infoHash, entry] of this.#entries) {
      try {
        if (entry.torrent.ready) this.#store.saveBitfieldSync(infoHash, entry.torrent.bitfield.buffer)
      } catch (err) {
        this.#log.warn('bitfield not saved', { infoHash, err: String(err) })
      }
    }
  }

  /**
   * Saves the bitfield of a torrent with metadata (synchronously: nothing verified may be lost
   * between now and its leaving the client) and marks it dormant; false if the bitfield could
   * not be saved. The caller takes it out of the client.
   */
  #sleep (entry: Entry): boolean {
    const { infoHash } = entry
    try {
      this.#store.saveBitfieldSync(infoHash, entry.torrent.bitfield.buffer)
    } catch (err) {
      this.#log.warn('bitfield not saved', { infoHash, err: String(err) })
      if (!entry.torrent.destroyed) return false
      // Destroyed already: dormant anyway, on the bitfield saved last (a subset of what is on disk).
    }
    this.#dormant.set(infoHash, entry.meta)
    void this.#store.saveMeta(infoHash, entry.meta).catch(() => {})
    return true
  }

  #entryOf (torrent: Torrent): Entry | undefined {
    for (const e of this.#entries.values()) if (e.torrent === torrent) return e
    return undefined
  }

  /** Puts a dormant torrent back into the client from its .torrent and bitfield. */
  async #wake (infoHash: string): Promise<Entry> {
    let waking = this.#waking.get(infoHash)
    if (waking === undefined) {
      waking = (async () => {
        const meta = this.#dormant.get(infoHash)
        if (meta === undefined) throw new TodError('TOD_ERR_UNKNOWN_TORRENT')
        const { torrentFile, bitfield } = await this.#store.load(infoHash)
        this.#dormant.delete(infoHash)
        this.#log.info('torrent resumed', { infoHash })
        return this.#entries.get(infoHash) ?? this.#open(infoHash, torrentFile, meta, { persisted: { bitfield } })
      })().finally(() => this.#waking.delete(infoHash))
      this.#waking.set(infoHash, waking)
    }
    return await waking
  }

  #open (infoHash: string, id: string | Buffer, meta: TorrentMeta, opts: { persisted?: { bitfield: Uint8Array | undefined }, privateOnly?: boolean }): Entry {
    const entry = openTorrent(this.#client, infoHash, id, meta, { dir: this.#config.dir, store: this.#checkedStore, ...opts }, this.#events, this.#log)
    this.#onOpen(infoHash, entry.torrent)
    watchTorrent(entry.torrent, { infoHash, fromMagnet: typeof id === 'string', persisted: opts.persisted !== undefined }, this.#log, this.#metrics)
    this.#entries.set(infoHash, entry)
    return entry
  }
}
