import path from 'node:path'
import type WebTorrent from 'webtorrent'
import type { AddOptions, Torrent } from 'webtorrent'
import { TodError } from '../errors.js'
import type { Logger } from '../log.js'
import type { TorrentMeta } from './persist.js'

/** A torrent in the WebTorrent client, with what the shard keeps beside it. */
export interface Entry {
  infoHash: string
  torrent: Torrent
  /** Settles once the metadata and store are there, or with the reason the torrent failed. */
  ready: Promise<void>
  /** Absolute on-disk path of each file, checked to stay under <dir>/<infoHash>/. */
  diskPaths: string[]
  meta: TorrentMeta
  /**
   * Every tracker and peer hint of its magnet was dropped by the private-network policy: its
   * metadata can only come from the DHT, and a timeout says why.
   */
  privateOnly: boolean
  /** Requests waiting for its metadata (a timed-out add with none left drops it). */
  waiting: number
  /** Fails its waiting requests with `err`; the registry takes it out of the client. */
  fail: (err: TodError) => void
}

/** What happens to an entry's torrent, for the registry to act on. */
export interface EntryEvents {
  /** The torrent cannot be kept (error, refused shape, not the torrent asked for). */
  failed: (entry: Entry, err: TodError) => void
  /**
   * Writing or reading its data failed (disk full, quota, I/O error, read-only) after its
   * metadata arrived: WebTorrent has destroyed it, but its .torrent and verified pieces are
   * sound, so it can come back once the disk is fixed.
   */
  storageFailed: (entry: Entry, err: TodError) => void
  verified: (entry: Entry, index: number) => void
  /** Its metadata arrived for the first time (not reloaded from the state folder). */
  metadata: (entry: Entry) => void
}

export interface OpenOptions {
  /** <torrent.dir>/<infoHash> holds its files. */
  dir: string
  store: AddOptions['store']
  /** Reloaded from the state folder (its .torrent is saved already), with its bitfield. */
  persisted?: { bitfield: Uint8Array | undefined }
  privateOnly?: boolean
}

/** The most characters of an error message that reach a client (messages can carry paths). */
const MESSAGE_MAX = 160

/**
 * Adds a torrent to the client and wires its events to `events`. The torrent must turn out to
 * be `infoHash` (a magnet or .torrent naming another one is refused).
 */
export function openTorrent (client: WebTorrent, infoHash: string, id: string | Buffer, meta: TorrentMeta, opts: OpenOptions, events: EntryEvents, log: Logger): Entry {
  const bitfield = opts.persisted?.bitfield
  const torrent = client.add(id, {
    path: path.join(opts.dir, infoHash),
    store: opts.store,
    // Nothing is fetched until someone reads; readers drive the priority windows.
    deselect: true,
    ...(bitfield !== undefined ? { bitfield } : {})
  })
  const entry: Entry = { infoHash, torrent, ready: Promise.resolve(), diskPaths: [], meta, privateOnly: opts.privateOnly === true, waiting: 0, fail: () => {} }
  let failed = false
  entry.ready = new Promise<void>((resolve, reject) => {
    entry.fail = (err) => {
      if (failed) return
      failed = true
      reject(err)
      events.failed(entry, err)
    }
    torrent.once('ready', () => {
      log.info('torrent ready', { infoHash, name: torrent.name, files: torrent.files.length, size: torrent.length })
      resolve()
    })
  })
  entry.ready.catch(() => {}) // observed by callers through the registry's whenReady
  const mismatch = (): boolean => {
    if (torrent.infoHash === undefined || torrent.infoHash === infoHash) return false
    entry.fail(typeof id === 'string' ? new TodError('TOD_ERR_BAD_MAGNET', { reason: 'it names another torrent than the one asked for' }) : new TodError('TOD_ERR_BAD_TORRENT', { reason: 'it is another torrent than the one asked for' }))
    return true
  }
  torrent.once('infoHash', () => {
    if (mismatch()) return
    // Peer hints from the magnet; WebTorrent takes them from a magnet itself, but a torrent
    // reloaded from its .torrent file would otherwise have no way back to them.
    for (const peer of meta.peers) torrent.addPeer(peer)
  })
  torrent.once('metadata', () => {
    if (mismatch()) return
    // Sizes and paths were checked when the chunk store was built (checked-store.ts).
    entry.diskPaths = storePaths(torrent)
    meta.name = torrent.name
    meta.size = torrent.length
    // WebTorrent emits 'metadata' for a torrent reloaded from its .torrent too: nothing new.
    if (opts.persisted === undefined && !torrent.destroyed) events.metadata(entry)
  })
  torrent.once('error', (err: Error) => {
    log.warn('torrent error', { infoHash, code: (err as NodeJS.ErrnoException).code, err: cut(err.message) })
    if (torrent.ready && isStorageError(err)) {
      events.storageFailed(entry, new TodError('TOD_ERR_DISK_FULL', undefined, { cause: err }))
      return
    }
    entry.fail(new TodError('TOD_ERR_ENGINE', { reason: 'WebTorrent gave up on the torrent' }, { cause: err }))
  })
  torrent.on('verified', (index: number) => { events.verified(entry, index) })
  torrent.on('warning', (err: Error) => { log.debug('torrent warning', { infoHash, err: cut(err.message) }) })
  return entry
}

/**
 * Errors of the disk under torrent.dir, not of the torrent: WebTorrent destroys a torrent whose
 * chunk store fails a write, though the pieces it had verified are on disk.
 */
const STORAGE_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS'])

function isStorageError (err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code
  return code !== undefined && STORAGE_ERRORS.has(code)
}

/** `text` cut to {@link MESSAGE_MAX} characters. */
export function cut (text: string): string {
  return text.length > MESSAGE_MAX ? `${text.slice(0, MESSAGE_MAX)}…` : text
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
