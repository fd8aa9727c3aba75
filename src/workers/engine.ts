import crypto from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import mime from 'mime-types'
import magnetDecode from 'magnet-uri'
import WebTorrent from 'webtorrent'
import type { Torrent, TorrentFile } from 'webtorrent'
import type { Config } from '../config/config.js'
import { TodError, serializeError } from '../errors.js'
import type { SerializedError } from '../errors.js'
import { shardOf } from '../infohash.js'
import type { Logger } from '../log.js'
import type {
  AddResult, AddTask, EngineTask, FileInfo, FileResult, FileStatus, PingResult, ReadResult, ThrottleResult, TorrentInfo, TorrentStatus, TorrentSummary, TorrentUsage
} from '../protocol.js'
import { isBlockedPeer, peerBlocklist } from '../security/ip-policy.js'
import { sanitizeTorrentId } from '../security/sanitize.js'
import type { DroppedTarget } from '../security/sanitize.js'
import { checkedStore } from './checked-store.js'
import { PriorityWindows } from './priority-window.js'
import { TorrentStore } from './persist.js'
import { EngineMetrics } from './engine-metrics.js'
import type { EngineFigures } from './engine-metrics.js'
import { watchTorrent } from './torrent-events.js'
import type { TorrentMeta } from './persist.js'

/** torrent.encryption as WebTorrent's `secure` level (0 off, 1 with plaintext fallback, 2 required). */
const ENCRYPTION = { off: 0, prefer: 1, require: 2 } as const

/** What a shard thread answers for every task: errors travel as data, not as thrown objects. */
export type TaskOutcome = { ok: true, value: unknown } | { ok: false, error: SerializedError }

/** A window nobody has read from for this long belongs to a reader that vanished. */
const WINDOW_IDLE_MS = 120_000
/** How often verified-piece bitfields are written to the state folder. */
const BITFIELD_FLUSH_MS = 2_000

interface Waiter { streamId: string, resolve: (cancelled: boolean) => void, reject: (err: Error) => void, timer: NodeJS.Timeout }

interface Entry {
  torrent: Torrent
  ready: Promise<void>
  /** Absolute on-disk path of each file, checked to stay under <dir>/<infoHash>/. */
  diskPaths: string[]
  meta: TorrentMeta
  /** Readers waiting for a piece, by piece index. */
  waiters: Map<number, Set<Waiter>>
  bitfieldDirty: boolean
  /** Drops the torrent and fails its waiting requests with `err` (a refused torrent). */
  refuse: (err: TodError) => void
}

/**
 * One shard of the torrent engine: a WebTorrent client and the torrents whose info-hash hashes
 * to this shard. It never moves file bytes to its callers; it makes pieces ready on disk and
 * says where they are.
 */
