import type { Torrent, TorrentFile } from 'webtorrent'
import { TodError } from '../errors.js'
import type { ReadResult } from '../protocol.js'
import { withTimeout } from '../util/timeout.js'
import { PriorityWindow } from './priority-window.js'

/** What a read needs to know about the file it reads. */
export interface ReadTarget { torrent: Torrent, file: TorrentFile, diskPath: string }

/** How far a read looks ahead and how long it waits for its first piece. */
export interface ReadLimits { readaheadBytes: number, readTimeoutMs: number }

interface WaitingRead { torrent: Torrent, piece: number, settle: (cancelled: boolean) => void, fail: (err: Error) => void }

/**
 * One reader of one file (an HTTP response, named by its streamId): its priority window, its
 * waiting read, when it was last used, and its release. The shard keeps these in a
 * {@link Streams} registry, which routes 'verified' pieces to them.
 */
export class Stream {
  readonly id: string
  readonly #window = new PriorityWindow()
  #waiting: WaitingRead | undefined
  #lastUsed = Date.now()

  constructor (id: string) {
    this.id = id
  }

  /** When the stream last asked for bytes (ms since the epoch). */
  get lastUsed (): number {
    return this.#lastUsed
  }

  /** The torrent the stream's window is on, if it has one. */
  get torrent (): Torrent | undefined {
    return this.#window.torrent
  }

  /** The pieces its priority window selects, or null. */
  get window (): [number, number] | null {
    return this.#window.range
  }

  /** Whether a read of this stream waits for a piece. */
  get waiting (): boolean {
    return this.#waiting !== undefined
  }

  /**
   * Makes the bytes at `offset` of a file ready: moves the window to [offset, offset +
   * readahead], marks the first pieces critical, and resolves once the piece holding `offset`
   * is verified (WebTorrent marks a piece verified only after it is written, so it is on disk).
   * Answers how many bytes from `offset` are verified contiguously; 0 when released meanwhile.
   */
  async read ({ torrent, file, diskPath }: ReadTarget, offset: number, limits: ReadLimits, now = Date.now()): Promise<ReadResult> {
    this.#lastUsed = now
    if (offset >= file.length) return { diskPath, size: file.length, available: 0 }
    const pieceLength = torrent.pieceLength
    const abs = file.offset + offset
    const first = Math.floor(abs / pieceLength)
    const last = Math.min(file._endPiece, Math.floor((abs + limits.readaheadBytes - 1) / pieceLength))
    this.#window.move(torrent, first, last)
    if (!torrent.bitfield.get(first)) {
      torrent.critical(first, Math.min(first + 1, last))
      const cancelled = await this.#waitFor(torrent, first, limits.readTimeoutMs)
      if (cancelled) return { diskPath, size: file.length, available: 0 }
    }
    return { diskPath, size: file.length, available: contiguous(torrent, file, abs) }
  }

  /** Piece `index` of `torrent` was verified: wakes the read waiting for it. */
  pieceVerified (torrent: Torrent, index: number): void {
    const w = this.#waiting
    if (w === undefined || w.torrent !== torrent || w.piece !== index) return
    this.#waiting = undefined
    w.settle(false)
  }

  /** The torrent is going away: its waiting read fails with `err` and the window is forgotten. */
  torrentGone (torrent: Torrent, err: Error): void {
    const w = this.#waiting
    if (w !== undefined && w.torrent === torrent) {
      this.#waiting = undefined
      w.fail(err)
    }
    if (this.#window.torrent === torrent) this.#window.release()
  }

  /** The reader went away: drops the window and cancels the waiting read (it answers 0 bytes). */
  release (): boolean {
    const w = this.#waiting
    this.#waiting = undefined
    w?.settle(true)
    return this.#window.release() || w !== undefined
  }

  /** Resolves false when `piece` is verified, true when the stream was released first. */
  async #waitFor (torrent: Torrent, piece: number, timeoutMs: number): Promise<boolean> {
    // One read at a time per stream: a newer one supersedes (cancels) the one still waiting.
    this.#waiting?.settle(true)
    const waiting = new Promise<boolean>((resolve, reject) => {
      this.#waiting = { torrent, piece, settle: resolve, fail: reject }
    })
    const mine = this.#waiting
    return await withTimeout(waiting, timeoutMs, () => {
      if (this.#waiting === mine) this.#waiting = undefined
      return new TodError('TOD_ERR_STALLED', { piece, ms: timeoutMs })
    })
  }
}

/** Verified bytes contiguous from absolute torrent offset `abs`, up to the end of `file`. */
function contiguous (torrent: Torrent, file: TorrentFile, abs: number): number {
  let piece = Math.floor(abs / torrent.pieceLength)
  while (piece <= file._endPiece && torrent.bitfield.get(piece)) piece++
  const end = Math.min(file.offset + file.length, piece * torrent.pieceLength)
  return Math.max(0, end - abs)
}
