import { TodError } from '../errors.js'

export interface TorrentCaps {
  /** security.max_torrents; 0 is unlimited. */
  total: number
  /** security.max_torrents_per_ip; 0 is unlimited. */
  perClient: number
}

/**
 * Which torrents the daemon holds and which client added each, for the caps on torrents in
 * total and per client. The shards are the truth: the ledger is filled from their lists at
 * start and re-synced on every reaper pass (torrents a shard drops on its own, such as one that
 * never found its metadata, leave it there); adds and deletes keep it current in between.
 * Adds that are still running hold a reservation, so concurrent adds cannot overshoot a cap.
 */
export class TorrentLedger {
  /** info-hash -> client key of whoever added it (null: from before this process started). */
  readonly #owners = new Map<string, string | null>()
  readonly #pending = new Map<string, string>()
  #caps: TorrentCaps

  constructor (caps: TorrentCaps) {
    this.#caps = caps
  }

  setCaps (caps: TorrentCaps): void {
    this.#caps = caps
  }

  has (infoHash: string): boolean {
    return this.#owners.has(infoHash)
  }

  /**
   * Reserves room for a torrent `client` is adding, or throws 429 when a cap is reached.
   * Returns false when nothing needed reserving (the torrent is known, or being added already).
   */
  reserve (infoHash: string, client: string): boolean {
    if (this.#owners.has(infoHash) || this.#pending.has(infoHash)) return false
    const { total, perClient } = this.#caps
    if (total > 0 && this.#owners.size + this.#pending.size >= total) {
      throw new TodError('TOD_ERR_TOO_MANY_TORRENTS', { holder: 'the server', max: total }, { headers: { 'Retry-After': '60' } })
    }
    if (perClient > 0 && this.#countOf(client) >= perClient) {
      throw new TodError('TOD_ERR_TOO_MANY_TORRENTS', { holder: 'this client', max: perClient }, { headers: { 'Retry-After': '60' } })
    }
    this.#pending.set(infoHash, client)
    return true
  }

  /** Ends a reservation: the torrent is held now (`added`), or the add failed. */
  settle (infoHash: string, added: boolean): void {
    const client = this.#pending.get(infoHash)
    this.#pending.delete(infoHash)
    if (added && client !== undefined) this.#owners.set(infoHash, client)
  }

  /** A torrent that was added outside {@link reserve} (it was known to a shard already). */
  note (infoHash: string): void {
    if (!this.#owners.has(infoHash)) this.#owners.set(infoHash, null)
  }

  forget (infoHash: string): void {
    this.#owners.delete(infoHash)
  }

  /** Makes the ledger match what the shards hold, keeping who added what. */
  sync (held: Iterable<string>): void {
    const now = new Set(held)
    for (const ih of this.#owners.keys()) if (!now.has(ih)) this.#owners.delete(ih)
    for (const ih of now) this.note(ih)
  }

  get size (): number {
    return this.#owners.size
  }

  #countOf (client: string): number {
    let n = 0
    for (const owner of this.#owners.values()) if (owner === client) n++
    for (const owner of this.#pending.values()) if (owner === client) n++
    return n
  }
}
