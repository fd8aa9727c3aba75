import type { FileInfo, TorrentInfo } from '../protocol.js'

/** Files remembered per front-end; an entry is ~200 bytes. */
const MAX_FILES = 4096

/**
 * Files of torrents as the engine described them. A torrent's file list is fixed by its
 * info-hash, so an entry never goes stale; only whether the torrent is still here can change,
 * and the `read` task that follows every use checks that. Saves the `file` round trip
 * (front-end -> supervisor -> shard and back) on every request after the first for a file.
 * Least recently used entries go first.
 */
export class FileCache {
  readonly #files = new Map<string, FileInfo>()
  readonly #max: number

  constructor (max = MAX_FILES) {
    this.#max = max
  }

  get (infoHash: string, fileId: number): FileInfo | undefined {
    const key = `${infoHash}/${fileId}`
    const file = this.#files.get(key)
    if (file !== undefined) {
      this.#files.delete(key)
      this.#files.set(key, file)
    }
    return file
  }

  put (infoHash: string, { id, name, path, size, mime }: FileInfo): void {
    const key = `${infoHash}/${id}`
    this.#files.delete(key)
    this.#files.set(key, { id, name, path, size, mime })
    while (this.#files.size > this.#max) {
      const oldest = this.#files.keys().next().value
      if (oldest === undefined) break
      this.#files.delete(oldest)
    }
  }

  /** Remembers every file of a torrent document. */
  putTorrent (torrent: TorrentInfo): void {
    for (const file of torrent.files) this.put(torrent.infoHash, file)
  }
}
