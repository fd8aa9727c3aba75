import type { Torrent } from 'webtorrent'

/** Priority of stream windows; above WebTorrent's default selections (0). */
const STREAM_PRIORITY = 1
/** Pieces a window starts with after a seek or for a new stream: the two the engine marks critical. */
const INITIAL_PIECES = 2

/**
 * One stream's priority window: the piece range [read position, read position + readahead],
 * reached by slow start (see move); moving it deselects the old range and selects the new one,
 * so pieces behind the reader stop being fetched. Uses WebTorrent's stream selections
 * (exact-match removal, never merged with other selections), the same mechanism its own file
 * iterator uses.
 */
export class PriorityWindow {
  #torrent: Torrent | undefined
  #from = 0
  #to = -1

  /** The torrent the window selects pieces of, if any. */
  get torrent (): Torrent | undefined {
    return this.#torrent
  }

  /** The pieces [from, to] the window selects, or null when it selects none. */
  get range (): [number, number] | null {
    return this.#torrent === undefined ? null : [this.#from, this.#to]
  }

  /**
   * Points the window at pieces [from, to] of `torrent`, with a slow start: a new stream or a
   * seek selects only INITIAL_PIECES, and each read that continues the stream doubles the
   * window until it spans [from, to]. Measured on a loopback swarm (issue 6 bench): with the
   * whole 16 MiB readahead selected at once after a seek, the 31 other pieces arrive together
   * with the one at the read position, and the shard thread is so busy taking them in that the
   * first piece's disk-write callback (which is what makes it "verified") ran 90-330 ms after
   * its hash check; the first byte waited for it. With slow start, 30 cold seeks each: first
   * byte median 213 -> 114 ms, p90 345 -> 129 ms; cold sequential throughput unchanged.
   */
  move (torrent: Torrent, from: number, to: number): void {
    const continued = this.#torrent === torrent && from >= this.#from && from <= this.#to + 1
    const span = continued ? Math.max(INITIAL_PIECES, 2 * (this.#to - this.#from + 1)) : INITIAL_PIECES
    const end = Math.min(to, from + span - 1)
    if (continued && this.#from === from && this.#to === end) return
    this.release()
    torrent._select(from, end, STREAM_PRIORITY, null, true)
    this.#torrent = torrent
    this.#from = from
    this.#to = end
  }

  /** Drops the selection; true if there was one. */
  release (): boolean {
    const torrent = this.#torrent
    if (torrent === undefined) return false
    if (!torrent.destroyed) torrent._deselect(this.#from, this.#to, true)
    this.#torrent = undefined
    return true
  }
}
