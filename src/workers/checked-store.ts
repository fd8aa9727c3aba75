import path from 'node:path'
import FSChunkStore from 'fs-chunk-store'
import type { Torrent } from 'webtorrent'
import type { TodError } from '../errors.js'
import { filePathsError, geometryError, layoutError } from '../security/torrent-shape.js'
import type { FileListLimits } from '../security/torrent-shape.js'

/**
 * What {@link checkedStore} throws into WebTorrent when it refuses a torrent (the catalogue
 * error is its cause); the shard thread ignores the rejection it leaves.
 */
export class RefusedTorrentError extends Error {
  constructor (err: TodError) {
    super(err.message, { cause: err })
    this.name = 'RefusedTorrentError'
  }
}

interface StoreOptions { torrent: Torrent, path: string, files: Array<{ path: string, length: unknown }>, length: unknown, [key: string]: unknown }

/**
 * WebTorrent's chunk store (`add(id, { store })`) behind the checks of torrent-shape.ts. The
 * store is built when the metadata arrives, from a .torrent or from peers, and before WebTorrent
 * allocates anything per piece: the last point where absurd sizes can be refused without the
 * thread hanging. A refusal calls `onRefused` (which destroys the torrent and answers its
 * waiting requests) and throws, which stops WebTorrent's metadata handling there.
 */
export function checkedStore (limits: FileListLimits & { dataDir: string }, onRefused: (torrent: Torrent, err: TodError) => void): new (chunkLength: number, opts: StoreOptions) => FSChunkStore {
  return function CheckedStore (chunkLength: number, opts: StoreOptions): FSChunkStore {
    const { torrent } = opts
    // File count, total path bytes and whole-path length first: FSChunkStore does work per file.
    check(filePathsError(opts.files.map((f) => f.path), limits, limits.dataDir))
    check(geometryError({ pieceLength: chunkLength, lengths: opts.files.map((f) => f.length), pieceCount: torrent.pieces.length }))
    const store = new FSChunkStore(chunkLength, opts)
    check(layoutError(path.resolve(opts.path), store.files.map((f) => f.path), opts.files.map((f) => f.path)))
    return store

    function check (err: TodError | null): void {
      if (err === null) return
      onRefused(torrent, err)
      throw new RefusedTorrentError(err)
    }
  } as unknown as new (chunkLength: number, opts: StoreOptions) => FSChunkStore
}
