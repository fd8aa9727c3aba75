/**
 * What the runner needs from a server that gets its bytes from the swarm (tod-p2m, peerflix):
 * a way to start over with an empty data folder, timed up to the metadata, and the peak
 * memory of everything it ran.
 */
import type { MemoryPeak } from './proc-stats.js'

/** A torrent just added with an empty data folder, its metadata known. */
export interface Fresh {
  /** URL of the file's bytes (ranges supported). */
  url: string
  /** Root of the server's process tree (CPU and memory are summed over it). */
  pid: number
  /** From asking for the torrent to the metadata being there, ms. */
  metadataMs: number
}

/** A swarm-fed server under test, for one run. */
export interface SwarmContender {
  readonly name: 'tod-p2m' | 'peerflix'
  /** Starts whatever lives for the whole run (tod-p2m's daemon). */
  begin: () => Promise<void>
  /** The torrent again, from nothing: empty data folder, metadata fetched from the swarm. */
  fresh: () => Promise<Fresh>
  /** Stops everything of the run; resolves the largest memory footprint seen during it. */
  end: () => Promise<MemoryPeak>
}
