/**
 * The loopback swarm every contender downloads from: a video made by ffmpeg, a .torrent of it
 * with no trackers (512 KiB pieces by default, as in issue 6), and Debian's qbittorrent-nox
 * seeding it on 127.0.0.1 with DHT, LSD, PeX, UPnP and NAT-PMP off. Leechers find the
 * seeder only through the peer hint (`x.pe=127.0.0.1:PORT` in the magnet, or peerflix `-e`).
 */
import fs from 'node:fs'
import path from 'node:path'
import { makeRandomFile, makeVideo, sha256File } from '../test/helpers/media.js'
import { startQbittorrentSeeder } from '../test/helpers/qbittorrent.js'
import { createTorrentFile, parseTorrentFile } from '../test/helpers/webtorrent.js'
import type { Cleanup } from './cleanup.js'

/** A seeded torrent of one file. */
export interface Swarm {
  /** The complete file, as seeded (nginx serves this one). */
  file: string
  size: number
  sha256: string
  infoHash: string
  pieceLength: number
  /** `magnet:?xt=…&dn=…&x.pe=127.0.0.1:PORT`, no trackers. */
  magnet: string
  /** `127.0.0.1:PORT` of the seeder. */
  peerAddress: string
  /** How the file was made, for the report. */
  media: string
}

/** Options for {@link startSwarm}. */
export interface SwarmOptions {
  /** Target file size in bytes (the video comes within a few percent of it). */
  bytes: number
  pieceLength: number
}

/**
 * Makes the media, the torrent and the seeder under `dir`; the seeder's stop is registered
 * with `cleanup`. The video is lavfi testsrc2 at 640x360 encoded by x264 ultrafast at a
 * constant bitrate chosen to reach the size (~6 s for 250 MB here); if ffmpeg fails, random
 * bytes stand in (same size), and the report says so.
 */
export async function startSwarm (dir: string, opts: SwarmOptions, cleanup: Cleanup, log: (line: string) => void): Promise<Swarm> {
  const mediaDir = path.join(dir, 'media')
  let file: string
  let media: string
  const seconds = 120
  try {
    file = await makeVideo(mediaDir, { name: 'bench.mp4', seconds, targetBytes: opts.bytes })
    media = `ffmpeg lavfi testsrc2 640x360 H.264 (x264 ultrafast, CBR) + AAC, ${seconds} s, mp4`
  } catch (err) {
    log(`ffmpeg failed (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); using random bytes`)
    file = await makeRandomFile(mediaDir, 'bench.bin', opts.bytes)
    media = 'random bytes (ffmpeg failed)'
  }
  // nginx's workers run as nobody and read the file from here.
  fs.chmodSync(dir, 0o755)
  fs.chmodSync(mediaDir, 0o755)
  const torrent = await createTorrentFile(file, { pieceLength: opts.pieceLength })
  const info = await parseTorrentFile(torrent)
  log(`torrent ${info.infoHash}: ${info.length} bytes, ${info.pieceLength / 1024} KiB pieces; starting qbittorrent-nox`)
  const seeder = await startQbittorrentSeeder(torrent, mediaDir, { timeoutMs: 120_000 })
  cleanup.defer('stop qbittorrent-nox', async () => { await seeder.stop() })
  return {
    file,
    size: info.length,
    sha256: await sha256File(file),
    infoHash: info.infoHash,
    pieceLength: info.pieceLength,
    magnet: seeder.magnet,
    peerAddress: seeder.peerAddress,
    media
  }
}
