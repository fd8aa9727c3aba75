import path from 'node:path'
import { TodError } from '../errors.js'

/**
 * Checks on what a stranger's torrent claims about itself, made before WebTorrent acts on it.
 * parse-torrent checks neither sizes nor names, and WebTorrent trusts both. Measured on
 * webtorrent 3.0.21 without these checks: a length of 2^53 or a negative piece length blocked
 * the shard thread for good (every torrent of the shard unreachable, /health 503), a piece
 * length given as a string killed the thread, a 300-byte file name or a file that is also a
 * folder failed every read with ENAMETOOLONG or EISDIR, and two files with one path shared one
 * file on disk (one of them served the other's bytes).
 */

/** libtorrent's largest piece (file_storage.hpp); WebTorrent keeps a whole piece in memory. */
export const MAX_PIECE_LENGTH = 536_854_528
/** Longest file-name component Linux file systems take (NAME_MAX). */
const NAME_MAX = 255
/** Longest path Linux takes (PATH_MAX, counting the final NUL). */
export const PATH_MAX = 4096

/** How many files and how many bytes of paths a torrent may list (torrent.max_files, torrent.max_path_bytes). */
export interface FileListLimits { maxFiles: number, maxPathBytes: number }

/** The schema's defaults, for callers that have no config at hand (tests, the sanitiser's defaults). */
export const DEFAULT_FILE_LIST_LIMITS: FileListLimits = { maxFiles: 10_000, maxPathBytes: 1024 * 1024 }

/**
 * The size of a torrent's file list, checked before anything is done per file: 120,000
 * zero-length files in a 4 MB .torrent blocked a shard thread for half a minute inside
 * WebTorrent. `paths` yields each file's path bytes (torrent name and components with their
 * separators); it is read only while the totals are within the limits, so the work is bounded
 * by the limits, not by what the torrent claims. Components are counted as one byte at least,
 * so a path of a million empty components is not free.
 *
 * @param count - the number of files, known before any of them is read
 * @param dataDir - the folder the torrent's folder goes in, for the whole-path check; a path
 *   longer than PATH_MAX under `<dataDir>/<infoHash>/` fails every read with ENAMETOOLONG
 */
export function fileListError (count: number, paths: Iterable<number>, limits: FileListLimits, dataDir = ''): TodError | null {
  const tooMany = (pathBytes: number | string): TodError => new TodError('TOD_ERR_TOO_MANY_FILES',
    { files: count, pathBytes, maxFiles: limits.maxFiles, maxPathBytes: limits.maxPathBytes })
  if (count > limits.maxFiles) return tooMany('?')
  // <dataDir>/<40 hex>/<path>, and the NUL.
  const room = PATH_MAX - 1 - (dataDir === '' ? 0 : Buffer.byteLength(path.resolve(dataDir)) + 1) - 41
  let total = 0
  let i = 0
  for (const bytes of paths) {
    total += bytes
    if (total > limits.maxPathBytes) return tooMany(`more than ${limits.maxPathBytes}`)
    if (bytes > room) return new TodError('TOD_ERR_PATH_TOO_LONG', { file: i, max: PATH_MAX - 1 })
    i++
  }
  return null
}

/** {@link fileListError} for paths as strings (parse-torrent's `files[i].path`, name included). */
export function filePathsError (paths: readonly string[], limits: FileListLimits, dataDir = ''): TodError | null {
  return fileListError(paths.length, (function * () { for (const p of paths) yield Math.max(1, Buffer.byteLength(p)) })(), limits, dataDir)
}

/** What the geometry check needs: piece length, each file's length, the number of piece hashes. */
export interface Geometry { pieceLength: unknown, lengths: readonly unknown[], pieceCount: number }

/** Why the sizes cannot be right, or null when they are consistent. */
export function geometryProblem ({ pieceLength, lengths, pieceCount }: Geometry): string | null {
  if (!Number.isSafeInteger(pieceLength) || (pieceLength as number) <= 0 || (pieceLength as number) > MAX_PIECE_LENGTH) {
    return 'the piece length is not a positive integer of at most 512 MiB'
  }
  const total = lengths.reduce<number>((sum, n) => Number.isSafeInteger(n) && (n as number) >= 0 ? sum + (n as number) : NaN, 0)
  if (!Number.isSafeInteger(total)) return 'a file length is not a non-negative integer'
  if (pieceCount !== Math.ceil(total / (pieceLength as number))) return 'the number of piece hashes does not match the length'
  return null
}

/**
 * Why the files cannot be laid out under `root`, or null. `paths` are the absolute paths the
 * chunk store will write; `names` the torrent's own paths (for control characters, which the
 * store keeps).
 */
export function layoutProblem (root: string, paths: readonly string[], names: readonly string[]): string | null {
  // Control characters are exactly what is looked for here.
  const bad = names.findIndex((n) => /[\x00-\x1f]/.test(n)) // eslint-disable-line no-control-regex
  if (bad >= 0) return `file ${bad} has a control character in its name`
  const seen = new Set<string>()
  for (const [i, p] of paths.entries()) {
    const abs = path.resolve(p)
    if (!abs.startsWith(root + path.sep)) return `file ${i} resolves outside its folder`
    if (abs.slice(root.length + 1).split(path.sep).some((part) => Buffer.byteLength(part) > NAME_MAX)) return `file ${i} has a name longer than ${NAME_MAX} bytes`
    if (Buffer.byteLength(abs) >= PATH_MAX) return `file ${i} has a path longer than ${PATH_MAX - 1} bytes`
    if (seen.has(abs)) return `file ${i} has the same path as another file`
    seen.add(abs)
  }
  for (const [i, p] of paths.entries()) {
    let dir = path.dirname(path.resolve(p))
    while (dir.length > root.length) {
      if (seen.has(dir)) return `file ${i} lies inside a folder that is also a file`
      dir = path.dirname(dir)
    }
  }
  return null
}

/** {@link geometryProblem} as the error to throw (TOD_ERR_BAD_TORRENT), or null. */
export function geometryError (geometry: Geometry): TodError | null {
  const reason = geometryProblem(geometry)
  return reason === null ? null : new TodError('TOD_ERR_BAD_TORRENT', { reason })
}

/**
 * {@link layoutProblem} as the error to throw, or null: TOD_ERR_PATH_TOO_LONG for a whole path
 * beyond PATH_MAX (the message names the file's index, never its path), TOD_ERR_UNSAFE_PATH for
 * the rest.
 */
export function layoutError (root: string, paths: readonly string[], names: readonly string[]): TodError | null {
  const long = paths.findIndex((p) => Buffer.byteLength(path.resolve(p)) >= PATH_MAX)
  if (long >= 0) return new TodError('TOD_ERR_PATH_TOO_LONG', { file: long, max: PATH_MAX - 1 })
  const reason = layoutProblem(root, paths, names)
  return reason === null ? null : new TodError('TOD_ERR_UNSAFE_PATH', { reason })
}
