import type { Torrent } from 'webtorrent'
import { Stream } from './stream.js'

/** The shard's streams by streamId; the engine dispatches reads, releases and verified pieces here. */
export class Streams {
  readonly #streams = new Map<string, Stream>()

  /** The stream named `id`, created on its first read. */
  open (id: string): Stream {
    let stream = this.#streams.get(id)
    if (stream === undefined) this.#streams.set(id, stream = new Stream(id))
    return stream
  }

  /** Ends stream `id` (its waiting read answers 0 bytes); true if it had a window or a read. */
  release (id: string): boolean {
    const stream = this.#streams.get(id)
    if (stream === undefined) return false
    this.#streams.delete(id)
    return stream.release()
  }

  /** Wakes the streams waiting for piece `index` of `torrent`. */
  pieceVerified (torrent: Torrent, index: number): void {
    for (const stream of this.#streams.values()) stream.pieceVerified(torrent, index)
  }

  /** A torrent left the client: its streams' waiting reads fail with `err`, and they end. */
  torrentGone (torrent: Torrent, err: Error): void {
    for (const [id, stream] of this.#streams) {
      if (stream.torrent !== torrent) continue
      stream.torrentGone(torrent, err)
      this.#streams.delete(id)
    }
  }

  /** Ends streams unused for `idleMs` and not waiting (a reader that vanished without a release). */
  sweep (idleMs: number, now = Date.now()): string[] {
    const gone: string[] = []
    for (const [id, stream] of this.#streams) {
      if (stream.waiting || now - stream.lastUsed <= idleMs) continue
      this.release(id)
      gone.push(id)
    }
    return gone
  }

  /** The priority windows ([from, to] pieces) of the streams reading `torrent`. */
  windows (torrent: Torrent): Array<[number, number]> {
    const out: Array<[number, number]> = []
    for (const s of this.#streams.values()) {
      const w = s.window
      if (s.torrent === torrent && w !== null) out.push(w)
    }
    return out
  }

  /** Streams reading `torrent` (or all streams with a window). */
  count (torrent?: Torrent): number {
    let n = 0
    for (const s of this.#streams.values()) if (s.torrent !== undefined && (torrent === undefined || s.torrent === torrent)) n++
    return n
  }
}
