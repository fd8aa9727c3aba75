/**
 * Checks a daemon's persisted state against its data: every piece the state folder's bitfield
 * says is verified is re-hashed from the files under <dir>/<infoHash>/ and compared with the
 * piece hash in the persisted .torrent. Used by the fault tests (disk full, SIGKILL).
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

/** What {@link auditPieces} found for one torrent. */
export interface PieceAudit {
  /** Pieces in the torrent. */
  pieces: number
  /** Pieces the bitfield marks verified. */
  verified: number
  /** Verified pieces whose bytes on disk do not hash to the .torrent's piece hash (or are missing). */
  bad: number[]
  /** False when the state folder has no bitfield for the torrent (nothing claimed yet). */
  hasBitfield: boolean
}

interface ParsedTorrent {
  pieces: string[]
  pieceLength: number
  lastPieceLength: number
  files: Array<{ path: string, length: number, offset: number }>
}

async function parse (torrentFile: Buffer): Promise<ParsedTorrent> {
  const specifier: string = 'parse-torrent'
  const mod = await import(specifier) as { default: (id: Uint8Array) => Promise<ParsedTorrent> }
  return await mod.default(torrentFile)
}

/** Bit `i` of a BitTorrent bitfield (most significant bit first, as the `bitfield` package stores it). */
export function bitSet (bits: Uint8Array, i: number): boolean {
  const byte = bits[i >> 3]
  return byte !== undefined && (byte & (128 >> (i % 8))) !== 0
}

/** Reads `length` bytes at torrent offset `start` from the files under `root`; missing bytes are zeros (a short read cannot match a hash). */
function readSpan (root: string, files: ParsedTorrent['files'], start: number, length: number): Buffer {
  const out = Buffer.alloc(length)
  const end = start + length
  for (const f of files) {
    const from = Math.max(start, f.offset)
    const to = Math.min(end, f.offset + f.length)
    if (from >= to) continue
    let fd: number
    try {
      fd = fs.openSync(path.join(root, f.path), 'r')
    } catch {
      continue
    }
    try {
      fs.readSync(fd, out, from - start, to - from, from - f.offset)
    } finally {
      fs.closeSync(fd)
    }
  }
  return out
}

/**
 * Re-hashes every piece the persisted bitfield of `infoHash` marks verified.
 *
 * @param dir - torrent.dir (data lives in <dir>/<infoHash>/).
 * @param stateDir - torrent.state_dir (<stateDir>/torrents/<infoHash>.torrent and .bitfield).
 */
export async function auditPieces (dir: string, stateDir: string, infoHash: string): Promise<PieceAudit> {
  const base = path.join(stateDir, 'torrents', infoHash)
  const parsed = await parse(fs.readFileSync(`${base}.torrent`))
  let bits: Uint8Array | undefined
  try {
    bits = new Uint8Array(fs.readFileSync(`${base}.bitfield`))
  } catch {
    bits = undefined
  }
  const audit: PieceAudit = { pieces: parsed.pieces.length, verified: 0, bad: [], hasBitfield: bits !== undefined }
  if (bits === undefined) return audit
  const root = path.join(dir, infoHash)
  for (let i = 0; i < parsed.pieces.length; i++) {
    if (!bitSet(bits, i)) continue
    audit.verified++
    const length = i === parsed.pieces.length - 1 ? parsed.lastPieceLength : parsed.pieceLength
    const hash = crypto.createHash('sha1').update(readSpan(root, parsed.files, i * parsed.pieceLength, length)).digest('hex')
    if (hash !== parsed.pieces[i]) audit.bad.push(i)
  }
  return audit
}
