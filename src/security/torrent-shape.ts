import path from 'node:path'

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
  const bad = names.findIndex((n) => /[\x00-\x1f]/.test(n))
  if (bad >= 0) return `file ${bad} has a control character in its name`
  const seen = new Set<string>()
  for (const [i, p] of paths.entries()) {
    const abs = path.resolve(p)
    if (!abs.startsWith(root + path.sep)) return `file ${i} resolves outside its folder`
    if (abs.slice(root.length + 1).split(path.sep).some((part) => Buffer.byteLength(part) > NAME_MAX)) return `file ${i} has a name longer than ${NAME_MAX} bytes`
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