export class Engine {
  readonly #config: Config
  readonly #shard: number
  readonly #log: Logger
  readonly #client: WebTorrent
  readonly #store: TorrentStore
  /** WebTorrent's chunk store behind the torrent-shape checks. */
  readonly #checkedStore = checkedStore((torrent, err) => {
    const entry = [...this.#entries.values()].find((e) => e.torrent === torrent)
    if (entry !== undefined) entry.refuse(err)
    else torrent.destroy()
  })
  /** Torrents in the WebTorrent client. */
  readonly #entries = new Map<string, Entry>()
  /** Torrents persisted but not in the client (after a restart, or idle): no network. */
  readonly #dormant = new Map<string, TorrentMeta>()
  readonly #waking = new Map<string, Promise<Entry>>()
  readonly #windows = new PriorityWindows()
  readonly #timers: NodeJS.Timeout[] = []
  #ready = false
  readonly #metrics = new EngineMetrics(() => this.#figures())

  constructor (config: Config, shard: number, log: Logger) {
    this.#config = config
    this.#shard = shard
    this.#log = log
    fs.mkdirSync(config.torrent.dir, { recursive: true })
    this.#store = new TorrentStore(config.torrent.state_dir)
    const t = config.torrent
    const split = (limit: number): number => limit > 0 ? Math.max(1, Math.floor(limit / t.shards)) : -1
    this.#client = new WebTorrent({
      // uTP off: with it on, terminating a thread or an uncaught exception in one segfaults the
      // whole process, and TCP was faster here (~84 MiB/s vs ~30 on Node 20).
      utp: false,
      dht: t.dht,
      lsd: t.lsd,
      natUpnp: t.nat_traversal,
      natPmp: t.nat_traversal,
      torrentPort: t.port > 0 ? t.port + shard : 0,
      maxConns: t.max_connections,
      secure: ENCRYPTION[t.encryption],
      downloadLimit: split(t.download_rate_limit),
      uploadLimit: split(t.upload_rate_limit),
      // Incoming peers from non-public IPv4 ranges are refused. ip-set is IPv4-only (an IPv6
      // range would turn into a nonsense v4 one), so v6 peers are filtered in #guardPeers.
      ...(config.security.allow_private_networks ? {} : { blocklist: peerBlocklist({ ipv6Peers: true }) })
    })
    this.#client.on('error', (err: Error) => {
      // A client error destroys the client; without it this shard is useless, so end the
      // thread and let the supervisor rebuild it from the persisted state.
      log.error('webtorrent client error', { err: err.message })
      throw err
    })
  }

  /** Re-adds this shard's persisted torrents (metadata and bitfield from disk, no swarm needed). */
  async start (): Promise<void> {
    // Persisted torrents start dormant: known (documents, reads) without any network until a
    // request wakes them, from their .torrent and bitfield, without asking the swarm.
    for (const { infoHash, meta } of await this.#store.list((ih) => shardOf(ih, this.#config.torrent.shards) === this.#shard)) {
      this.#dormant.set(infoHash, meta)
    }
    this.#timers.push(setInterval(() => { void this.#flushBitfields() }, BITFIELD_FLUSH_MS))
    this.#timers.push(setInterval(() => { this.#windows.sweep(WINDOW_IDLE_MS) }, WINDOW_IDLE_MS / 4))
    const idleMs = this.#config.torrent.idle_timeout * 1000
    this.#timers.push(setInterval(() => { this.#sleepIdle(idleMs) }, Math.max(1000, Math.min(30_000, idleMs / 4))))
    this.#ready = true
    const native = nativeRc4()
    this.#log.info('shard ready', { shard: this.#shard, torrents: this.#entries.size + this.#dormant.size, encryption: this.#config.torrent.encryption, nativeRc4: native })
    if (this.#config.torrent.encryption !== 'off' && !native) {
      // Measured (docs/performance.md): RC4 in JavaScript was ~40% of a shard's CPU on a cold read.
      this.#log.warn('protocol encryption runs RC4 in JavaScript; start node with --openssl-legacy-provider for native RC4', { shard: this.#shard })
    }
  }

  /** Runs one task; never throws. */
  async handle (task: EngineTask): Promise<TaskOutcome> {
    try {
      return { ok: true, value: await this.#dispatch(task) }
    } catch (err) {
      if (!(err instanceof TodError)) this.#log.error('task failed', { task: task.type, err: String(err) })
      return { ok: false, error: serializeError(err) }
    }
  }

  async #dispatch (task: EngineTask): Promise<unknown> {
    switch (task.type) {
      case 'add': return await this.add(task)
      case 'info': return await this.info(task.infoHash)
      case 'list': return this.list()
      case 'delete': return await this.delete(task.infoHash)
      case 'usage': return await this.usage()
      case 'file': return await this.file(task.infoHash, task.fileId)
      case 'read': return await this.read(task.infoHash, task.fileId, task.offset, task.streamId)
      case 'release': return { released: this.release(task.streamId) }
      case 'ping': return this.ping()
      case 'close': return await this.close()
      case 'throttle': return this.throttle(task.download, task.upload)
      case 'crash': return this.#crash()
      case 'metrics': return await this.#metrics.snapshot(this.#shard)
      case 'log-level':
        this.#log.level = task.level
        this.#log.info('log level set', { shard: this.#shard, logLevel: task.level })
        return { level: task.level }
    }
  }

  /**
   * Adds a torrent from a magnet or a .torrent unless it is already known (idempotent), and
   * with `wait` waits for its metadata.
   */
  async add (task: AddTask): Promise<AddResult> {
    const { infoHash } = task
    let created = false
    let known = false
    let entry = this.#entries.get(infoHash) ?? (this.#dormant.has(infoHash) ? await this.#wake(infoHash) : undefined)
    // A torrent already here needs no second check unless the request brings something new
    // (peer hints, or the .torrent of a magnet still waiting for metadata): repeated
    // /stream?magnet= requests must not cost DNS lookups.
    const rawPeers = task.magnet !== undefined ? magnetDecode(task.magnet).peerAddresses ?? [] : []
    const news = entry === undefined || (task.torrentFile !== undefined && entry.torrent.metadata === null) ||
      rawPeers.some((p) => !entry!.meta.peers.includes(p))
    const clean = news ? await this.#sanitize(infoHash, task) : {}
    const peers = clean.magnet !== undefined ? magnetDecode(clean.magnet).peerAddresses ?? [] : []
    entry = this.#entries.get(infoHash) ?? entry
    if (entry !== undefined && entry.torrent.metadata === null && task.torrentFile !== undefined) {
      // Still looking for metadata that this .torrent carries: start over from it.
      peers.push(...entry.meta.peers)
      await this.#remove(infoHash, new Error('replaced by its .torrent'))
      entry = undefined
      known = true
    }
    if (entry === undefined) {
      const id = clean.torrentFile ?? clean.magnet
      if (id === undefined) throw new TodError('TOD_ERR_BAD_QUERY', 'a magnet or a .torrent is needed')
      if (this.#entries.has(infoHash)) return await this.add(task) // another add won the race during #sanitize
      const now = Date.now()
      entry = this.#addTorrent(infoHash, id, { name: '', size: 0, peers: [...new Set(peers)], addedAt: now, lastAccess: now })
      created = !known
    } else {
      // Peer hints of a magnet for a torrent already here are still news.
      const fresh = peers.filter((p) => !entry!.meta.peers.includes(p))
      entry.meta.peers.push(...fresh)
      if (entry.torrent.infoHash !== undefined) for (const p of fresh) entry.torrent.addPeer(p)
    }
    entry.meta.lastAccess = Date.now()
    if (!task.wait) return { created, torrent: entry.torrent.ready ? describe(entry.torrent) : null }
    await this.#whenReady(entry)
    return { created, torrent: describe(entry.torrent) }
  }

  /**
   * The SSRF guard: trackers, web seeds, sources and peer hints that resolve to non-public
   * addresses are dropped (and logged) before WebTorrent sees the torrent, unless
   * security.allow_private_networks.
   */
  async #sanitize (infoHash: string, task: AddTask): Promise<{ magnet?: string, torrentFile?: Buffer }> {
    const allowPrivate = this.#config.security.allow_private_networks
    const report = (dropped: readonly DroppedTarget[]): void => {
      for (const d of dropped) this.#log.warn('torrent target dropped', { infoHash, ...d })
    }
    const out: { magnet?: string, torrentFile?: Buffer } = {}
    if (task.torrentFile !== undefined) {
      const clean = await sanitizeTorrentId(Buffer.from(task.torrentFile, 'base64'), { allowPrivate })
      if (clean.infoHash !== infoHash) throw new TodError('TOD_ERR_BAD_TORRENT', 'the .torrent is not the torrent named')
      report(clean.dropped)
      out.torrentFile = clean.torrentId
    }
    if (task.magnet !== undefined) {
      const clean = await sanitizeTorrentId(task.magnet, { allowPrivate })
      report(clean.dropped)
      out.magnet = clean.torrentId
    }
    return out
  }

  /** The torrent document (wakes an idle torrent: its figures need the engine). */
  async info (infoHash: string): Promise<TorrentStatus> {
    const entry = await this.#known(infoHash)
    const { torrent, meta } = entry
    const files: FileStatus[] = torrent.files.map((f, i) => ({
      ...describeFile(f, i),
      progress: f.length === 0 ? 1 : verifiedBytes(torrent, f.offset, f.offset + f.length) / f.length
    }))
    const downloaded = verifiedBytes(torrent, 0, torrent.length)
    return {
      ...describe(torrent),
      state: 'active',
      progress: torrent.length === 0 ? 1 : downloaded / torrent.length,
      downloaded,
      downloadSpeed: Math.round(torrent.downloadSpeed),
      uploadSpeed: Math.round(torrent.uploadSpeed),
      peers: torrent.numPeers,
      streams: this.#windows.count(torrent),
      addedAt: meta.addedAt,
      lastAccess: meta.lastAccess,
      files
    }
  }

  /** Every torrent of this shard, active or idle. */
  list (): TorrentSummary[] {
    const active = [...this.#entries].map(([infoHash, e]): TorrentSummary =>
      ({ infoHash, name: e.torrent.name ?? e.meta.name, size: e.torrent.length ?? e.meta.size, state: 'active', lastAccess: e.meta.lastAccess }))
    const idle = [...this.#dormant].map(([infoHash, m]): TorrentSummary =>
      ({ infoHash, name: m.name, size: m.size, state: 'idle', lastAccess: m.lastAccess }))
    return [...active, ...idle]
  }

  /** Stops a torrent and deletes its data and state; refused while a stream reads it. */
  async delete (infoHash: string): Promise<{ deleted: true }> {
    const entry = this.#entries.get(infoHash)
    if (entry === undefined && !this.#dormant.has(infoHash)) throw new TodError('TOD_ERR_UNKNOWN_TORRENT')
    if (entry !== undefined) {
      if (this.#windows.count(entry.torrent) > 0) throw new TodError('TOD_ERR_IN_USE')
      await this.#remove(infoHash, new Error('deleted'))
    }
    this.#dormant.delete(infoHash)
    await this.#store.remove(infoHash)
    await fsp.rm(path.join(this.#config.torrent.dir, infoHash), { recursive: true, force: true })
    this.#log.info('torrent deleted', { infoHash })
    return { deleted: true }
  }

  /** Bytes on disk (allocated blocks: files are sparse), last access and open streams per torrent. */
  async usage (): Promise<TorrentUsage[]> {
    const out: TorrentUsage[] = []
    const all: Array<[string, TorrentMeta, number]> = [
      ...[...this.#entries].map(([ih, e]): [string, TorrentMeta, number] => [ih, e.meta, this.#windows.count(e.torrent)]),
      ...[...this.#dormant].map(([ih, m]): [string, TorrentMeta, number] => [ih, m, 0])
    ]
    for (const [infoHash, meta, streams] of all) {
      out.push({ infoHash, bytes: await diskUsage(path.join(this.#config.torrent.dir, infoHash)), lastAccess: meta.lastAccess, streams })
    }
    return out
  }

  /** Describes one file of a known torrent. */
  async file (infoHash: string, fileId: number): Promise<FileResult> {
    const entry = await this.#known(infoHash)
    const { torrent } = entry
    const file = torrent.files[fileId]
    if (file === undefined) throw new TodError('TOD_ERR_UNKNOWN_FILE')
    return { file: describeFile(file, fileId) }
  }

  /**
   * Makes the bytes at `offset` of a file ready: moves the stream's window to
   * [offset, offset + readahead], marks the first pieces critical, and resolves once the piece
   * holding `offset` is verified (WebTorrent marks a piece verified only after it is written,
   * so it is on disk). Answers how many bytes from `offset` are verified contiguously.
   */
  async read (infoHash: string, fileId: number, offset: number, streamId: string): Promise<ReadResult> {
    const entry = await this.#known(infoHash)
    const { torrent } = entry
    const file = torrent.files[fileId]
    const diskPath = entry.diskPaths[fileId]
    if (file === undefined || diskPath === undefined) throw new TodError('TOD_ERR_UNKNOWN_FILE')
    if (offset >= file.length) return { diskPath, size: file.length, available: 0 }

    const pieceLength = torrent.pieceLength
    const abs = file.offset + offset
    const first = Math.floor(abs / pieceLength)
    const last = Math.min(file._endPiece, Math.floor((abs + this.#config.streaming.readahead_bytes - 1) / pieceLength))
    this.#windows.move(streamId, torrent, first, last)
    if (!torrent.bitfield.get(first)) {
      torrent.critical(first, Math.min(first + 1, last))
      const cancelled = await this.#waitForPiece(entry, first, streamId)
      if (cancelled) return { diskPath, size: file.length, available: 0 }
    }
    return { diskPath, size: file.length, available: contiguous(torrent, file, abs) }
  }

  /** Drops a stream's window and wakes its waiting read (which answers 0 bytes). */
  release (streamId: string): boolean {
    for (const entry of this.#entries.values()) {
      for (const [piece, set] of entry.waiters) {
        for (const w of set) {
          if (w.streamId !== streamId) continue
          clearTimeout(w.timer)
          set.delete(w)
          w.resolve(true)
        }
        if (set.size === 0) entry.waiters.delete(piece)
      }
    }
    return this.#windows.release(streamId)
  }

  /** The engine's state for a metrics scrape. */
  #figures (): EngineFigures {
    const figures: EngineFigures = { torrents: { active: 0, awaiting_metadata: 0, idle: this.#dormant.size }, peers: 0, downloadRate: 0, uploadRate: 0, streams: this.#windows.count() }
    for (const { torrent } of this.#entries.values()) {
      if (torrent.metadata === null) figures.torrents.awaiting_metadata++
      else figures.torrents.active++
      figures.peers += torrent.numPeers
      figures.downloadRate += torrent.downloadSpeed
      figures.uploadRate += torrent.uploadSpeed
    }
    return figures
  }

  ping (): PingResult {
    return { shard: this.#shard, torrents: this.#entries.size + this.#dormant.size, streams: this.#windows.count(), ready: this.#ready }
  }

  /**
   * This shard's share of the daemon-wide caps (bytes/s, -1 unlimited), set every second by
   * the supervisor's balancer; answers the bytes moved so far, from which it measures demand.
   */
  throttle (download: number, upload: number): ThrottleResult {
    if (this.#client.throttleDownload(download) === false || this.#client.throttleUpload(upload) === false) {
      throw new TodError('TOD_ERR_BAD_QUERY', 'a rate is a non-negative number or -1')
    }
    return this.#metrics.moved()
  }

  /** Persists bitfields and destroys the client. Idempotent. */
  async close (): Promise<{ closed: true }> {
    this.#closing ??= new Promise<void>((resolve) => {
      for (const t of this.#timers) clearInterval(t)
      for (const [infoHash, entry] of this.#entries) {
        try {
          if (entry.torrent.ready) this.#store.saveBitfieldSync(infoHash, entry.torrent.bitfield.buffer)
        } catch (err) {
          this.#log.warn('bitfield not saved', { infoHash, err: String(err) })
        }
      }
      this.#client.destroy(() => { resolve() })
    })
    await this.#closing
    return { closed: true }
  }

  #closing: Promise<void> | undefined

  #crash (): never {
    if (!this.#config.debug.fault_injection) throw new TodError('TOD_ERR_BAD_QUERY', 'fault injection is disabled')
    setImmediate(() => { throw new Error('fault injection: shard thread crash requested') })
    throw new TodError('TOD_ERR_ENGINE', 'shard is crashing on request')
  }

  /** `persisted`: the torrent comes from the state folder (its .torrent is saved already). */
  #addTorrent (infoHash: string, id: string | Buffer, meta: TorrentMeta, persisted?: { bitfield: Uint8Array | undefined }): Entry {
    const bitfield = persisted?.bitfield
    const torrent = this.#client.add(id, {
      path: path.join(this.#config.torrent.dir, infoHash),
      store: this.#checkedStore,
      // Nothing is fetched until someone reads; readers drive the priority windows.
      deselect: true,
      ...(bitfield !== undefined ? { bitfield } : {})
    })
    if (!this.#config.security.allow_private_networks) this.#guardPeers(infoHash, torrent)
    const entry: Entry = { torrent, ready: Promise.resolve(), diskPaths: [], meta, waiters: new Map(), bitfieldDirty: false, refuse: () => {} }
    watchTorrent(torrent, { infoHash, fromMagnet: typeof id === 'string', persisted: persisted !== undefined }, this.#log, this.#metrics)
    entry.ready = new Promise<void>((resolve, reject) => {
      // Sizes and paths were checked when the chunk store was built (checked-store.ts), just
      // before 'metadata'; a refusal lands here.
      entry.refuse = (err) => {
        this.#log.warn('torrent refused', { infoHash, code: err.code, err: err.message })
        torrent.destroy()
        void this.#remove(infoHash, err)
        reject(err)
      }
      torrent.once('metadata', () => { entry.diskPaths = storePaths(torrent) })
      torrent.once('ready', () => {
        this.#log.info('torrent ready', { infoHash, name: torrent.name, files: torrent.files.length, size: torrent.length })
        resolve()
      })
      torrent.once('error', (err: Error) => {
        this.#log.warn('torrent error', { infoHash, err: err.message })
        void this.#remove(infoHash, err)
        reject(new TodError('TOD_ERR_ENGINE', `torrent failed: ${this.#scrub(err.message)}`, { cause: err }))
      })
    })
    entry.ready.catch(() => {}) // observed by callers through #whenReady
    torrent.once('metadata', () => {
      entry.meta.name = torrent.name
      entry.meta.size = torrent.length
      // WebTorrent emits 'metadata' for a torrent reloaded from its .torrent too: nothing new.
      if (persisted !== undefined || torrent.destroyed) return
      this.#log.info('torrent metadata', { infoHash, name: torrent.name })
      this.#store.saveTorrent(infoHash, torrent.torrentFile, entry.meta)
        .catch((err: unknown) => { this.#log.warn('metadata not persisted', { infoHash, err: String(err) }) })
    })
    torrent.on('verified', (index: number) => {
      entry.bitfieldDirty = true
      const set = entry.waiters.get(index)
      if (set === undefined) return
      entry.waiters.delete(index)
      for (const w of set) {
        clearTimeout(w.timer)
        w.resolve(false)
      }
    })
    torrent.on('warning', (err: Error) => { this.#log.debug('torrent warning', { infoHash, err: err.message }) })
    // Peer hints from the magnet; WebTorrent takes them from a magnet itself, but a torrent
    // reloaded from its .torrent file would otherwise have no way back to them.
    torrent.once('infoHash', () => { for (const peer of meta.peers) torrent.addPeer(peer) })
    this.#entries.set(infoHash, entry)
    return entry
  }

  /**
   * Every peer WebTorrent would dial — from x.pe, trackers, DHT, LSD or PEX — goes through
   * torrent.addPeer; a wrapper refuses the non-public ones there.
   */
  #guardPeers (infoHash: string, torrent: Torrent): void {
    const addPeer = torrent.addPeer.bind(torrent)
    torrent.addPeer = (peer: string | object, source?: string): boolean => {
      if (typeof peer === 'string' && isBlockedPeer(peer)) {
        this.#log.debug('peer refused', { infoHash, peer, source })
        return false
      }
      return addPeer(peer, source)
    }
  }

  /** An error message for a client: the server's folders (in fs errors) are not its business. */
  #scrub (message: string): string {
    return message.split(this.#config.torrent.dir).join('<dir>')
  }

  /** Takes a torrent out of the client (its data stays on disk); resolves once it is closed. */
  async #remove (infoHash: string, err: Error): Promise<void> {
    const entry = this.#entries.get(infoHash)
    if (entry === undefined) return
    this.#entries.delete(infoHash)
    this.#windows.forgetTorrent(entry.torrent)
    for (const set of entry.waiters.values()) {
      for (const w of set) {
        clearTimeout(w.timer)
        w.reject(err instanceof TodError ? err : new TodError('TOD_ERR_ENGINE', `torrent failed: ${this.#scrub(err.message)}`))
      }
    }
    entry.waiters.clear()
    if (entry.torrent.destroyed) return
    await new Promise<void>((resolve) => { entry.torrent.destroy({ destroyStore: false }, () => { resolve() }) })
  }

  async #known (infoHash: string): Promise<Entry> {
    const entry = this.#entries.get(infoHash) ?? (this.#dormant.has(infoHash) ? await this.#wake(infoHash) : undefined)
    if (entry === undefined) throw new TodError('TOD_ERR_UNKNOWN_TORRENT')
    await this.#whenReady(entry)
    entry.meta.lastAccess = Date.now()
    return entry
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
        return this.#entries.get(infoHash) ?? this.#addTorrent(infoHash, torrentFile, meta, { bitfield })
      })().finally(() => this.#waking.delete(infoHash))
      this.#waking.set(infoHash, waking)
    }
    return await waking
  }

  /**
   * Torrents nobody has read for `idleMs` leave the client (no peers, no sockets) and become
   * dormant; one still without metadata is dropped, having nothing persisted.
   */
  #sleepIdle (idleMs: number): void {
    const now = Date.now()
    for (const [infoHash, entry] of this.#entries) {
      if (now - entry.meta.lastAccess < idleMs || this.#windows.count(entry.torrent) > 0 || entry.waiters.size > 0) continue
      const persisted = entry.torrent.ready
      if (persisted) {
        try {
          this.#store.saveBitfieldSync(infoHash, entry.torrent.bitfield.buffer)
        } catch (err) {
          this.#log.warn('bitfield not saved', { infoHash, err: String(err) })
          continue
        }
        this.#dormant.set(infoHash, entry.meta)
        void this.#store.saveMeta(infoHash, entry.meta).catch(() => {})
      }
      void this.#remove(infoHash, new Error('idle'))
      this.#log.info(persisted ? 'torrent idle' : 'torrent dropped without metadata', { infoHash })
    }
  }

  /** Waits for the torrent's metadata and store, up to torrent.metadata_timeout_ms (504). */
  async #whenReady (entry: Entry): Promise<void> {
    if (entry.torrent.ready) return
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(new TodError('TOD_ERR_METADATA_TIMEOUT')) }, this.#config.torrent.metadata_timeout_ms)
    })
    try {
      await Promise.race([entry.ready, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Resolves false when `piece` is verified, true when the stream was released first. */
  async #waitForPiece (entry: Entry, piece: number, streamId: string): Promise<boolean> {
    return await new Promise<boolean>((resolve, reject) => {
      let set = entry.waiters.get(piece)
      if (set === undefined) entry.waiters.set(piece, set = new Set())
      const waiters = set
      const w: Waiter = {
        streamId,
        resolve,
        reject,
        timer: setTimeout(() => {
          waiters.delete(w)
          if (waiters.size === 0 && entry.waiters.get(piece) === waiters) entry.waiters.delete(piece)
          reject(new TodError('TOD_ERR_STALLED', `piece ${piece} did not arrive within ${this.#config.torrent.read_timeout_ms} ms`))
        }, this.#config.torrent.read_timeout_ms)
      }
      waiters.add(w)
    })
  }

  async #flushBitfields (): Promise<void> {
    for (const [infoHash, entry] of this.#entries) {
      if (!entry.bitfieldDirty || !entry.torrent.ready) continue
      entry.bitfieldDirty = false
      try {
        await this.#store.saveBitfield(infoHash, entry.torrent.bitfield.buffer)
        await this.#store.saveMeta(infoHash, entry.meta)
      } catch (err) {
        entry.bitfieldDirty = true
        this.#log.warn('bitfield not persisted', { infoHash, err: String(err) })
      }
    }
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

/** Verified bytes contiguous from absolute torrent offset `abs`, up to the end of `file`. */
function contiguous (torrent: Torrent, file: TorrentFile, abs: number): number {
  let piece = Math.floor(abs / torrent.pieceLength)
  while (piece <= file._endPiece && torrent.bitfield.get(piece)) piece++
  const end = Math.min(file.offset + file.length, piece * torrent.pieceLength)
  return Math.max(0, end - abs)
}

/** Verified bytes of the torrent within absolute byte range [start, end). */
function verifiedBytes (torrent: Torrent, start: number, end: number): number {
  if (end <= start) return 0
  const pl = torrent.pieceLength
  let total = 0
  for (let p = Math.floor(start / pl); p * pl < end; p++) {
    if (torrent.bitfield.get(p)) total += Math.min(end, (p + 1) * pl) - Math.max(start, p * pl)
  }
  return total
}

/** Allocated bytes under `dir` (st_blocks: sparse files count what is written). */
async function diskUsage (dir: string): Promise<number> {
  let total = 0
  const entries = await fsp.readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  for (const e of entries) {
    if (!e.isFile()) continue
    const st = await fsp.stat(path.join(e.parentPath ?? e.path, e.name)).catch(() => null)
    if (st !== null) total += st.blocks * 512
  }
  return total
}

function describe (torrent: Torrent): TorrentInfo {
  return {
    infoHash: torrent.infoHash,
    name: torrent.name,
    size: torrent.length,
    pieceLength: torrent.pieceLength,
    files: torrent.files.map((f, i) => describeFile(f, i))
  }
}

function describeFile (file: TorrentFile, id: number): FileInfo {
  return { id, name: file.name, path: file.path.split(path.sep).join('/'), size: file.length, mime: mime.lookup(file.name) || 'application/octet-stream' }
}

/**
 * The absolute path of each file as WebTorrent's chunk store writes it (fs-chunk-store strips
 * reserved characters from names, so it is read from the store rather than recomputed; the
 * store checked them, checked-store.ts).
 */
function storePaths (torrent: Torrent): string[] {
  return (findStoreFiles(torrent.store) ?? []).map((f) => f.path)
}

function findStoreFiles (store: unknown): Array<{ path: string }> | undefined {
  // ImmediateChunkStore -> CacheChunkStore -> FSChunkStore; the last holds `files`.
  let s = store as { store?: unknown, files?: unknown } | undefined
  for (let depth = 0; s !== undefined && s !== null && depth < 5; depth++) {
    if (Array.isArray(s.files) && s.files.every((f: unknown) => typeof (f as { path?: unknown }).path === 'string')) {
      return s.files as Array<{ path: string }>
    }
    s = s.store as typeof s
  }
  return undefined
}
