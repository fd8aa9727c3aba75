import bencode from 'bencode'
import * as parseTorrentModule from 'parse-torrent'
import { TodError } from '../errors.js'
import { normalizeInfoHash } from '../infohash.js'
import { DEFAULT_FILE_LIST_LIMITS, fileListError, geometryError } from '../security/torrent-shape.js'
import type { FileListLimits } from '../security/torrent-shape.js'
import { strings } from './magnet.js'

/**
 * The one .torrent parser: the HTTP edge (uploads) and the sanitiser read .torrent files through
 * it. Before parse-torrent (which does work per file) it decodes the file with bencode, the
 * decoder parse-torrent uses, and checks the size of the file list against the limits; after,
 * the geometry (sizes against piece hashes) that WebTorrent would trust.
 */

export interface TorrentFile {
  /** Lower-case hex v1 info-hash. */
  infoHash: string
  infoBuffer: Uint8Array
  info: object
  name: string
  /** `announce` and `announce-list`, as parse-torrent merges them. */
  announce: string[]
  /** `url-list`: web seeds. */
  urlList: string[]
  /** Each file's path (name included) and length, as WebTorrent will lay them out. */
  files: Array<{ path: string, length: number }>
  /** Everything else parse-torrent read (for re-encoding with its `toTorrentFile`). */
  [key: string]: unknown
}

export interface TorrentFileOptions extends Partial<FileListLimits> {
  /** The data folder (torrent.dir), for the whole-path check; without it only the torrent's own part counts. */
  dataDir?: string
}

// modules.d.ts declares only parse-torrent's default export; its named `toTorrentFile` is
// typed here rather than in that shared file.
const parseTorrent = parseTorrentModule.default
/** parse-torrent's encoder: the top-level keys it knows, and `info` as decoded. */
export const toTorrentFile = (parseTorrentModule as unknown as { toTorrentFile: (parsed: object) => Uint8Array }).toTorrentFile

/**
 * Parses a .torrent file. Throws TOD_ERR_BAD_TORRENT when it does not decode or its sizes are
 * inconsistent, TOD_ERR_TOO_MANY_FILES beyond the file-list limits, TOD_ERR_PATH_TOO_LONG when
 * a file's whole path would not fit the file system.
 */
export async function parseTorrentFile (file: Uint8Array, options: TorrentFileOptions = {}): Promise<TorrentFile> {
  const limits: FileListLimits = { ...DEFAULT_FILE_LIST_LIMITS, ...definedOnly(options) }
  let decoded: unknown
  try {
    decoded = bencode.decode(file)
  } catch (err) {
    throw new TodError('TOD_ERR_BAD_TORRENT', { reason: 'it does not decode' }, { cause: err })
  }
  const info = (isDict(decoded) ? decoded.info : undefined)
  if (!isDict(info)) throw new TodError('TOD_ERR_BAD_TORRENT', { reason: 'it has no info dictionary' })
  const list = Array.isArray(info.files) ? info.files as unknown[] : [undefined]
  const listed = fileListError(list.length, pathBytes(info, list, limits.maxPathBytes), limits, options.dataDir)
  if (listed !== null) throw listed

  let parsed: Partial<TorrentFile>
  try {
    parsed = await parseTorrent(file) as Partial<TorrentFile>
  } catch (err) {
    throw new TodError('TOD_ERR_BAD_TORRENT', { reason: 'it is not a .torrent' }, { cause: err })
  }
  // A 20-byte buffer parses as a bare info-hash; only a real .torrent has an info dictionary.
  if (typeof parsed.infoHash !== 'string' || typeof parsed.info !== 'object' || parsed.info === null ||
    !(parsed.infoBuffer instanceof Uint8Array) || !Array.isArray(parsed.files)) {
    throw new TodError('TOD_ERR_BAD_TORRENT', { reason: 'it has no info dictionary' })
  }
  const pieces = (info.pieces instanceof Uint8Array && info.pieces.length % 20 === 0) ? info.pieces.length / 20 : -1
  const lengths = (Array.isArray(info.files) ? info.files as unknown[] : [info]).map((f) => isDict(f) ? f.length : undefined)
  const geometry = geometryError({ pieceLength: info['piece length'], lengths, pieceCount: pieces })
  if (geometry !== null) throw geometry
  return {
    ...parsed,
    infoHash: normalizeInfoHash(parsed.infoHash),
    infoBuffer: parsed.infoBuffer,
    info: parsed.info,
    name: typeof parsed.name === 'string' ? parsed.name : '',
    announce: strings(parsed.announce),
    urlList: strings(parsed.urlList),
    files: parsed.files
  }
}

/**
 * Each file's path bytes as parse-torrent will join them: the name (`name.utf-8` before
 * `name`), a separator, then the components (`path.utf-8` before `path`) with separators.
 * Lazy, so the caller stops reading at its limits; one file's count stops past `cap`.
 */
function * pathBytes (info: Record<string, unknown>, list: readonly unknown[], cap: number): Generator<number> {
  const name = byteLength(info['name.utf-8']) || byteLength(info.name)
  for (const f of list) {
    let bytes = Math.max(1, name)
    const parts = isDict(f) ? (f['path.utf-8'] || f.path) : undefined // parse-torrent falls back on any falsy path.utf-8
    if (Array.isArray(parts)) {
      for (const p of parts) {
        bytes += 1 + Math.max(1, byteLength(p))
        if (bytes > cap) break // already too long: no need to read a million components
      }
    }
    yield bytes
  }
}

function byteLength (v: unknown): number {
  return v instanceof Uint8Array ? v.length : typeof v === 'string' ? Buffer.byteLength(v) : 0
}

function isDict (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)
}

function definedOnly (o: TorrentFileOptions): Partial<FileListLimits> {
  return {
    ...(o.maxFiles !== undefined ? { maxFiles: o.maxFiles } : {}),
    ...(o.maxPathBytes !== undefined ? { maxPathBytes: o.maxPathBytes } : {})
  }
}
